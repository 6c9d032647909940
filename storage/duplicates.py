"""Likely duplicates as the similar-concern lookup found them (migration 0010 says what a row means)."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID
from bot.domain.vocabulary import ConcernStatus

# Both ends open and not merged: what the queue's marks count.
_LIVE = "{0}.status = '" + ConcernStatus.OPEN.value + "' AND {0}.merged_into IS NULL"


class DuplicateRepository:
    """Pairs among one unit's concerns (a concern named by its id is one the caller found
    through that unit's ConcernRepository; a pair never crosses meetings)."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    async def replace(self, concern_id: int, found: Iterable[tuple[int, float]]) -> None:
        """What the lookup run for `concern_id` found now, instead of what it found before."""
        await self._db.execute("DELETE FROM concern_duplicates WHERE concern_id = ?", (concern_id,))
        await self._db.executemany(
            "INSERT OR REPLACE INTO concern_duplicates (concern_id, other_id, score) VALUES (?, ?, ?)",
            [(concern_id, other, score) for other, score in found if other != concern_id],
        )

    async def forget_as_found(self, concern_id: int) -> None:
        """Rows that other concerns' lookups wrote about this one (its words changed)."""
        await self._db.execute("DELETE FROM concern_duplicates WHERE other_id = ?", (concern_id,))

    async def partners(self, concern_id: int, live_only: bool = False) -> set[int]:
        """Concerns joined to this one by a row, either way (only the open, unmerged ones if asked)."""
        live = f" AND {_LIVE.format('c')}" if live_only else ""
        cursor = await self._db.execute(
            "SELECT d.other_id FROM concern_duplicates d JOIN concerns c ON c.id = d.other_id "
            f"WHERE d.concern_id = ?{live} "
            "UNION SELECT d.concern_id FROM concern_duplicates d JOIN concerns c ON c.id = d.concern_id "
            f"WHERE d.other_id = ?{live}",
            (concern_id, concern_id),
        )
        return {int(row[0]) for row in await cursor.fetchall()}

    async def marked(self, meeting_id: int) -> set[int]:
        """Open, unmerged concerns of the meeting joined by a row to another such concern.

        EXISTS, not a join: a concern of a big cluster has many rows, and one is enough."""
        partner = "SELECT 1 FROM concern_duplicates d JOIN concerns b ON b.id = d.{0} WHERE d.{1} = a.id AND " + _LIVE.format("b")
        cursor = await self._db.execute(
            f"SELECT a.id FROM concerns a WHERE a.meeting_id = ? AND a.unit_id = ? AND {_LIVE.format('a')} "
            f"AND (EXISTS ({partner.format('other_id', 'concern_id')}) OR EXISTS ({partner.format('concern_id', 'other_id')}))",
            (meeting_id, self._unit_id),
        )
        return {int(row[0]) for row in await cursor.fetchall()}

    async def in_backlog(self, meeting_id: int) -> bool:
        cursor = await self._db.execute("SELECT 1 FROM duplicate_backlog WHERE meeting_id = ?", (meeting_id,))
        return await cursor.fetchone() is not None

    async def replace_meeting(self, meeting_id: int, found: dict[int, list[tuple[int, float]]]) -> None:
        """Every pair of a meeting worked out afresh (`found`: each open concern's finds); it leaves the backlog."""
        await self._db.execute(
            "DELETE FROM concern_duplicates WHERE concern_id IN (SELECT id FROM concerns WHERE meeting_id = ? AND unit_id = ?)",
            (meeting_id, self._unit_id),
        )
        await self._db.executemany(
            "INSERT OR REPLACE INTO concern_duplicates (concern_id, other_id, score) VALUES (?, ?, ?)",
            [(concern, other, score) for concern, finds in found.items() for other, score in finds if other != concern],
        )
        await self._db.execute("DELETE FROM duplicate_backlog WHERE meeting_id = ?", (meeting_id,))
