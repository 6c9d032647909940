"""The statistics of one unit's concerns, counted by SQLite (GROUP BY), never loaded row by row.

Over 100,000 concerns a statistics page or `doithoai stats` reads a few dozen grouped rows:
the memory they take does not grow with the database (issue 12: within 100 MiB).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID
from bot.domain.vocabulary import ConcernStatus, Disposition

# Counted as concerns of their own (ConcernStatus.counted): merged ones count in the one they joined.
_COUNTED = (ConcernStatus.OPEN, ConcernStatus.CARRIED)


@dataclass(frozen=True)
class ForwardedGroup:
    """Forwarded concerns sharing a due date and the minute their final answer came (None: not yet).

    The minute, not the day: whether a final answer was on time is decided on the unit's local
    day, which the service works out; every time zone's offset is whole minutes.
    """

    due_date: date | None
    final_minute: str | None  # UTC, "2026-12-05T01:30"
    awaiting: bool  # no final answer yet
    count: int


class StatisticsRepository:
    """Counts over one unit's concerns, of one meeting or (meeting_id None) of all its meetings."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    def _where(self, meeting_id: int | None) -> tuple[str, tuple[object, ...]]:
        if meeting_id is None:
            return "c.unit_id = ?", (self._unit_id,)
        return "c.unit_id = ? AND c.meeting_id = ?", (self._unit_id, meeting_id)

    async def _pairs(self, sql: str, params: tuple[object, ...]) -> tuple[tuple[str, int], ...]:
        cursor = await self._db.execute(sql, params)
        return tuple((str(row[0]), int(row[1])) for row in await cursor.fetchall())

    async def by_status(self, meeting_id: int | None) -> tuple[tuple[str, int], ...]:
        """Every concern received, by where it stands (open, merged, withdrawn, rejected, carried)."""
        where, params = self._where(meeting_id)
        return await self._pairs(
            f"SELECT c.status, count(*) FROM concerns c WHERE {where} GROUP BY c.status ORDER BY c.status", params
        )

    async def counted_by(self, column: str, meeting_id: int | None) -> tuple[tuple[str, int], ...]:
        """Concerns counted on their own (open or carried, not merged) by topic_id or area_id."""
        if column not in ("topic_id", "area_id"):
            raise ValueError(f"not a column to count by: {column!r}")
        where, params = self._where(meeting_id)
        return await self._pairs(
            f"SELECT c.{column}, count(*) AS n FROM concerns c WHERE {where} AND c.merged_into IS NULL "
            f"AND c.status IN (?, ?) GROUP BY c.{column} ORDER BY n DESC, c.{column}",
            (*params, *_COUNTED),
        )

    async def by_disposition(self, meeting_id: int | None) -> tuple[tuple[str, int], ...]:
        where, params = self._where(meeting_id)
        return await self._pairs(
            f"SELECT a.disposition, count(*) AS n FROM answers a JOIN concerns c ON c.id = a.concern_id "
            f"WHERE {where} GROUP BY a.disposition ORDER BY n DESC, a.disposition",
            params,
        )

    async def forwarded(self, meeting_id: int | None) -> list[ForwardedGroup]:
        where, params = self._where(meeting_id)
        cursor = await self._db.execute(
            "SELECT a.due_date, substr(a.final_at, 1, 16), a.final_answer IS NULL, count(*) "
            f"FROM answers a JOIN concerns c ON c.id = a.concern_id WHERE {where} AND a.disposition = ? "
            "GROUP BY 1, 2, 3",
            (*params, Disposition.FORWARDED),
        )
        return [
            ForwardedGroup(date.fromisoformat(row[0]) if row[0] else None, row[1], bool(row[2]), int(row[3]))
            for row in await cursor.fetchall()
        ]

    async def satisfaction(self, meeting_id: int | None) -> dict[bool, int]:
        where, params = self._where(meeting_id)
        cursor = await self._db.execute(
            f"SELECT s.satisfied, count(*) FROM satisfaction s JOIN concerns c ON c.id = s.concern_id WHERE {where} "
            "GROUP BY s.satisfied",
            params,
        )
        return {bool(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def residents(self, meeting_id: int | None) -> int:
        """Distinct residents who sent or supported anything."""
        where, params = self._where(meeting_id)
        cursor = await self._db.execute(
            f"SELECT count(DISTINCT f.resident_id) FROM followers f JOIN concerns c ON c.id = f.concern_id WHERE {where}",
            params,
        )
        row = await cursor.fetchone()
        return int(row[0])  # type: ignore[index]
