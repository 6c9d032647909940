"""Staff buttons (`s:<kind>:<fields>`) as typed values: built and read here, and nowhere else.

The wire format is the one staff chats already hold in old messages: the prefix `s`, a short
kind, then the kind's fields. A pressed button comes back from someone's phone and is never
trusted: it is read into a `Pressed` (prefix and kind, still untrusted text) so the desk can
check the sender's role and audit a refusal before anything else, and only then decoded
into its typed button. The 64-byte limit is checked by `bot.domain.payloads`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self, get_type_hints

from bot.domain.payloads import join, record_id, split

PREFIX = "s"


class ButtonKind(StrEnum):
    QUEUE = "q"
    CONCERN = "c"
    TOPIC_MENU = "tm"
    SET_TOPIC = "st"
    AREA_MENU = "am"
    SET_AREA = "sa"
    MERGE = "mg"
    AGENDA = "ag"
    TOGGLE_ITEM = "ai"
    MOVE_ITEM_UP = "au"
    EXPORT = "ex"


class MalformedButton(ValueError):
    """A staff payload whose fields do not fit its kind: forged or damaged, answered as bad arguments."""


class StaffButton:
    """What every staff button has: its kind, its fields in order, and its payload."""

    kind: ClassVar[ButtonKind]

    def fields(self) -> tuple[str | int, ...]:
        """The button's fields in declared order, as they go on the wire (a flag as 1 or 0)."""
        return tuple(_wire(getattr(self, f.name)) for f in dataclasses.fields(self))  # type: ignore[arg-type]

    @classmethod
    def from_fields(cls, fields: Sequence[str]) -> Self:
        """The button from its wire fields; ValueError when one is not of its declared type."""
        types = get_type_hints(cls)
        declared = dataclasses.fields(cls)  # type: ignore[arg-type]
        return cls(*(_typed(types[f.name], raw) for f, raw in zip(declared, fields, strict=True)))

    @classmethod
    def arity(cls) -> int:
        return len(dataclasses.fields(cls))  # type: ignore[arg-type]  # every subclass is a dataclass

    @property
    def payload(self) -> str:
        return join(PREFIX, self.kind, *self.fields())


@dataclass(frozen=True)
class QueuePage(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.QUEUE
    meeting_id: int
    page: int


@dataclass(frozen=True)
class ShowConcern(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.CONCERN
    concern_id: int


@dataclass(frozen=True)
class TopicMenu(StaffButton):
    """The topics to choose from; `version` is the concern as the staff member saw it."""

    kind: ClassVar[ButtonKind] = ButtonKind.TOPIC_MENU
    concern_id: int
    version: int


@dataclass(frozen=True)
class SetTopic(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.SET_TOPIC
    concern_id: int
    version: int
    topic_id: str


@dataclass(frozen=True)
class AreaMenu(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.AREA_MENU
    concern_id: int
    version: int


@dataclass(frozen=True)
class SetArea(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.SET_AREA
    concern_id: int
    version: int
    area_id: str


@dataclass(frozen=True)
class Merge(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.MERGE
    source_id: int
    target_id: int


@dataclass(frozen=True)
class ShowAgenda(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.AGENDA
    meeting_id: int


@dataclass(frozen=True)
class ToggleItem(StaffButton):
    """Put agenda item `number` on the agenda (`include`) or take it off."""

    kind: ClassVar[ButtonKind] = ButtonKind.TOGGLE_ITEM
    meeting_id: int
    number: int
    include: bool


@dataclass(frozen=True)
class MoveItemUp(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.MOVE_ITEM_UP
    meeting_id: int
    number: int


@dataclass(frozen=True)
class Export(StaffButton):
    kind: ClassVar[ButtonKind] = ButtonKind.EXPORT
    meeting_id: int
    format: str


BUTTONS: dict[str, type[StaffButton]] = {
    cls.kind: cls
    for cls in (QueuePage, ShowConcern, TopicMenu, SetTopic, AreaMenu, SetArea, Merge,
                ShowAgenda, ToggleItem, MoveItemUp, Export)
}


def _wire(value: object) -> str | int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | str):
        return value
    raise TypeError(f"a staff button field must be int, bool or str, not {type(value).__name__}")


def _typed(kind: Any, raw: str) -> object:
    if kind is bool:
        return raw == "1"
    if kind is int:
        # Every int field is a record id or a page: one beyond SQLite's integers is forged.
        number = record_id(raw)
        if number is None:
            raise ValueError(f"not a record id: {raw[:20]!r}")
        return number
    return raw


@dataclass(frozen=True)
class Pressed:
    """A staff button as it came back: its kind and fields, not yet trusted or decoded."""

    kind: str
    fields: tuple[str, ...]

    @property
    def action(self) -> str:
        """The name the audit log knows this press by."""
        return f"button:{self.kind}"


def is_staff_payload(payload: str | None) -> bool:
    return (payload or "").startswith(PREFIX + ":")


def pressed(payload: str) -> Pressed:
    """A staff payload (see `is_staff_payload`) cut into its kind and fields."""
    envelope = split(payload, 2)
    if envelope is None:
        return Pressed("", ())  # too long for any button we make: treated as an unknown one
    head = split(envelope[1], 2)
    if head is None:
        return Pressed(envelope[1], ())
    kind, rest = head
    known = BUTTONS.get(kind)
    fields = split(rest, known.arity()) if known is not None else None
    return Pressed(kind, tuple(fields) if fields is not None else (rest,))


def decode(press: Pressed) -> StaffButton | None:
    """The typed button, None for a kind we never made; MalformedButton if the fields do not fit."""
    known = BUTTONS.get(press.kind)
    if known is None:
        return None
    if len(press.fields) != known.arity():
        raise MalformedButton(press.action)
    try:
        return known.from_fields(press.fields)
    except ValueError as error:
        raise MalformedButton(press.action) from error
