"""Meetings for staff: create, edit, announce, open and close intake, cancel; every change audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta

import aiosqlite

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.domain.areas import AreaTree
from bot.domain.records import Meeting
from bot.domain.refusal import Refusal, phase_term
from bot.domain.vocabulary import MeetingFormat, Phase
from bot.services.notices import Notices
from bot.services.unit import UnitService
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository

# A dialogue must be announced at least 7 days ahead (see shared/domain/README.md).
NOTICE = timedelta(days=7)


# The sandbox's demo meeting: two weeks ahead at 08:00, the intake ending at 17:00 three days before.
DEMO_AHEAD = timedelta(days=14)
DEMO_STARTS = time(8, 0)
DEMO_INTAKE_ENDS = time(17, 0)
DEMO_INTAKE_ENDS_BEFORE = timedelta(days=3)


class MeetingError(Refusal):
    """A meeting change that cannot be made as asked; the catalog key under [refusal] says why, for staff."""


@dataclass(frozen=True)
class MeetingDraft:
    title: str
    starts_at: datetime
    place: str
    format: MeetingFormat | str = MeetingFormat.IN_PERSON  # as staff typed it; checked on create
    area_id: str | None = None
    intake_opens_at: datetime | None = None
    intake_closes_at: datetime | None = None


@dataclass(frozen=True)
class Created:
    meeting: Meeting
    warnings: tuple[str, ...]


class MeetingService(UnitService):
    """The meetings of one unit (`unit_id`, the config's unit unless told otherwise)."""

    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices | None = None,
        *, unit_id: str | None = None,
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._notices = notices
        self._areas = AreaTree(settings)
        # Called after every change, so the schedule can be recomputed from the database.
        self.on_change: list[Callable[[], Awaitable[None]]] = []

    async def create(self, draft: MeetingDraft, actor: str, *, announce: bool = True) -> Created:
        now = self._clock.now()
        area_id = draft.area_id or self._areas.roots[0].id
        opens = draft.intake_opens_at or now
        closes = draft.intake_closes_at or _default_close(opens, draft.starts_at)
        self._check(draft.title, draft.place, draft.format, area_id, draft.starts_at, opens, closes, now)
        async with self._database.transaction() as connection:
            meeting = await MeetingRepository(connection, self._unit_id).create(
                title=draft.title.strip(),
                area_id=area_id,
                starts_at=draft.starts_at,
                place=draft.place.strip(),
                format=draft.format,
                intake_opens_at=opens,
                intake_closes_at=closes,
                now=now,
                status=Phase.ANNOUNCED if announce else Phase.DRAFT,
            )
            await AuditRepository(connection).record(
                actor=actor, action="meeting.create", subject=f"meeting:{meeting.id}", now=now, after=_snapshot(meeting)
            )
        await self._changed()
        return Created(meeting, self._warnings(meeting, now))

    async def edit(self, meeting_id: int, actor: str, **changes: object) -> Created:
        """Change title, place, format, area, starts_at, intake_opens_at or intake_closes_at."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            meetings = MeetingRepository(connection, self._unit_id)
            meeting = await self._editable(meetings, meeting_id, now)
            merged = {**asdict(meeting), **changes}
            self._check(
                str(merged["title"]), str(merged["place"]), str(merged["format"]), str(merged["area_id"]),
                merged["starts_at"], merged["intake_opens_at"], merged["intake_closes_at"], now,  # type: ignore[arg-type]
            )
            updated = await meetings.update(meeting, **changes)
            if updated is None:
                raise MeetingError("refusal.meeting_changed")
            await AuditRepository(connection).record(
                actor=actor, action="meeting.edit", subject=f"meeting:{meeting.id}", now=now,
                before=_snapshot(meeting), after=_snapshot(updated),
            )
        await self._changed()
        return Created(updated, self._warnings(updated, now))

    async def announce(self, meeting_id: int, actor: str) -> Created:
        now = self._clock.now()
        async with self._database.transaction() as connection:
            meetings = MeetingRepository(connection, self._unit_id)
            meeting = await self._editable(meetings, meeting_id, now)
            if meeting.status != Phase.DRAFT:
                raise MeetingError("refusal.already_announced", id=meeting_id)
            updated = await meetings.update(meeting, status=Phase.ANNOUNCED, announced_at=now)
            assert updated is not None
            await AuditRepository(connection).record(
                actor=actor, action="meeting.announce", subject=f"meeting:{meeting.id}", now=now,
                before=_snapshot(meeting), after=_snapshot(updated),
            )
        await self._changed()
        return Created(updated, self._warnings(updated, now))

    async def open_intake(self, meeting_id: int, actor: str) -> Meeting:
        now = self._clock.now()
        meeting = await self.get_or_fail(meeting_id)
        if meeting.status == Phase.DRAFT:
            raise MeetingError("refusal.announce_first", id=meeting_id)
        if meeting.intake_closes_at <= now:
            raise MeetingError("refusal.intake_close_passed")
        if meeting.phase(now) == Phase.INTAKE_OPEN:
            raise MeetingError("refusal.intake_already_open", id=meeting_id)
        return (await self.edit(meeting_id, actor, intake_opens_at=now)).meeting

    async def close_intake(self, meeting_id: int, actor: str) -> Meeting:
        now = self._clock.now()
        meeting = await self.get_or_fail(meeting_id)
        if meeting.phase(now) != Phase.INTAKE_OPEN:
            raise MeetingError("refusal.intake_not_open", id=meeting_id)
        # The window must stay a window: an intake opened this very instant closes a moment after.
        opens = min(meeting.intake_opens_at, now - timedelta(seconds=1))
        return (await self.edit(meeting_id, actor, intake_opens_at=opens, intake_closes_at=now)).meeting

    async def cancel(self, meeting_id: int, actor: str, reason: str) -> Meeting:
        now = self._clock.now()
        if not reason.strip():
            raise MeetingError("refusal.cancel_reason")
        async with self._database.transaction() as connection:
            meetings = MeetingRepository(connection, self._unit_id)
            meeting = await self._editable(meetings, meeting_id, now)
            updated = await meetings.update(meeting, status=Phase.CANCELLED, cancelled_reason=reason.strip())
            assert updated is not None
            await self._tell_followers_of_cancellation(connection, updated, now)
            await AuditRepository(connection).record(
                actor=actor, action="meeting.cancel", subject=f"meeting:{meeting.id}", now=now,
                before=_snapshot(meeting), after=_snapshot(updated),
            )
        await self._changed()
        return updated

    async def _tell_followers_of_cancellation(self, connection: aiosqlite.Connection, meeting: Meeting, now: datetime) -> None:
        if self._notices is None:
            return
        concerns = ConcernRepository(connection, self._unit_id)
        for concern in await concerns.live(meeting.id):
            for resident_id, _ in await concerns.followers(concern.id):
                await self._notices.to_resident(
                    connection, resident_id, f"cancel:{meeting.id}:{concern.id}:{resident_id}", "notice.cancelled", now,
                    title=meeting.title, reason=meeting.cancelled_reason, code=concern.code,
                )

    async def list(self) -> list[Meeting]:
        async with self._database.transaction() as connection:
            return await MeetingRepository(connection, self._unit_id).list_all()

    async def get(self, meeting_id: int) -> Meeting | None:
        async with self._database.transaction() as connection:
            return await MeetingRepository(connection, self._unit_id).get(meeting_id)

    async def current(self, meeting_id: int | None = None) -> Meeting:
        """The meeting named, or else the one meeting being prepared (staff rarely run two)."""
        if meeting_id is not None:
            return await self.get_or_fail(meeting_id)
        now = self._clock.now()
        live = [m for m in await self.list() if not m.phase(now).concluded]
        if len(live) == 1:
            return live[0]
        if not live:
            raise MeetingError("refusal.no_meeting_prepared")
        # Staff choose by number: the refusal lists the numbers to choose from.
        listed = [f"#{m.id} {m.title} ({format_local(m.starts_at, self._settings.zone)[:10]})" for m in sorted(live, key=lambda m: m.id)]
        raise MeetingError("refusal.several_meetings", meetings=", ".join(listed))

    async def latest_held(self, meeting_id: int | None = None) -> Meeting:
        """The meeting named, or else the most recent one that has been held: what answers are about."""
        if meeting_id is not None:
            return await self.get_or_fail(meeting_id)
        now = self._clock.now()
        held = [m for m in await self.list() if m.phase(now).held]
        if not held:
            raise MeetingError("refusal.none_held")
        return max(held, key=lambda m: m.starts_at)

    async def get_or_fail(self, meeting_id: int) -> Meeting:
        meeting = await self.get(meeting_id)
        if meeting is None:
            raise MeetingError("refusal.no_meeting", id=meeting_id)
        return meeting

    async def count_concerns(self, meeting_id: int) -> dict[str, int]:
        async with self._database.transaction() as connection:
            return await ConcernRepository(connection, self._unit_id).count_by_status(meeting_id)

    async def ensure_demo(self) -> Meeting:
        """The sandbox's meeting: an open one if there is any, else one two weeks ahead (DEMO_*)."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            accepting = await MeetingRepository(connection, self._unit_id).list_accepting(now)
        if accepting:
            return accepting[0]
        # At a working hour of the unit's own day, two weeks ahead: well past the law's 7 days'
        # notice, so the demo shows no warning, and at an hour a real meeting would be held.
        zone = self._settings.zone
        day = (now.astimezone(zone) + DEMO_AHEAD).date()
        created = await self.create(
            MeetingDraft(
                title=f"Hội nghị đối thoại giữa Chủ tịch UBND và Nhân dân {self._settings.unit.name} (thử nghiệm)",
                starts_at=datetime.combine(day, DEMO_STARTS, zone),
                place=f"Hội trường UBND {self._settings.unit.name}",
                intake_opens_at=now - timedelta(minutes=1),
                intake_closes_at=datetime.combine(day - DEMO_INTAKE_ENDS_BEFORE, DEMO_INTAKE_ENDS, zone),
            ),
            actor="sandbox",
        )
        return created.meeting

    async def _editable(self, meetings: MeetingRepository, meeting_id: int, now: datetime) -> Meeting:
        meeting = await meetings.get(meeting_id)
        if meeting is None:
            raise MeetingError("refusal.no_meeting", id=meeting_id)
        phase = meeting.phase(now)
        if phase.final:
            raise MeetingError("refusal.meeting_final", id=meeting_id, phase=phase_term(phase))
        return meeting

    def _check(
        self, title: str, place: str, format: str, area_id: str,
        starts_at: datetime, opens: datetime, closes: datetime, now: datetime,
    ) -> None:
        if not title.strip() or not place.strip():
            raise MeetingError("refusal.title_place_required")
        if self._areas.get(area_id) is None:
            raise MeetingError("refusal.unknown_area", area=area_id)
        if MeetingFormat.of(format) is None:
            raise MeetingError("refusal.bad_format", formats=MeetingFormat.listed())
        if starts_at <= now:
            raise MeetingError("refusal.starts_in_past")
        if closes <= opens:
            raise MeetingError("refusal.intake_order")
        if closes > starts_at:
            raise MeetingError("refusal.intake_after_start")

    @staticmethod
    def _warnings(meeting: Meeting, now: datetime) -> tuple[str, ...]:
        if meeting.status == Phase.ANNOUNCED and gives_short_notice(meeting.starts_at, meeting.announced_at or now):
            return ("the meeting is less than 7 days away: the law asks for 7 days' notice of a dialogue",)
        return ()

    async def _changed(self) -> None:
        for callback in self.on_change:
            await callback()


def gives_short_notice(starts_at: datetime, announced_at: datetime) -> bool:
    """Whether residents told at `announced_at` get less notice than the law asks for: a warning
    staff see (the console before saving), never a refusal."""
    return starts_at - announced_at < NOTICE


def _default_close(opens: datetime, starts: datetime) -> datetime:
    """Two days before the meeting leaves staff time to build the agenda; a meeting at short
    notice closes halfway instead."""
    closes = starts - timedelta(days=2)
    return closes if closes > opens else opens + (starts - opens) / 2


def _snapshot(meeting: Meeting) -> dict[str, object]:
    # The unit is left out: a meeting never changes unit, and the log reads as it did before units.
    return {k: v for k, v in asdict(meeting).items() if k not in ("created_at", "version", "unit_id")}
