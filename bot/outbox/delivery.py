"""What a channel's sender tells the dispatcher: delivered, or how it failed."""

from __future__ import annotations

from typing import Protocol

from bot.domain.messages import Reply


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
    message is marked 'held', not retried, and the channel releases it when they next write."""


class Sender(Protocol):
    async def send(self, address: str, reply: Reply) -> None:
        """Deliver one message, or raise a `DeliveryError` saying what went wrong."""
        ...
