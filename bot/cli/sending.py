"""Following the sending of published answers: the running bot's, or this process's own (`--send`)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Secrets, Settings

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services.publishing import RouteCounts

WATCH_SECONDS = 1.0
# A running bot's outbox beats every few seconds (BEAT_SECONDS); several missed beats in a
# row mean no bot is sending, not a slow one.
BOT_SILENT = timedelta(seconds=30)
NO_BOT = ("no bot is running to send them: they stay queued. Start the bot (`doithoai run`) and it "
          "sends them, or send them from this computer with `doithoai publish --send`.")


async def watch(services: Services, meeting_id: int) -> int:
    """Follow the running bot's sending until nothing is left to send; 1 if no bot is sending."""
    from rich.progress import Progress

    with Progress() as bar:
        task = bar.add_task("sending answers", total=None)
        while True:
            counts = await services.publishing.progress(meeting_id)
            done = counts.get("sent", 0) + counts.get("undeliverable", 0) + counts.get("failed", 0)
            waiting = counts.get("pending", 0) + counts.get("sending", 0)
            bar.update(task, total=done + waiting, completed=done)
            if not waiting:
                break
            # Asked each round: a bot stopped halfway through is as much "no bot" as none at all.
            if not await services.publishing.sending_channels(BOT_SILENT):
                bar.stop()
                print(f"error: {NO_BOT}", file=sys.stderr)
                return 1
            await asyncio.sleep(WATCH_SECONDS)
    print_delivery(counts)
    print_routes(await services.publishing.routes(meeting_id))
    return 0


async def send_here(services: Services, settings: Settings, clock: Clock, meeting_id: int) -> int:
    """Send what is queued through every enabled channel from this process, then report."""
    from rich.progress import Progress

    from bot.app import open_senders
    from bot.outbox.dispatcher import OutboxDispatcher

    try:
        senders = open_senders(settings, Secrets.from_environment(), services.database, clock)
        async with senders as opened:
            dispatcher = OutboxDispatcher(services.database, opened, clock, settings.notify)
            with Progress() as bar:
                task = bar.add_task("sending answers", total=None)

                def show(sent: int, undeliverable: int, failed: int, remaining: int) -> None:
                    bar.update(task, total=sent + undeliverable + failed + remaining, completed=sent + undeliverable + failed)

                await dispatcher.drain(on_progress=show)
    except SystemExit as missing:
        print(missing, file=sys.stderr)
        return 2
    print_delivery(await services.publishing.progress(meeting_id))
    print_routes(await services.publishing.routes(meeting_id))
    return 0


def print_routes(routes: RouteCounts) -> None:
    if routes.any:
        print(f"on Zalo: consultation free {routes.free}, consultation charged {routes.charged}, "
              f"template by id {routes.template}, template by phone {routes.template_phone}, held {routes.held}")


def print_delivery(counts: dict[str, int]) -> None:
    print(f"sent {counts.get('sent', 0)}, undeliverable {counts.get('undeliverable', 0)}, "
          f"failed {counts.get('failed', 0)} (retry with `doithoai retry-failed`)")
    if counts.get("held", 0):
        print(f"held {counts['held']}: Zalo residents outside Zalo's window; sent when they write again")
