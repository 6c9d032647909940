"""The resident's two button families, each built and parsed by one typed codec.

* Step buttons, ``"{version}:{action}:{arg}"``: offered by the prompt of one step. The version
  is the conversation's at the time the prompt was shown, so a button pressed after the
  conversation moved on is recognised as stale.
* Global buttons, ``"g:{action}:{arg}"``: valid whatever the step (menu, /my, privacy, the
  satisfaction question sent with an answer).

The wire format is the one stored in conversations and sent in pending messages: it must not
change. Fields go through `bot.domain.payloads.join` / `split`, which hold the size limit.
Parsing only says what a payload claims; whoever acts on it re-checks that it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from bot.domain.payloads import join, split

GLOBAL_SCOPE = "g"

_Action = TypeVar("_Action", bound=StrEnum)


class StepAction(StrEnum):
    CONSENT = "c"
    MEETING = "m"
    AREA = "a"
    AREA_WHOLE = "ah"
    AREA_BACK = "ab"
    TOPIC = "t"
    PHOTOS = "p"
    LOCATION = "l"
    CONTACT = "k"
    PHONE = "ph"
    PROXY_PHONE = "pp"
    SEND = "ok"
    EDIT = "edit"
    CANCEL = "x"
    SUPPORT = "sup"


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
class StepPayload:
    # None when the first field is not a number: no prompt of ours wrote it, so it is as stale
    # as a button of an old prompt.
    version: int | None
    # None for an action no step offers; still stale or invalid depending on the version.
    action: StepAction | None
    arg: str = ""

    def encode(self) -> str:
        assert self.version is not None and self.action is not None, "only offered buttons are built"
        return join(self.version, self.action, self.arg)

    @property
    def number(self) -> int | None:
        """The argument as a record id, if it is one."""
        return _number(self.arg)


@dataclass(frozen=True)
class GlobalPayload:
    action: GlobalAction
    arg: str = ""

    def encode(self) -> str:
        return join(GLOBAL_SCOPE, self.action, self.arg)

    @property
    def number(self) -> int | None:
        """The argument as a record id, if it is one."""
        return _number(self.arg)

    @property
    def rating(self) -> tuple[int, bool] | None:
        """A satisfaction answer's ``"{concern_id}:{1|0}"`` as (concern id, satisfied)."""
        fields = split(self.arg, 2)
        if fields is None:
            return None
        concern_id, verdict = fields
        if not concern_id.isdecimal() or verdict not in ("0", "1"):
            return None
        return int(concern_id), verdict == "1"


def step_payload(version: int, action: StepAction, arg: str = "") -> str:
    return StepPayload(version, action, arg).encode()


def global_payload(action: GlobalAction, arg: str | int = "") -> str:
    return GlobalPayload(action, str(arg)).encode()


def parse(payload: str) -> StepPayload | GlobalPayload | None:
    """What a pressed button claims to be; None if it is no payload of ours at all."""
    fields = split(payload, 3)
    if fields is None:
        return None
    scope, action, arg = fields
    if scope == GLOBAL_SCOPE:
        known = _member(GlobalAction, action)
        return None if known is None else GlobalPayload(known, arg)
    # isdecimal, as for every number a resident can send: '²' is not one, '３' is.
    version = int(scope) if scope.isdecimal() else None
    return StepPayload(version, _member(StepAction, action), arg)


def _member(enum: type[_Action], value: str) -> _Action | None:
    try:
        return enum(value)
    except ValueError:
        return None


def _number(arg: str) -> int | None:
    return int(arg) if arg.isdecimal() else None
