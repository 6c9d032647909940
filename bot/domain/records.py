"""Records as the rest of the application sees them: plain frozen dataclasses, times in UTC."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from bot.domain.vocabulary import ConcernStatus, Disposition, FollowerRole, MeetingFormat, Phase

# Every meeting, concern and consent belongs to a unit (a commune or ward). A deployment
# whose config names no unit id, and every row written before units existed, use this one.
DEFAULT_UNIT_ID = "unit"


@dataclass(frozen=True)
class Resident:
    id: int
    channel: str
    channel_user_id: str
    language: str
    created_at: datetime


@dataclass(frozen=True)
class Consent:
    purpose: str
    text_version: str
    given: bool
    at: datetime


@dataclass(frozen=True)
class Meeting:
    id: int
    title: str
    area_id: str
    starts_at: datetime
    place: str
    format: MeetingFormat
    intake_opens_at: datetime
    intake_closes_at: datetime
    status: Phase  # one of STORED_PHASES
    created_at: datetime
    announced_at: datetime | None = None
    cancelled_reason: str | None = None
    version: int = 1
    published_at: datetime | None = None
    results_exported_at: datetime | None = None
    unit_id: str = DEFAULT_UNIT_ID

    def phase(self, now: datetime) -> Phase:
        """draft → announced → intake_open → intake_closed → held → published; or cancelled.

        Only draft, announced, published and cancelled are stored; the phases in between
        follow from the clock, so a late or missed job can never leave intake open too long.
        """
        if self.status != Phase.ANNOUNCED:
            return self.status
        if now < self.intake_opens_at:
            return Phase.ANNOUNCED
        if now < self.intake_closes_at:
            return Phase.INTAKE_OPEN
        if now < self.starts_at:
            return Phase.INTAKE_CLOSED
        return Phase.HELD

    def accepts_concerns_at(self, now: datetime) -> bool:
        return self.phase(now) == Phase.INTAKE_OPEN


@dataclass(frozen=True)
class NewConcern:
    """A concern as it is submitted: the one declaration of what a concern is made of.

    The storage writes every field (storage/concerns.py derives its INSERT from these), and
    carrying a concern over copies or resets each one as CARRY_OVER_KEEPS and
    CARRY_OVER_RESETS declare; a field added here must be added to one of the two.
    """

    draft_key: str
    meeting_id: int
    area_id: str
    topic_id: str
    text: str
    author_id: int
    language: str
    contact_name: str | None = None
    contact_phone: str | None = None
    phone_verified: bool = False
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[str, ...] = ()
    text_folded: str = ""
    proxy: bool = False
    carried_from: int | None = None


@dataclass(frozen=True)
class Concern:
    id: int
    code: str
    meeting_id: int
    area_id: str
    topic_id: str
    text: str
    author_id: int
    contact_name: str | None
    contact_phone: str | None
    phone_verified: bool
    latitude: float | None
    longitude: float | None
    status: ConcernStatus
    language: str
    submitted_at: datetime
    withdrawn_at: datetime | None
    photos: tuple[str, ...]
    version: int = 1
    merged_into: int | None = None
    reject_reason: str | None = None
    proxy: bool = False
    carried_from: int | None = None
    text_folded: str = ""
    unit_id: str = DEFAULT_UNIT_ID


# A concern carried over to a later meeting is the same request of the same residents: what
# they wrote, where, about what, how to reach them and their photos go with it ...
CARRY_OVER_KEEPS = frozenset({
    "area_id", "topic_id", "text", "text_folded", "author_id", "language", "contact_name", "contact_phone",
    "phone_verified", "latitude", "longitude", "photos", "proxy",
})
# ... while these say which meeting it now belongs to and where it came from.
CARRY_OVER_RESETS = frozenset({"draft_key", "meeting_id", "carried_from"})


def carried_over(source: Concern, meeting_id: int) -> NewConcern:
    """The copy of `source` that a later meeting takes; confirming it twice stores one concern."""
    kept = {field.name: getattr(source, field.name) for field in fields(NewConcern) if field.name in CARRY_OVER_KEEPS}
    return NewConcern(
        **kept,
        draft_key=f"carry:{source.id}:{meeting_id}",
        meeting_id=meeting_id,
        carried_from=source.id,
    )


@dataclass(frozen=True)
class Answer:
    concern_id: int
    disposition: Disposition
    answer: str
    answered_by: str
    agency: str | None
    due_date: date | None
    recorded_at: datetime
    recorded_by: str
    final_answer: str | None
    final_at: datetime | None
    final_by: str | None
    version: int

    @property
    def awaiting_agency(self) -> bool:
        return self.disposition.awaits_final_answer and self.final_answer is None

    def overdue_on(self, today: date) -> bool:
        return self.awaiting_agency and self.due_date is not None and today > self.due_date


@dataclass(frozen=True)
class FollowedConcern:
    """A concern as one of its followers sees it in /my."""

    concern: Concern
    role: FollowerRole
