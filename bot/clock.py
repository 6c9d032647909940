"""Time comes from an injected clock so that tests never depend on today's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, benchmarks, the sandbox's demo)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


def to_storage(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def from_storage(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    """dd/mm/yyyy HH:MM in the unit's zone, as Vietnamese offices write dates."""
    return instant.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def parse_local(value: str, zone: ZoneInfo) -> datetime:
    """Accept 'dd/mm/yyyy HH:MM' or ISO 'yyyy-mm-dd HH:MM' typed in the unit's zone."""
    text = value.strip()
    for pattern in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y"):
        try:
            naive = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone).astimezone(UTC)
    raise ValueError(f"not a date and time: {value!r} (use dd/mm/yyyy HH:MM)")
