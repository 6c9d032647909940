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

from bot.domain.payloads import join, record_id, split
from bot.domain.resident_buttons import GLOBAL_SCOPE, GlobalAction, GlobalPayload, global_payload, number_in

__all__ = ["GLOBAL_SCOPE", "GlobalAction", "GlobalPayload", "StepAction", "StepPayload", "global_payload", "parse", "step_payload"]

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
    NOT_SIMILAR = "nsim"


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
        return number_in(self.arg)


def step_payload(version: int, action: StepAction, arg: str = "") -> str:
    return StepPayload(version, action, arg).encode()


def parse(payload: str) -> StepPayload | GlobalPayload | None:
    """What a pressed button claims to be; None if it is no payload of ours at all."""
    fields = split(payload, 3)
    if fields is None:
        return None
    scope, action, arg = fields
    if scope == GLOBAL_SCOPE:
        known = _member(GlobalAction, action)
        return None if known is None else GlobalPayload(known, arg)
    # A version too big for a conversation to have reached is as stale as a non-number.
    version = record_id(scope)
    return StepPayload(version, _member(StepAction, action), arg)


def _member(enum: type[_Action], value: str) -> _Action | None:
    try:
        return enum(value)
    except ValueError:
        return None
