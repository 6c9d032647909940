"""The product's vocabularies, each defined once: values as stored, catalog keys, and their rules.

Every value is a `StrEnum`, so it is stored and compared as the plain word it always was
("forwarded" == Disposition.FORWARDED); documents, imports, chat and CLI read labels and
rules from here instead of keeping their own lists.
"""

from __future__ import annotations

from enum import StrEnum


class Disposition(StrEnum):
    """How the chair answered a concern at the meeting."""

    ANSWERED = "answered"
    EXPLAINED = "explained"
    FORWARDED = "forwarded"
    NOT_ACCEPTED = "not_accepted"

    @property
    def catalog_key(self) -> str:
        return f"disposition.{self.value}"

    @property
    def needs_agency(self) -> bool:
        """A forwarded concern names the agency and the date it must answer by."""
        return self is Disposition.FORWARDED

    @property
    def needs_due_date(self) -> bool:
        return self is Disposition.FORWARDED

    @classmethod
    def parse(cls, value: str) -> Disposition | None:
        try:
            return cls(value.strip().lower())
        except ValueError:
            return None


class ConcernStatus(StrEnum):
    """Where a concern stands in the office's queue (the answer is kept beside it, not here)."""

    OPEN = "open"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    MERGED = "merged"
    CARRIED = "carried"

    @property
    def catalog_key(self) -> str:
        return f"status.{self.value}"

    @property
    def refusal_key(self) -> str:
        """The same status as a phrase inside a refusal ("ý kiến TT-0012 đã được gộp …")."""
        return f"refusal.status.{self.value}"

    @property
    def reaches_meeting(self) -> bool:
        """Whether the concern (itself, or through the one it was merged into) goes to the meeting."""
        return self in (ConcernStatus.OPEN, ConcernStatus.MERGED)


class Phase(StrEnum):
    """A meeting's phase. Only draft, announced, published and cancelled are stored; the
    phases between announced and published follow from the clock."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    INTAKE_OPEN = "intake_open"
    INTAKE_CLOSED = "intake_closed"
    HELD = "held"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def catalog_key(self) -> str:
        return f"phase.{self.value}"

    @property
    def refusal_key(self) -> str:
        return f"refusal.phase.{self.value}"

    @property
    def answerable(self) -> bool:
        """Answers are recorded once intake has closed, and corrected after publishing."""
        return self in (Phase.INTAKE_CLOSED, Phase.HELD, Phase.PUBLISHED)


STORED_PHASES = frozenset({Phase.DRAFT, Phase.ANNOUNCED, Phase.PUBLISHED, Phase.CANCELLED})


class MeetingFormat(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"

    @property
    def catalog_key(self) -> str:
        return f"format.{self.value}"


class Role(StrEnum):
    """What a person may do; who holds which role is configuration."""

    ADMIN = "admin"
    STAFF = "staff"
    GROUP_HEAD = "group_head"


class FollowerRole(StrEnum):
    """How a resident follows a concern: they wrote it, or they supported it with +1."""

    AUTHOR = "author"
    SUPPORTER = "supporter"

    @property
    def catalog_key(self) -> str:
        return f"role.{self.value}"
