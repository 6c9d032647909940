"""The composition root: builds storage, services and channels from the config, and runs them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.config import Secrets, Settings
from bot.domain.messages import Inbound, Reply
from bot.outbox.dispatcher import OutboxDispatcher, Sender
from bot.resident.dialogue import Intake
from bot.router import Router
from bot.services.agenda import AgendaService
from bot.services.audit import AuditService
from bot.services.exports import ExportService
from bot.services.answers import AnswerService
from bot.services.meetings import MeetingService
from bot.services.notices import Notices
from bot.services.roles import Roles
from bot.services.schedule import Schedule
from bot.services.triage import TriageService
from bot.staff.desk import StaffDesk
from bot.text import Catalog
from handlers.console import ConsoleChannel
from handlers.telegram.channel import TelegramChannel
from handlers.zalo import ZaloChannel
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
    answers: AnswerService
    audit: AuditService
    exports: ExportService
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
    answers = AnswerService(settings, database, clock, notices, catalog)
    audit = AuditService(database, clock)
    exports = ExportService(agenda, audit)
    intake = Intake(settings, database, clock, catalog)
    desk = StaffDesk(settings, clock, meetings, triage, agenda, answers, audit, exports, catalog)
    schedule = Schedule(settings, database, clock, notices)
    return Services(
        database, catalog, notices, meetings, triage, agenda, answers, audit, exports, intake, desk, Router(intake, desk), schedule
    )


class Runtime:
    """Everything a running bot does: channels, the schedule and the outbox, started and stopped together."""

    def __init__(self, settings: Settings, secrets: Secrets, database: Database, clock: Clock) -> None:
        if not settings.telegram.enabled and not settings.zalo.enabled:
            raise SystemExit("no channel is enabled in the config (telegram.enabled and zalo.enabled are false)")
        self.services = build_services(settings, database, clock)
        handle, catalog = self.services.router.handle, self.services.catalog
        self.telegram = TelegramChannel(settings, secrets, handle, catalog) if settings.telegram.enabled else None
        self.zalo = ZaloChannel(settings, secrets, database, clock, handle, catalog) if settings.zalo.enabled else None
        senders: dict[str, Sender] = {}
        if self.telegram is not None:
            senders["telegram"] = self.telegram.sender()
        if self.zalo is not None:
            senders["zalo"] = self.zalo.sender()
        self.dispatcher = OutboxDispatcher(database, senders, clock, settings.notify)
        if self.zalo is not None:
            # A resident who writes again gets the answers Zalo's window held back.
            self.zalo.on_release.append(self.dispatcher.notify)
        self.services.schedule.after_action.append(self.dispatcher.notify)
        self.services.meetings.on_change.append(self.services.schedule.rebuild)
        self._stop = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.telegram is not None:
            await self.telegram.start()
        if self.zalo is not None:
            await self.zalo.start()
        self.services.schedule.start()
        await self.services.schedule.rebuild()
        self._sending = asyncio.create_task(self.dispatcher.run(self._stop), name="outbox")

    async def stop(self) -> None:
        self._stop.set()
        self.services.schedule.shutdown()
        if self._sending is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._sending, timeout=10)
        if self.zalo is not None:
            await self.zalo.stop()
        if self.telegram is not None:
            await self.telegram.stop()


async def run_bot(settings: Settings, secrets: Secrets, clock: Clock | None = None) -> None:
    """Run every enabled channel, the schedule and the outbox until SIGINT or SIGTERM."""
    database = await Database.open(settings.database_path)
    try:
        runtime = Runtime(settings, secrets, database, clock or SystemClock())
        stop = _stop_on_signals()
        await runtime.start()
        log.info("doithoai is running; database %s", settings.database_path)
        try:
            await stop.wait()
        finally:
            await runtime.stop()
    finally:
        await database.close()


async def run_sandbox(settings: Settings, database_path: Path, language: str, clock: Clock | None = None) -> None:
    clock = clock or SystemClock()
    database = await Database.open(database_path)
    try:
        services = build_services(settings, database, clock)
        await services.meetings.ensure_demo()
        await ConsoleChannel(services.intake.handle, language=language, files=database_path.parent).run()
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def open_senders(
    settings: Settings, secrets: Secrets, database: Database, clock: Clock
) -> AsyncIterator[dict[str, Sender]]:
    """The outbox senders of every enabled channel, for sending from the command line while
    the bot itself is not running. Raises SystemExit naming a missing secret."""
    if not secrets.telegram_token:
        raise SystemExit("error: --send needs TELEGRAM_BOT_TOKEN")
    channel = TelegramChannel(settings, secrets, _no_dialogue)
    await channel.open_for_sending()
    try:
        yield {"telegram": channel.sender()}
    finally:
        await channel.close_for_sending()


async def _no_dialogue(inbound: Inbound) -> list[Reply]:
    return []


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
