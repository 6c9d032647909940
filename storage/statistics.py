"""The statistics of one unit's concerns, counted by SQLite (GROUP BY), never loaded row by row.

Over 100,000 concerns a statistics page or `doithoai stats` reads a few hundred grouped rows:
the memory they take does not grow with the database (issue 12: within 100 MiB). The groups
follow the order of an index (migration 0010's concerns_counted), so that SQLite streams them
without sorting 100,000 rows first; and when every meeting in the database is of this unit
(one ward per deployment, the usual case), the counts over all its meetings need not look up
each answer's, follower's or rating's concern to know its unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID
from bot.domain.vocabulary import Disposition


@dataclass(frozen=True)
class ForwardedGroup:
    """Forwarded concerns sharing a due date and the minute their final answer came (None: not yet).

    The minute, not the day: whether a final answer was on time is decided on the unit's local
    day, which the service works out; every time zone's offset is whole minutes.
    """

    due_date: date | None
    final_minute: str | None  # UTC, "2026-12-05T01:30"; None: no final answer yet
    count: int


@dataclass(frozen=True)
class ConcernGroup:
    status: str
    topic_id: str
    area_id: str
    merged: bool  # merged into another concern
    count: int


class StatisticsRepository:
    """Counts over one unit's concerns, of one meeting or (meeting_id None) of all its meetings."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id
        self._sole: bool | None = None

    async def _sole_unit(self) -> bool:
        """Whether every meeting in the database is of this unit (a concern is of its meeting's unit)."""
        if self._sole is None:
            cursor = await self._db.execute("SELECT NOT EXISTS (SELECT 1 FROM meetings WHERE unit_id != ?)", (self._unit_id,))
            row = await cursor.fetchone()
            self._sole = bool(row[0])  # type: ignore[index]
        return self._sole

    def _where(self, meeting_id: int | None) -> tuple[str, tuple[object, ...]]:
        if meeting_id is None:
            return "c.unit_id = ?", (self._unit_id,)
        return "c.unit_id = ? AND c.meeting_id = ?", (self._unit_id, meeting_id)

    async def _of_concerns(self, table: str, meeting_id: int | None) -> tuple[str, str, tuple[object, ...]]:
        """FROM and WHERE for rows of `table` (its column concern_id) of the unit's concerns."""
        if meeting_id is None and await self._sole_unit():
            return f"{table} x", "1", ()
        where, params = self._where(meeting_id)
        # CROSS JOIN: SQLite then looks the rows up from the meeting's concerns, never the other way.
        return f"concerns c CROSS JOIN {table} x ON x.concern_id = c.id", where, params

    async def concern_groups(self, meeting_id: int | None) -> list[ConcernGroup]:
        """Every concern received, grouped by what became of it, topic, area and whether merged."""
        where, params = self._where(meeting_id)
        # Grouped in concerns_counted's order (merged_into whole: the merged are few), not sorted.
        cursor = await self._db.execute(
            f"SELECT c.status, c.topic_id, c.area_id, c.merged_into IS NOT NULL, count(*) FROM concerns c WHERE {where} "
            "GROUP BY c.meeting_id, c.status, c.topic_id, c.area_id, c.merged_into",
            params,
        )
        return [ConcernGroup(str(r[0]), str(r[1]), str(r[2]), bool(r[3]), int(r[4])) for r in await cursor.fetchall()]

    async def by_disposition(self, meeting_id: int | None) -> tuple[tuple[str, int], ...]:
        tables, where, params = await self._of_concerns("answers", meeting_id)
        cursor = await self._db.execute(
            f"SELECT x.disposition, count(*) AS n FROM {tables} WHERE {where} GROUP BY x.disposition "
            "ORDER BY n DESC, x.disposition",
            params,
        )
        return tuple((str(row[0]), int(row[1])) for row in await cursor.fetchall())

    async def forwarded(self, meeting_id: int | None) -> list[ForwardedGroup]:
        # final_at and final_answer are written together (AnswerRepository.finalise).
        tables, where, params = await self._of_concerns("answers", meeting_id)
        cursor = await self._db.execute(
            "SELECT x.due_date, substr(x.final_at, 1, 16), count(*) "
            f"FROM {tables} WHERE {where} AND x.disposition = ? GROUP BY 1, 2",
            (*params, Disposition.FORWARDED.value),
        )
        return [
            ForwardedGroup(date.fromisoformat(row[0]) if row[0] else None, row[1], int(row[2]))
            for row in await cursor.fetchall()
        ]

    async def satisfaction(self, meeting_id: int | None) -> dict[bool, int]:
        tables, where, params = await self._of_concerns("satisfaction", meeting_id)
        cursor = await self._db.execute(
            f"SELECT x.satisfied, count(*) FROM {tables} WHERE {where} GROUP BY x.satisfied", params
        )
        return {bool(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def residents(self, meeting_id: int | None) -> int:
        """Distinct residents who sent or supported anything."""
        tables, where, params = await self._of_concerns("followers", meeting_id)
        cursor = await self._db.execute(f"SELECT count(DISTINCT x.resident_id) FROM {tables} WHERE {where}", params)
        row = await cursor.fetchone()
        return int(row[0])  # type: ignore[index]
