"""A per-user flood guard: a sliding one-minute window, in memory.

A flood is a burst, so memory is the right place: a restart forgives it.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Literal

WINDOW = timedelta(minutes=1)


class FloodGuard:
    def __init__(self, per_minute: int) -> None:
        self._limit = per_minute
        self._seen: dict[str, deque[datetime]] = {}
        self._warned: dict[str, datetime] = {}

    def check(self, key: str, now: datetime) -> Literal["ok", "warn", "drop"]:
        """'warn' once when a user goes over the limit, then 'drop' until the window frees."""
        seen = self._seen.setdefault(key, deque())
        while seen and now - seen[0] >= WINDOW:
            seen.popleft()
        if len(seen) < self._limit:
            seen.append(now)
            self._warned.pop(key, None)
            if len(self._seen) > 10_000:
                self._forget_idle(now)
            return "ok"
        if key in self._warned:
            return "drop"
        self._warned[key] = now
        return "warn"

    def _forget_idle(self, now: datetime) -> None:
        for key in [k for k, v in self._seen.items() if not v or now - v[-1] >= WINDOW]:
            del self._seen[key]

