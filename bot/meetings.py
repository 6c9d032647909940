"""Creating and listing meetings (staff), with the checks the law and common sense ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.areas import AreaTree
from bot.clock import Clock
from bot.config import Settings
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.records import MEETING_FORMATS, Meeting

# A dialogue must be announced at least 7 days ahead (see shared/domain/README.md).
NOTICE = timedelta(days=7)


class MeetingError(ValueError):
    """A meeting that cannot be created as asked; the message says why, for staff."""


@dataclass(frozen=True)
class MeetingDraft:
    title: str
    starts_at: datetime
    place: str
    format: str = "in_person"
    area_id: str | None = None
    intake_opens_at: datetime | None = None
    intake_closes_at: datetime | None = None


@dataclass(frozen=True)
class Created:
    meeting: Meeting
    warnings: tuple[str, ...]


class MeetingService:
    def __init__(self, settings: Settings, database: Database, clock: Clock) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._areas = AreaTree(settings)

    async def create(self, draft: MeetingDraft) -> Created:
        now = self._clock.now()
        area_id = draft.area_id or self._areas.roots[0].id
        if self._areas.get(area_id) is None:
            raise MeetingError(f"unknown area {area_id!r}")
        if draft.format not in MEETING_FORMATS:
            raise MeetingError(f"format must be one of {', '.join(MEETING_FORMATS)}")
        if not draft.title.strip() or not draft.place.strip():
            raise MeetingError("title and place are required")
        if draft.starts_at <= now:
            raise MeetingError("the meeting must start in the future")
        opens = draft.intake_opens_at or now
        closes = draft.intake_closes_at or draft.starts_at - timedelta(days=2)
        if closes <= opens:
            raise MeetingError("the intake must close after it opens")
        if closes > draft.starts_at:
            raise MeetingError("the intake must close before the meeting starts")
        warnings = []
        if draft.starts_at - now < NOTICE:
            warnings.append(
                "the meeting is less than 7 days away: the law asks for 7 days' notice of a dialogue"
            )
        async with self._database.transaction() as connection:
            meeting = await MeetingRepository(connection).create(
                title=draft.title.strip(),
                area_id=area_id,
                starts_at=draft.starts_at,
                place=draft.place.strip(),
                format=draft.format,
                intake_opens_at=opens,
                intake_closes_at=closes,
                now=now,
            )
        return Created(meeting, tuple(warnings))

    async def list(self) -> list[Meeting]:
        async with self._database.transaction() as connection:
            return await MeetingRepository(connection).list_all()

    async def get(self, meeting_id: int) -> Meeting | None:
        async with self._database.transaction() as connection:
            return await MeetingRepository(connection).get(meeting_id)

    async def count_concerns(self, meeting_id: int) -> dict[str, int]:
        async with self._database.transaction() as connection:
            return await ConcernRepository(connection).count_by_status(meeting_id)

    async def ensure_demo(self) -> Meeting:
        """The sandbox's meeting: an open one if there is any, else one two weeks ahead."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            accepting = await MeetingRepository(connection).list_accepting(now)
        if accepting:
            return accepting[0]
        created = await self.create(
            MeetingDraft(
                title=f"Hội nghị đối thoại giữa Chủ tịch UBND và Nhân dân {self._settings.unit.name} (thử nghiệm)",
                starts_at=(now + timedelta(days=14)).replace(minute=0, second=0, microsecond=0),
                place=f"Hội trường UBND {self._settings.unit.name}",
                intake_opens_at=now - timedelta(minutes=1),
                intake_closes_at=now + timedelta(days=11),
            )
        )
        return created.meeting
