"""Fault injection: the next calls of a method fail with a given status, or answer late.

Tests queue faults with :meth:`FakeBotApi.fail_next` / :meth:`FakeBotApi.delay_next`; the
server consults them for every request, before the method itself runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from tests.fakebotapi.wire import ApiError, as_int


@dataclass
class Failure:
    method: str
    status: int
    retry_after: int | None
    description: str | None
    remaining: int
    chat_id: int | None  # only calls to this chat fail; None: any call of the method


@dataclass
class Delay:
    method: str
    seconds: float
    remaining: int


class Faults:
    """The queued failures and delays, used up in the order they were queued."""

    def __init__(self) -> None:
        self.failures: list[Failure] = []
        self.delays: list[Delay] = []

    def fail_next(
        self,
        method: str,
        status: int,
        retry_after: int | None,
        description: str | None,
        count: int,
        chat_id: int | None,
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1
        self.failures.append(Failure(method, status, retry_after, description, count, chat_id))

    def delay_next(self, method: str, seconds: float, count: int) -> None:
        self.delays.append(Delay(method, seconds, count))

    async def apply_delay(self, method: str, closing: asyncio.Event) -> None:
        """Holds the answer back; a server shutting down (``closing``) ends the wait early."""
        for delay in self.delays:
            if delay.method == method and delay.remaining > 0:
                delay.remaining -= 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closing.wait(), delay.seconds)
                return

    def apply_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self.failures:
            if failure.method != method or failure.remaining <= 0:
                continue
            if failure.chat_id is not None:
                try:
                    if as_int(params.get("chat_id"), "chat_id") != failure.chat_id:
                        continue
                except ApiError:
                    continue
            failure.remaining -= 1
            raise ApiError(failure.status, failure.description, failure.retry_after)
