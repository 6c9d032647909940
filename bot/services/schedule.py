"""Scheduled work, derived from the database: announce, remind before intake closes, report the close.

Nothing about jobs is stored but the marks of what was done. On start and after every
change the jobs are computed again from the meetings; an action whose time has passed and
that was not done (the bot was down) runs at once. Each action writes its messages to the
outbox with dedupe keys and sets its mark in the same transaction, so running twice sends
nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import aiosqlite
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.records import Meeting
from bot.domain.vocabulary import Phase
from bot.services.notices import Notices
from bot.services.publishing import RouteCounts
from bot.services.results import results_due
from bot.services.unit import UnitService
from storage.answers import AnswerRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.outbox import OutboxRepository
from storage.subscriptions import ScheduleMarks, SubscriptionRepository

log = logging.getLogger(__name__)

REMIND_BEFORE_CLOSE = timedelta(hours=24)
REBUILD_JOB = "rebuild"
DIGEST_HOUR = 8
RESULTS_REMINDERS = (7, 10)
REBUILD_MINUTES = 5


class ActionKind(StrEnum):
    ANNOUNCE = "announce"      # tell subscribers of a new meeting
    REMIND = "remind"          # a day before intake closes, to subscribers who sent nothing yet
    CLOSE = "close"            # tell staff what came in
    RESULTS = "results"        # the 10-day deadline for the results report is near, or here
    PUBLISHED = "published"    # tell staff how the publishing went, once the outbox has sent it
    FOLLOWUP = "followup"      # the daily digest of what agencies still owe
    HELD_NOTE = "held_note"    # tell staff that pushes wait for tomorrow's paid messages (Zalo's cap or quota)
    RETRY_HELD = "retry_held"  # tomorrow has come: those pushes are tried again, routed afresh


@dataclass(frozen=True)
class Action:
    key: str          # also the mark written when done, and the APScheduler job id
    kind: ActionKind
    meeting_id: int   # 0 for the follow-up digest, which is of the whole unit
    when: datetime


class Schedule(UnitService):
    """The scheduled work of one unit's meetings (`unit_id`, the config's unit unless told otherwise)."""

    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._notices = notices
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)
        self._scheduler: AsyncIOScheduler | None = None
        self._rebuilding = asyncio.Lock()
        # Told after an action queued messages, so the dispatcher sends them without waiting.
        self.after_action: list[Callable[[], Awaitable[None] | None]] = []

    # --- what should happen ------------------------------------------------------------

    async def actions(self) -> list[Action]:
        """Every action not yet done, with the time it is due."""
        async with self._database.transaction() as connection:
            meetings = await MeetingRepository(connection, self._unit_id).list_all()
            done = await ScheduleMarks(connection).all()
            forwarded = bool(await AnswerRepository(connection, self._unit_id).awaiting_agencies())
            held_until, _ = await OutboxRepository(connection).held_until()
        now = self._clock.now()
        pending = [action for meeting in meetings for action in self._actions_of(meeting, now)]
        if forwarded:
            pending.append(self._next_digest(now))
        if held_until is not None:
            pending.extend(self._held_actions(held_until, now))
        return sorted((a for a in pending if a.key not in done), key=lambda a: (a.when, a.key))

    def _next_digest(self, now: datetime) -> Action:
        """Today's follow-up digest at 08:00 local time, or tomorrow's if that has passed."""
        zone = self._settings.zone
        local = now.astimezone(zone)
        at = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
        if at < local - timedelta(hours=12):
            at += timedelta(days=1)
        return Action(self._digest_key(at.date().isoformat()), ActionKind.FOLLOWUP, 0, at.astimezone(UTC))

    def _held_actions(self, held_until: datetime, now: datetime) -> list[Action]:
        """Pushes held until a time (today's paid messages are used up): a note to staff now,
        and a new try when that time comes. One pair per time, so each day's holds get theirs."""
        stamp = held_until.astimezone(UTC).isoformat()
        return [
            Action(f"held_note:{self._unit_id}:{stamp}", ActionKind.HELD_NOTE, 0, now),
            Action(f"retry_held:{self._unit_id}:{stamp}", ActionKind.RETRY_HELD, 0, held_until),
        ]

    def _digest_key(self, day: str) -> str:
        # One digest a day for each unit (migration 0005 named the earlier ones after the default unit).
        return f"followup:{self._unit_id}:{day}"

    def _actions_of(self, meeting: Meeting, now: datetime) -> list[Action]:
        if meeting.status == Phase.PUBLISHED:
            return self._after_meeting(meeting, now)
        if meeting.status != Phase.ANNOUNCED:
            return []
        actions = []
        if now < meeting.starts_at:
            actions.append(Action(f"announce:{meeting.id}", ActionKind.ANNOUNCE, meeting.id, meeting.announced_at or meeting.created_at))
        remind_at = meeting.intake_closes_at - REMIND_BEFORE_CLOSE
        if remind_at > meeting.intake_opens_at and now < meeting.intake_closes_at:
            actions.append(Action(f"remind:{meeting.id}", ActionKind.REMIND, meeting.id, remind_at))
        # A close missed while the bot was down is still reported: staff need the count.
        actions.append(Action(f"close:{meeting.id}", ActionKind.CLOSE, meeting.id, meeting.intake_closes_at))
        return actions + self._after_meeting(meeting, now)

    def _after_meeting(self, meeting: Meeting, now: datetime) -> list[Action]:
        if now < meeting.starts_at:
            return []
        actions = []
        if meeting.results_exported_at is None:
            # The law gives 10 days to publish results: a warning three days before, and on the day.
            for days in RESULTS_REMINDERS:
                actions.append(Action(f"results:{meeting.id}:{days}", ActionKind.RESULTS, meeting.id, meeting.starts_at + timedelta(days=days)))
        if meeting.status == Phase.PUBLISHED:
            actions.append(Action(f"published:{meeting.id}", ActionKind.PUBLISHED, meeting.id, meeting.published_at or meeting.starts_at))
        return actions

    async def run_due(self) -> list[str]:
        """Carry out every action that is due now; returns their keys."""
        now = self._clock.now()
        ran = []
        for action in await self.actions():
            if action.when <= now and await self.run(action):
                ran.append(action.key)
        return ran

    async def run(self, action: Action) -> bool:
        if action.kind in (ActionKind.HELD_NOTE, ActionKind.RETRY_HELD):
            return await self._run_held(action)
        now = self._clock.now()
        async with self._database.transaction() as connection:
            marks = ScheduleMarks(connection)
            if await marks.done(action.key):
                return False
            if action.kind == ActionKind.FOLLOWUP:
                count = await self._digest(connection, now)
                await marks.mark(action.key, now)
                return True
            meeting = await MeetingRepository(connection, self._unit_id).get(action.meeting_id)
            if meeting is None or not meeting.status.scheduled:
                await marks.mark(action.key, now)
                return False
            # A job carries the action as it was when jobs were last computed; the meeting may
            # have changed since (from the CLI, another process): act only on what holds now.
            current = {a.key: a for a in self._actions_of(meeting, now)}.get(action.key)
            if current is None or current.when > now:
                return False
            if action.kind == ActionKind.ANNOUNCE:
                count = await self._announce(connection, meeting, now)
            elif action.kind == ActionKind.REMIND:
                count = await self._remind(connection, meeting, now)
            elif action.kind == ActionKind.CLOSE:
                count = await self._report_close(connection, meeting, now)
            elif action.kind == ActionKind.RESULTS:
                count = int(await self._notices.to_staff(
                    connection, action.key, "notice.staff_results", now, id=meeting.id, title=meeting.title,
                    deadline=results_due(meeting).astimezone(self._settings.zone).strftime("%d/%m/%Y"),
                ))
            else:
                counts = await OutboxRepository(connection).counts(f"answer:{meeting.id}:")
                if counts.get("pending", 0) + counts.get("sending", 0):
                    return False  # still sending: the outbox rebuilds the schedule once it is done
                count = int(await self._notices.to_staff(
                    connection, action.key, "notice.staff_published", now, id=meeting.id,
                    sent=counts.get("sent", 0), undeliverable=counts.get("undeliverable", 0), failed=counts.get("failed", 0),
                ))
                if counts.get("held", 0):  # Zalo residents outside the window: sent when they write again
                    count += int(await self._notices.to_staff(
                        connection, f"{action.key}:held", "notice.staff_held", now, id=meeting.id, held=counts["held"],
                    ))
                routes = RouteCounts.of(await OutboxRepository(connection).sent_routes(f"answer:{meeting.id}:"),
                                        counts.get("held", 0))
                if routes.any:  # the ways the answers went on Zalo: what they cost
                    count += int(await self._notices.to_staff(
                        connection, f"{action.key}:routes", "notice.staff_routes", now, id=meeting.id, **routes.values(),
                    ))
            await marks.mark(action.key, now)
        log.info("scheduled %s done: %s messages queued", action.key, count)
        for callback in self.after_action:
            result = callback()
            if result is not None:
                await result
        return True

    async def _run_held(self, action: Action) -> bool:
        now = self._clock.now()
        if action.when > now:
            return False
        async with self._database.transaction() as connection:
            marks = ScheduleMarks(connection)
            if await marks.done(action.key):
                return False
            count = await self._held(connection, action, now)
            await marks.mark(action.key, now)
        log.info("scheduled %s done: %s messages", action.key, count)
        for callback in self.after_action:  # the dispatcher: released pushes go out now
            result = callback()
            if result is not None:
                await result
        return True

    async def _held(self, connection: aiosqlite.Connection, action: Action, now: datetime) -> int:
        """The note to staff about pushes held for tomorrow, or tomorrow's new try of them."""
        outbox = OutboxRepository(connection)
        if action.kind == ActionKind.RETRY_HELD:
            return await outbox.release_held_due(now)
        held_until, held = await outbox.held_until()
        if held_until is None:
            return 0
        return int(await self._notices.to_staff(
            connection, action.key, "notice.staff_held_until", now, held=held,
            when=format_local(held_until, self._settings.zone),
        ))

    # --- the actions --------------------------------------------------------------------

    async def _announce(self, connection: aiosqlite.Connection, meeting: Meeting, now: datetime) -> int:
        zone = self._settings.zone
        sent = 0
        for resident_id in await self._audience(connection, meeting):
            sent += await self._notices.to_resident(
                connection, resident_id, f"announce:{meeting.id}:{resident_id}", "notice.announce", now,
                title=meeting.title, when=format_local(meeting.starts_at, zone), place=meeting.place,
                opens=format_local(meeting.intake_opens_at, zone), closes=format_local(meeting.intake_closes_at, zone),
            )
        return sent

    async def _remind(self, connection: aiosqlite.Connection, meeting: Meeting, now: datetime) -> int:
        zone = self._settings.zone
        concerns = ConcernRepository(connection, self._unit_id)
        authors = {c.author_id for c in await concerns.live(meeting.id)}
        sent = 0
        for resident_id in await self._audience(connection, meeting):
            if resident_id in authors:
                continue
            sent += await self._notices.to_resident(
                connection, resident_id, f"remind:{meeting.id}:{resident_id}", "notice.remind", now,
                title=meeting.title, closes=format_local(meeting.intake_closes_at, zone),
            )
        return sent

    async def _report_close(self, connection: aiosqlite.Connection, meeting: Meeting, now: datetime) -> int:
        live = await ConcernRepository(connection, self._unit_id).live(meeting.id)
        by_topic: dict[str, int] = {}
        for concern in live:
            by_topic[concern.topic_id] = by_topic.get(concern.topic_id, 0) + 1
        summary = ", ".join(
            f"{self._topic_name(t)}: {n}" for t, n in sorted(by_topic.items(), key=lambda kv: -kv[1])
        ) or "—"
        return int(await self._notices.to_staff(
            connection, f"close:{meeting.id}", "notice.staff_closed", now,
            id=meeting.id, title=meeting.title, count=len(live), topics=summary,
        ))

    async def _digest(self, connection: aiosqlite.Connection, now: datetime) -> int:
        """Daily while anything is overdue, otherwise on Mondays: what agencies still owe."""
        today = now.astimezone(self._settings.zone).date()
        waiting = await AnswerRepository(connection, self._unit_id).awaiting_agencies()
        overdue = [a for a in waiting if a.overdue_on(today)]
        if not waiting or (not overdue and today.weekday() != 0):
            return 0
        concerns = ConcernRepository(connection, self._unit_id)
        lines = []
        for answer in waiting:
            concern = await concerns.get(answer.concern_id)
            due = answer.due_date.strftime("%d/%m/%Y") if answer.due_date else "—"
            mark = "⚠️ " if answer in overdue else ""
            lines.append(f"• {mark}{concern.code if concern else answer.concern_id} – {answer.agency}, {due}")
        return int(await self._notices.to_staff(
            connection, self._digest_key(today.isoformat()), "notice.staff_followup", now,
            count=len(waiting), overdue=len(overdue), lines="\n".join(lines),
        ))

    def _topic_name(self, topic_id: str) -> str:
        topic = self._topics.get(topic_id)
        return topic.name if topic else topic_id

    async def _audience(self, connection: aiosqlite.Connection, meeting: Meeting) -> list[int]:
        # Someone following a tổ dân phố hears of a ward-wide meeting, and someone following
        # the ward hears of a meeting for one khu phố.
        areas = self._areas.descendants(meeting.area_id) + self._areas.ancestors(meeting.area_id)
        return await SubscriptionRepository(connection).subscribers(areas)

    # --- APScheduler ----------------------------------------------------------------------

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        # Staff may change meetings from the command line, another process: look again now and then.
        self._scheduler.add_job(self.rebuild, IntervalTrigger(minutes=REBUILD_MINUTES), id=REBUILD_JOB)
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def reschedule(self) -> None:
        """What is scheduled changed (a meeting, publishing, the outbox done sending): the jobs
        again, now. Before start() there is nothing to redo: the start's rebuild reads it all."""
        if self._scheduler is not None and self._scheduler.running:
            await self.rebuild()

    async def rebuild(self) -> list[str]:
        """Recompute every job from the database; due ones run now. Returns the job ids."""
        assert self._scheduler is not None, "start() first"
        async with self._rebuilding:
            return await self._rebuild(self._scheduler)

    async def _rebuild(self, scheduler: AsyncIOScheduler) -> list[str]:
        actions = await self.actions()
        for job in scheduler.get_jobs():
            if job.id != REBUILD_JOB:
                job.remove()
        now = self._clock.now()
        for action in actions:
            scheduler.add_job(
                self.run,
                trigger=DateTrigger(run_date=max(action.when, now)),
                args=[action],
                id=action.key,
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )
        return sorted(job.id for job in scheduler.get_jobs() if job.id != REBUILD_JOB)
