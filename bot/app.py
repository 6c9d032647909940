"""The composition root: builds storage, services and channels from the config, and runs them.

Channels are plugged in, not named: `CHANNELS` is the registry of their declarations, and
everything below starts, stops and sends through whichever of them the settings enable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TextIO


from bot.channels import (
    ChannelContext, ChannelDeclaration, ChannelStartFailed, PhotoSource, RunningChannel, Watched,
)
from bot.clock import Clock, SystemClock, format_local
from bot.config import Secrets, Settings
from bot.domain.messages import Inbound, Reply
from bot.domain.vocabulary import Role
from bot.outbox.delivery import Sender
from bot.outbox.dispatcher import OutboxDispatcher
from bot.resident.dialogue import Intake
from bot.router import Router
from bot.services.layer import ServiceLayer
from bot.services.web_photos import Fetch
from bot.staff.desk import StaffDesk
from bot.text import Catalog
from handlers.console import CHANNEL as CONSOLE
from handlers.console import ConsoleChannel
from handlers.telegram import TELEGRAM
from handlers.web import WebConsole, WebStartFailed
from handlers.zalo import ZALO
from storage.db import Database

log = logging.getLogger(__name__)

# The registry: every channel the bot can run on, started in this order when enabled.
CHANNELS: tuple[ChannelDeclaration, ...] = (TELEGRAM, ZALO)


class BotFailed(Exception):
    """The bot could not start or cannot run on; the message says why, for the operator, with no secret."""


@dataclass(frozen=True)
class Services(ServiceLayer):
    """The service layer and the two chat surfaces built on it."""

    intake: Intake
    desk: StaffDesk
    router: Router


def build_services(settings: Settings, database: Database, clock: Clock) -> Services:
    layer = ServiceLayer.build(settings, database, clock)
    intake = Intake(settings, database, clock, layer.catalog)
    desk = StaffDesk(settings, clock, layer)
    parts = {f.name: getattr(layer, f.name) for f in fields(ServiceLayer)}
    return Services(**parts, intake=intake, desk=desk, router=Router(intake, desk, clock, layer.catalog))


def wire_schedule(services: Services, dispatcher: OutboxDispatcher) -> None:
    """What keeps the schedule current while the bot runs: a change of what is scheduled
    (a meeting, publishing) rebuilds it at once, and so does the outbox once it has sent what
    it had (the summary to staff waits for the last answer, from this process or `doithoai
    publish` in another); what an action queues is sent without waiting for a poll."""
    schedule = services.schedule
    schedule.after_action.append(dispatcher.notify)
    services.meetings.on_change.append(schedule.reschedule)
    services.publishing.on_change.append(schedule.reschedule)
    dispatcher.on_idle.append(schedule.reschedule)
    # Pushes held until tomorrow (Zalo's cap): staff are told now, and the retry is planned.
    dispatcher.on_held_until.append(schedule.reschedule)


class Runtime:
    """Everything a running bot does: channels, the schedule and the outbox, started and stopped together."""

    def __init__(
        self, settings: Settings, secrets: Secrets, database: Database, clock: Clock,
        registry: Sequence[ChannelDeclaration] = CHANNELS,
    ) -> None:
        enabled = _enabled(settings, registry)
        if not enabled:
            switches = " and ".join(f"{declaration.name}.enabled" for declaration in registry)
            raise SystemExit(f"no channel is enabled in the config ({switches} are false)")
        self.services = build_services(settings, database, clock)
        context = ChannelContext(
            settings, secrets, database, clock, self.services.router.handle, self.services.catalog, self.wake_outbox
        )
        # By name, in the registry's order.
        self.channels: dict[str, RunningChannel] = {d.name: d.build(context) for d in enabled}
        senders = {name: channel.sender() for name, channel in self.channels.items()}
        self.dispatcher = OutboxDispatcher(database, senders, clock, settings.notify)
        wire_schedule(self.services, self.dispatcher)
        # The staff console is a surface, not a channel: it sends nothing, it serves staff.
        self.console = (
            WebConsole(settings, self.services, clock, _photo_fetcher(self.channels)) if settings.web.enabled else None
        )
        self._stop = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None

    def wake_outbox(self) -> None:
        """A channel saw messages it held become deliverable: the outbox looks again now."""
        self.dispatcher.notify()

    async def start(self) -> None:
        started: list[RunningChannel] = []
        try:
            for channel in self.channels.values():
                started.append(channel)  # before its start: a half-started one holds connections too
                await channel.start()
        except BaseException:
            for channel in reversed(started):
                try:
                    await channel.stop()
                except Exception:  # the start's error is the one to report
                    log.debug("stopping a channel after a failed start also failed", exc_info=True)
            raise
        if self.console is not None:
            try:
                await self.console.start()
            except WebStartFailed as failed:
                for channel in reversed(started):
                    await channel.stop()
                raise ChannelStartFailed(str(failed)) from None
        self.services.schedule.start()
        await self.services.schedule.rebuild()
        self._sending = asyncio.create_task(self.dispatcher.run(self._stop), name="outbox")

    async def failed(self) -> str:
        """Waits until a channel has stopped receiving, or the outbox sending, on its own; why."""
        watches = [asyncio.ensure_future(c.failed()) for c in self.channels.values() if isinstance(c, Watched)]
        watches.append(asyncio.ensure_future(self._outbox_stopped()))
        try:
            done, _ = await asyncio.wait(watches, return_when=asyncio.FIRST_COMPLETED)
            return done.pop().result()
        finally:
            for watch in watches:
                watch.cancel()

    async def _outbox_stopped(self) -> str:
        """The outbox ends only when told to; ending before that, every push would wait forever."""
        assert self._sending is not None, "start() first"
        try:
            # Shielded: this watch is cancelled when the runtime stops; the sending is not.
            await asyncio.shield(self._sending)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("the outbox stopped sending", exc_info=error)
            return f"the outbox stopped sending ({type(error).__name__})"
        return "the outbox stopped sending"

    async def stop(self) -> None:
        self._stop.set()
        if self.console is not None:
            await self.console.stop()
        self.services.schedule.shutdown()
        if self._sending is not None:
            # An outbox that ended on an error has said so (_outbox_stopped): stop the rest.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(self._sending, timeout=10)
        for channel in reversed(self.channels.values()):
            await channel.stop()


async def run_bot(settings: Settings, secrets: Secrets, clock: Clock | None = None) -> None:
    """Run every enabled channel, the schedule and the outbox until SIGINT or SIGTERM."""
    database = await Database.open(settings.database_path)
    try:
        runtime = Runtime(settings, secrets, database, clock or SystemClock())
        stop = _stop_on_signals()
        await _start(runtime, settings, secrets)
        log.info("doithoai is running; database %s", settings.database_path)
        try:
            failure = await _until_stopped(stop, runtime)
        finally:
            await runtime.stop()
        if failure is not None:
            # Alive and deaf helps nobody: exiting non-zero lets the supervisor start it again.
            raise BotFailed(f"{failure}; exiting so that the bot can be started again")
    finally:
        await database.close()


async def _until_stopped(stop: asyncio.Event, runtime: Runtime) -> str | None:
    """Waits for SIGINT/SIGTERM (None) or for a channel to fail on its own (why)."""
    stopping = asyncio.ensure_future(stop.wait())
    failing = asyncio.ensure_future(runtime.failed())
    try:
        await asyncio.wait({stopping, failing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        failing.cancel()
    return failing.result() if failing.done() and not failing.cancelled() else None


async def _start(runtime: Runtime, settings: Settings, secrets: Secrets) -> None:
    """Start the runtime; a start the operator can fix is a BotFailed naming what to fix."""
    try:
        await runtime.start()
    except ChannelStartFailed as failed:
        raise BotFailed(str(failed)) from None


async def run_sandbox(
    settings: Settings, database_path: Path, language: str, clock: Clock | None = None,
    lines: asyncio.Queue[str | None] | None = None, out: TextIO | None = None, console: bool = False,
) -> None:
    """The resident dialogue in this terminal, with the outbox and the schedule running, so that
    what staff do on the CLI against the same database reaches the residents played here.
    With `console`, the staff console is served too, and a login link for the demo admin printed.

    `lines` and `out` let tests type and read; by default it is the terminal."""
    clock = clock or SystemClock()
    # Residents the sandbox meets for the first time speak the language it was started in.
    unit = settings.unit.model_copy(update={"default_language": language})
    settings = settings.model_copy(update={"unit": unit})
    database = await Database.open(database_path)
    stop = asyncio.Event()
    try:
        services = build_services(settings, database, clock)
        await services.meetings.ensure_demo()
        terminal = ConsoleChannel(
            services.intake.handle, catalog=services.catalog, out=out or sys.stdout,
            language=language, files=database_path.parent,
        )
        # Only the console's rows: pushes queued for Telegram or Zalo residents stay pending
        # for the real bot (the dispatcher leaves channels it has no sender for alone).
        dispatcher = OutboxDispatcher(database, {CONSOLE: terminal.sender()}, clock, settings.notify)
        wire_schedule(services, dispatcher)
        services.schedule.start()
        await services.schedule.rebuild()
        sending = asyncio.create_task(dispatcher.run(stop), name="sandbox-outbox")
        web = await _sandbox_console(settings, services, clock, language, out or sys.stdout) if console else None
        try:
            await terminal.run(lines)
        finally:
            if web is not None:
                await web.stop()
            stop.set()
            services.schedule.shutdown()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(sending, timeout=10)
    finally:
        await database.close()


async def _sandbox_console(
    settings: Settings, services: Services, clock: Clock, language: str, out: TextIO
) -> WebConsole | None:
    """The staff console beside the sandbox, and a login link for its demo admin; a port in use
    is said in one line and the sandbox goes on without it."""
    admin = next((m for m in settings.staff.everyone() if m.role is Role.ADMIN), None)
    web = WebConsole(settings, services, clock)
    try:
        await web.start()
    except WebStartFailed as failed:
        out.write(services.catalog.t(language, "sandbox.console_failed", why=str(failed)) + "\n")
        return None
    if admin is not None:
        identity = min(admin.identities, key=lambda i: (i.channel, i.user_id))
        issued = await services.web_login.issue(identity, "sandbox")
        out.write(services.catalog.t(language, "sandbox.console_link", url=issued.url,
                                     until=format_local(issued.expires_at, settings.zone)) + "\n")
    return web


@contextlib.asynccontextmanager
async def open_senders(
    settings: Settings, secrets: Secrets, database: Database, clock: Clock,
    registry: Sequence[ChannelDeclaration] = CHANNELS,
) -> AsyncIterator[dict[str, Sender]]:
    """The outbox senders of every enabled channel, for sending from the command line while
    the bot itself is not running. Raises SystemExit naming a missing secret."""
    enabled = _enabled(settings, registry)
    if not enabled:
        raise SystemExit("error: --send needs a channel enabled in the config")
    missing = missing_secrets(settings, secrets, registry)
    if missing:
        raise SystemExit(f"error: --send needs {', '.join(missing)}")
    context = ChannelContext(settings, secrets, database, clock, _no_dialogue, Catalog.load(), _nothing_held)
    async with contextlib.AsyncExitStack() as opened:
        yield {d.name: await opened.enter_async_context(d.open_sender(context)) for d in enabled}


def missing_secrets(settings: Settings, secrets: Secrets, registry: Sequence[ChannelDeclaration] = CHANNELS) -> list[str]:
    """The environment variables the enabled channels need and do not have, by name."""
    return [name for declaration in _enabled(settings, registry) for name in declaration.missing_secrets(secrets)]


def _photo_fetcher(channels: dict[str, RunningChannel]) -> Fetch:
    """Fetches a resident's photo through the running channel it was sent on, if that channel can."""

    async def fetch(channel: str, ref: str) -> bytes | None:
        source = channels.get(channel)
        return await source.photo(ref) if isinstance(source, PhotoSource) else None

    return fetch


def _enabled(settings: Settings, registry: Sequence[ChannelDeclaration]) -> list[ChannelDeclaration]:
    return [declaration for declaration in registry if declaration.enabled(settings)]


async def _no_dialogue(inbound: Inbound) -> list[Reply]:
    return []


def _nothing_held() -> None:
    """Sending from the command line drains the outbox once; nothing is waiting to be woken."""


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
