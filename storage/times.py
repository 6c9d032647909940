"""Times as the database stores them: ISO 8601 text in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def store_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware UTC time")
    return value.astimezone(UTC).isoformat()
