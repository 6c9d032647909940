"""The composition root: builds storage, the dialogue and the channels from the config, and runs them."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.config import Secrets, Settings
from bot.intake import Intake
from bot.meetings import MeetingService
from handlers.console import ConsoleChannel
from handlers.telegram import TelegramChannel
from storage.db import Database

log = logging.getLogger(__name__)


async def run_bot(settings: Settings, secrets: Secrets, clock: Clock | None = None) -> None:
    """Run every enabled channel until SIGINT or SIGTERM."""
    clock = clock or SystemClock()
    database = await Database.open(settings.database_path)
    try:
        intake = Intake(settings, database, clock)
        channels = []
        if settings.telegram.enabled:
            channels.append(TelegramChannel(settings, secrets, intake.handle))
        if not channels:
            raise SystemExit("no channel is enabled in the config (telegram.enabled = false)")
        stop = _stop_on_signals()
        for channel in channels:
            await channel.start()
        log.info("doithoai is running; database %s", settings.database_path)
        try:
            await stop.wait()
        finally:
            for channel in reversed(channels):
                await channel.stop()
    finally:
        await database.close()


async def run_sandbox(settings: Settings, database_path: Path, language: str, clock: Clock | None = None) -> None:
    clock = clock or SystemClock()
    database = await Database.open(database_path)
    try:
        await MeetingService(settings, database, clock).ensure_demo()
        intake = Intake(settings, database, clock)
        await ConsoleChannel(intake.handle, language=language).run()
    finally:
        await database.close()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
