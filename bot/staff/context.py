"""What a staff command works with: the services it calls, who asked, and the words they typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock, parse_local
from bot.config import Settings
from bot.domain.messages import Inbound
from bot.domain.payloads import MAX_RECORD_ID
from bot.services.meetings import MeetingError
from bot.services.layer import ServiceLayer
from bot.staff.views.wording import Wording


@dataclass(frozen=True)
class Staff:
    """The services behind the staff chat and the wording it answers in."""

    settings: Settings
    clock: Clock
    services: ServiceLayer
    words: Wording



@dataclass(frozen=True)
class Request:
    """Who asked (as the audit log names them), and the event it came in."""

    actor: str
    inbound: Inbound

    @classmethod
    def of(cls, inbound: Inbound) -> Request:
        return cls(f"{inbound.channel}:{inbound.user_id}", inbound)


class Usage(Exception):
    """The arguments do not make a command: answer with the command's usage sentence."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def whole(raw: str) -> int:
    """A typed number as int() reads it; ValueError (answered as bad arguments) beyond SQLite's integers."""
    number = int(raw)
    # Every number staff type ends up in a query: a bigger one would raise OverflowError there.
    if abs(number) > MAX_RECORD_ID:
        raise ValueError(f"number out of range: {raw[:20]!r}")
    return number


@dataclass(frozen=True)
class Arguments:
    """The words after a command, and what reading them needs (the unit's zone for times).

    Reading past the end or a word that is not a number raises IndexError or ValueError,
    which the desk answers with its "bad arguments" sentence, as it always has.
    """

    words: tuple[str, ...]
    zone: ZoneInfo

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, position: int) -> str:
        return self.words[position]

    def text(self, start: int = 0) -> str:
        return " ".join(self.words[start:])

    def meeting(self, position: int = 0) -> int | None:
        """The meeting id at `position`, or None: then the service picks the meeting meant."""
        return self.number(position)

    def number(self, position: int) -> int | None:
        """The number at `position`, or None if there is none there."""
        if len(self.words) > position and self.words[position].isdecimal():
            return whole(self.words[position])
        return None

    def time(self, raw: str) -> datetime:
        try:
            return parse_local(raw, self.zone)
        except ValueError:
            raise MeetingError("refusal.bad_time", value=raw.strip()) from None
