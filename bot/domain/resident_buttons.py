"""The resident's global buttons, ``"g:{action}:{arg}"``: valid whatever step the dialogue is at.

They come with the menu, /my, /privacy, and with pushes the services send (the satisfaction
question under an answer), so their codec lives below both: the dialogue parses them, the
services build them. Fields go through `bot.domain.payloads.join` / `split`, which hold the
size limit. Parsing only says what a payload claims; whoever acts on it re-checks that it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.payloads import join, record_id, split

GLOBAL_SCOPE = "g"


class GlobalAction(StrEnum):
    NEW = "new"
    PROXY = "proxy"
    MY = "my"
    HELP = "help"
    LANGUAGE = "lang"
    WITHDRAW = "wd"
    WITHDRAW_YES = "wdy"
    WITHDRAW_NO = "wdn"
    DELETE = "del"
    SUBSCRIBE = "sub"
    SATISFACTION = "sat"
    SATISFACTION_SKIP = "satskip"
    CONSENT = "consent"


@dataclass(frozen=True)
class GlobalPayload:
    action: GlobalAction
    arg: str = ""

    def encode(self) -> str:
        return join(GLOBAL_SCOPE, self.action, self.arg)

    @property
    def number(self) -> int | None:
        """The argument as a record id, if it is one."""
        return number_in(self.arg)

    @property
    def rating(self) -> tuple[int, bool] | None:
        """A satisfaction answer's ``"{concern_id}:{1|0}"`` as (concern id, satisfied)."""
        fields = split(self.arg, 2)
        if fields is None:
            return None
        concern_id, verdict = record_id(fields[0]), fields[1]
        if concern_id is None or verdict not in ("0", "1"):
            return None
        return concern_id, verdict == "1"


def global_payload(action: GlobalAction, arg: str | int = "") -> str:
    return GlobalPayload(action, str(arg)).encode()


def satisfaction_payload(concern_id: int, satisfied: bool) -> str:
    """The answer to "Bạn có hài lòng?" under a pushed answer."""
    return global_payload(GlobalAction.SATISFACTION, f"{concern_id}:{int(satisfied)}")


def number_in(arg: str) -> int | None:
    """An argument as a record id, if it is one: a number too big for any record is none."""
    return record_id(arg)
