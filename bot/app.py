"""The composition root: builds storage, services and channels from the config, and runs them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from bot.agenda import AgendaService
from bot.clock import Clock, SystemClock
from bot.config import Secrets, Settings
from bot.intake import Intake
from bot.meetings import MeetingService
from bot.notices import Notices
from bot.notify import OutboxDispatcher
from bot.roles import Roles
from bot.router import Router
from bot.schedule import Schedule
from bot.staff import StaffDesk
from bot.text import Catalog
from bot.triage import TriageService
from handlers.console import ConsoleChannel
from handlers.telegram import TelegramChannel
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    database: Database
    catalog: Catalog
    notices: Notices
    meetings: MeetingService
    triage: TriageService
    agenda: AgendaService
    intake: Intake
    desk: StaffDesk
    router: Router
    schedule: Schedule


def build_services(settings: Settings, database: Database, clock: Clock) -> Services:
    catalog = Catalog.load()
    notices = Notices(catalog, Roles(settings).staff_chat)
    meetings = MeetingService(settings, database, clock, notices)
    triage = TriageService(settings, database, clock, notices)
    agenda = AgendaService(settings, database, clock, catalog)
    intake = Intake(settings, database, clock, catalog)
    desk = StaffDesk(settings, database, clock, meetings, triage, agenda, catalog)
    schedule = Schedule(settings, database, clock, notices)
    return Services(
        database, catalog, notices, meetings, triage, agenda, intake, desk, Router(intake, desk), schedule
    )


async def run_bot(settings: Settings, secrets: Secrets, clock: Clock | None = None) -> None:
    """Run every enabled channel, the schedule and the outbox until SIGINT or SIGTERM."""
    clock = clock or SystemClock()
    database = await Database.open(settings.database_path)
    try:
        services = build_services(settings, database, clock)
        if not settings.telegram.enabled:
            raise SystemExit("no channel is enabled in the config (telegram.enabled = false)")
        telegram = TelegramChannel(settings, secrets, services.router.handle, services.catalog)
        dispatcher = OutboxDispatcher(
            database, {"telegram": telegram.sender()}, clock, settings.notify
        )
        services.schedule.after_action.append(dispatcher.notify)
        services.meetings.on_change.append(services.schedule.rebuild)
        stop = _stop_on_signals()
        await telegram.start()
        services.schedule.start()
        await services.schedule.rebuild()
        sending = asyncio.create_task(dispatcher.run(stop), name="outbox")
        log.info("doithoai is running; database %s", settings.database_path)
        try:
            await stop.wait()
        finally:
            services.schedule.shutdown()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(sending, timeout=10)
            await telegram.stop()
    finally:
        await database.close()


async def run_sandbox(settings: Settings, database_path: Path, language: str, clock: Clock | None = None) -> None:
    clock = clock or SystemClock()
    database = await Database.open(database_path)
    try:
        services = build_services(settings, database, clock)
        await services.meetings.ensure_demo()
        await ConsoleChannel(services.intake.handle, language=language).run()
    finally:
        await database.close()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
