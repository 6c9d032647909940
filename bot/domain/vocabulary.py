"""The product's vocabularies, each defined once: values as stored, catalog keys, and their rules.

Every value is a `StrEnum`, so it is stored and compared as the plain word it always was
("forwarded" == Disposition.FORWARDED); documents, imports, chat and CLI read labels and
rules from here instead of keeping their own lists.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class _Vocabulary(StrEnum):
    """What every vocabulary offers besides its words."""

    @classmethod
    def of(cls, value: str) -> Self | None:
        """The word spelled exactly `value` (as stored, or as a file or a command gives it), or None.

        Python 3.11 cannot answer `"x" in SomeEnum` for a plain string, hence this.
        """
        try:
            return cls(value)
        except ValueError:
            return None

    @classmethod
    def listed(cls) -> str:
        """The words, comma-separated, as a refusal lists the ones allowed."""
        return ", ".join(cls)


class Disposition(_Vocabulary):
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

    @property
    def awaits_final_answer(self) -> bool:
        """The agency a concern was forwarded to owes a final answer, which is followed up."""
        return self is Disposition.FORWARDED

    @classmethod
    def parse(cls, value: str) -> Disposition | None:
        try:
            return cls(value.strip().lower())
        except ValueError:
            return None


class ConcernStatus(_Vocabulary):
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

    @property
    def carriable(self) -> bool:
        """A concern still standing, or already carried once, can be taken to a later meeting."""
        return self in (ConcernStatus.OPEN, ConcernStatus.CARRIED)

    @property
    def counted(self) -> bool:
        """Counted in the statistics as a concern of its own: one still standing, or carried on
        (merged ones are counted in the concern they joined; withdrawn and rejected ones not at all)."""
        return self in (ConcernStatus.OPEN, ConcernStatus.CARRIED)


class Phase(_Vocabulary):
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

    @property
    def final(self) -> bool:
        """Once held (or cancelled) a meeting is what it was: staff can no longer change it,
        and it can no longer take concerns carried over from another meeting."""
        return self in (Phase.HELD, Phase.PUBLISHED, Phase.CANCELLED)

    @property
    def held(self) -> bool:
        """The meeting has taken place: its answers can be published (again)."""
        return self in (Phase.HELD, Phase.PUBLISHED)

    @property
    def scheduled(self) -> bool:
        """A stored phase with work on the schedule: an announced meeting has its announcement,
        reminder and close to come, a published one its results deadline; drafts and cancelled
        meetings have none."""
        return self in (Phase.ANNOUNCED, Phase.PUBLISHED)

    @property
    def concluded(self) -> bool:
        """Nothing is left to prepare: the results are out, or the meeting will not take place."""
        return self in (Phase.PUBLISHED, Phase.CANCELLED)


STORED_PHASES = frozenset({Phase.DRAFT, Phase.ANNOUNCED, Phase.PUBLISHED, Phase.CANCELLED})


class MeetingFormat(_Vocabulary):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"

    @property
    def catalog_key(self) -> str:
        return f"format.{self.value}"


class Role(_Vocabulary):
    """What a person may do; who holds which role is configuration (no resident ever reads these)."""

    ADMIN = "admin"
    STAFF = "staff"
    GROUP_HEAD = "group_head"


class FollowerRole(_Vocabulary):
    """How a resident follows a concern: they wrote it, or they supported it with +1."""

    AUTHOR = "author"
    SUPPORTER = "supporter"

    @property
    def catalog_key(self) -> str:
        return f"role.{self.value}"
