"""Records as the rest of the application sees them: plain frozen dataclasses, times in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.vocabulary import Disposition, MeetingFormat


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


MEETING_FORMATS = tuple(MeetingFormat)


@dataclass(frozen=True)
class Meeting:
    id: int
    title: str
    area_id: str
    starts_at: datetime
    place: str
    format: str
    intake_opens_at: datetime
    intake_closes_at: datetime
    status: str
    created_at: datetime
    announced_at: datetime | None = None
    cancelled_reason: str | None = None
    version: int = 1
    published_at: datetime | None = None
    results_exported_at: datetime | None = None

    def phase(self, now: datetime) -> str:
        """draft → announced → intake_open → intake_closed → held → published; or cancelled.

        Only draft, announced, published and cancelled are stored; the phases in between
        follow from the clock, so a late or missed job can never leave intake open too long.
        """
        if self.status != "announced":
            return self.status
        if now < self.intake_opens_at:
            return "announced"
        if now < self.intake_closes_at:
            return "intake_open"
        if now < self.starts_at:
            return "intake_closed"
        return "held"

    def accepts_concerns_at(self, now: datetime) -> bool:
        return self.phase(now) == "intake_open"


@dataclass(frozen=True)
class NewConcern:
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
    status: str
    language: str
    submitted_at: datetime
    withdrawn_at: datetime | None
    photos: tuple[str, ...]
    version: int = 1
    merged_into: int | None = None
    reject_reason: str | None = None
    proxy: bool = False
    carried_from: int | None = None


DISPOSITIONS = tuple(Disposition)


@dataclass(frozen=True)
class Answer:
    concern_id: int
    disposition: str
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
        return self.disposition == "forwarded" and self.final_answer is None

    def overdue_on(self, today: date) -> bool:
        return self.awaiting_agency and self.due_date is not None and today > self.due_date


@dataclass(frozen=True)
class FollowedConcern:
    """A concern as one of its followers sees it in /my."""

    concern: Concern
    role: str
