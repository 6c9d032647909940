"""What a channel's sender tells the dispatcher: delivered, or how it failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.messages import Reply


@dataclass(frozen=True)
class Delivered:
    """What a sender that chooses between ways of sending says it chose: kept on the row.

    `quota_type` / `quota_left`: the platform's word on what the message was counted against
    and how many such messages remain today (Zalo's template messages)."""

    route: str
    quota_type: str | None = None
    quota_left: int | None = None


class DeliveryError(Exception):
    """What a `Sender` raises to tell the dispatcher how a send failed."""


class RetryAfter(DeliveryError):
    """The platform says "too many requests" (HTTP 429): the whole bot waits `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = max(0.0, float(seconds))


class TransientError(DeliveryError):
    """Network error, timeout, 5xx: the same message may well go through later."""


class Undeliverable(DeliveryError):
    """Blocked by the user, chat not found, account deactivated: trying again cannot help."""


class Held(DeliveryError):
    """The platform delivers to this user only after they write again (Zalo's window): the
    message is marked 'held', not retried, and the channel releases it when they next write.
    `route`, when given, is recorded on the row as the way it was (not) sent. `until`: the
    message is also tried again from then on (today's paid messages are used up: tomorrow)."""

    def __init__(self, message: str = "", *, route: str | None = None, until: datetime | None = None) -> None:
        super().__init__(message)
        self.route = route
        self.until = until


class Sender(Protocol):
    async def send(self, address: str, reply: Reply) -> Delivered | None:
        """Deliver one message, or raise a `DeliveryError` saying what went wrong. A sender
        with more than one way to send returns the one it took (`Delivered`), kept on the row."""
        ...
