"""How fast the outbox sends: spacing under the platform's limits, and backing off after failures."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import NotifySettings

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0
BACKOFF_JITTER = 0.2
# Idle chats are forgotten past this many, so a year of pushes does not grow the pacer forever.
_PACER_MEMORY = 10_000


def backoff_delay(attempt: int, random: Callable[[], float]) -> timedelta:
    """How long to wait after the `attempt`-th failed try: 1 s, 2 s, 4 s, … capped at 5 min.

    The ±20% jitter (applied after the cap) spreads out messages that failed together, say
    during a network outage, so they do not all come back in the same instant.
    """
    doubling = BACKOFF_BASE_SECONDS * 2 ** min(max(attempt - 1, 0), 30)
    seconds = min(BACKOFF_CAP_SECONDS, doubling)
    return timedelta(seconds=seconds * (1 + BACKOFF_JITTER * (2 * random() - 1)))


# Paced a little under the configured limit: a request that reaches Telegram a few ms late
# must not put one send too many into a second (each 429 stops the whole bot).
PACING_MARGIN = 0.97


def _interval(per_second: float) -> timedelta:
    # Rounded up to the microsecond: rounding down would exceed the limit, if only slightly.
    return timedelta(microseconds=math.ceil(1_000_000 / (per_second * PACING_MARGIN)))


# A send may go up to this much before its slot on the timeline of slots. The event loop
# sleeps in whole milliseconds and wakes late on a busy machine: with every send waiting for
# its exact slot, each oversleep lengthened every gap (a publish at 30/s ran at 28, one at
# 1,000/s, a gap of 1 ms, at half that). A send later than its slot starts the timeline
# again from itself (it never catches up), so no n sends ever span less than (n-1) gaps
# minus this, which the 3% margin covers with room for the network's own jitter.
EARLY = timedelta(milliseconds=5)


class Pacer:
    """Spaces the sends of one bot (one channel): a fixed gap between any two sends, a longer
    one between two sends to one chat, and nothing at all while a 429 pause lasts.

    Fixed spacing rather than a token bucket: the platform counts bursts, not averages.
    The slots keep their timeline while sends keep up with it (up to EARLY ahead of it); a
    send later than its slot starts the timeline again from itself, never catching up.
    """

    def __init__(self, clock: Clock, settings: NotifySettings, sleep: Callable[[float], Awaitable[None]]) -> None:
        self._clock = clock
        self._sleep = sleep
        self._gap = _interval(settings.per_second)
        self._chat_gap = _interval(settings.per_chat_per_second)
        self._next_any: datetime | None = None
        self._next_for: dict[str, datetime] = {}
        self.paused_until: datetime | None = None
        # One sender at a time waits for the next slot, the others behind it in order: all of
        # them sleeping towards the same instant would wake together for every send.
        self._queue = asyncio.Lock()

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def pause(self, seconds: float) -> None:
        until = self._clock.now() + timedelta(seconds=seconds)
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    async def acquire(self, address: str) -> bool:
        """Wait for this chat's turn; False if a pause began meanwhile (do not hold the
        message through it: give it back)."""
        # The chat's own gap first, outside the queue: it must not hold up other chats.
        if not await self._wait_until(lambda: self._next_for.get(address)):
            return False
        async with self._queue:
            if not await self._wait_until(lambda: self._ready_at(address)):
                return False
            # No await between the last check and this: in asyncio the slot is taken atomically.
            now = self._clock.now()
            slot = now if self._next_any is None else max(self._next_any, now)
            self._next_any = slot + self._gap
            self._next_for[address] = now + self._chat_gap
            if len(self._next_for) > _PACER_MEMORY:
                self._forget_idle(now)
        return True

    async def _wait_until(self, ready_at: Callable[[], datetime | None]) -> bool:
        """Sleep until `ready_at()` has passed; False as soon as a pause begins."""
        while True:
            now = self._clock.now()
            if self.paused(now):
                return False
            ready = ready_at()
            if ready is None or ready <= now:
                return True
            await self._sleep((ready - now).total_seconds())

    def _ready_at(self, address: str) -> datetime | None:
        early = self._next_any - EARLY if self._next_any is not None else None
        limits = [limit for limit in (early, self._next_for.get(address)) if limit is not None]
        return max(limits, default=None)

    def _forget_idle(self, now: datetime) -> None:
        for address in [a for a, at in self._next_for.items() if at <= now]:
            del self._next_for[address]
