"""The update journal: a channel's incoming updates, written before the platform is told
they arrived, marked handled with their effects, replayed at start when they were not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.times import store_time


@dataclass(frozen=True)
class JournalledUpdate:
    update_id: int
    body: str


class UpdateJournalRepository:
    """One channel's rows of the journal, in the caller's transaction."""

    def __init__(self, connection: aiosqlite.Connection, channel: str) -> None:
        self._db = connection
        self._channel = channel

    async def add(self, updates: Sequence[JournalledUpdate], now: datetime) -> set[int]:
        """Store a batch; the ids that are new (the others were delivered before)."""
        stamp = store_time(now)
        new: set[int] = set()
        for update in updates:
            cursor = await self._db.execute(
                "INSERT INTO update_journal (channel, update_id, body, received_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (channel, update_id) DO NOTHING",
                (self._channel, update.update_id, update.body, stamp),
            )
            if cursor.rowcount == 1:
                new.add(update.update_id)
        return new

    async def handled_among(self, update_ids: Sequence[int]) -> set[int]:
        marks = ",".join("?" for _ in update_ids)
        cursor = await self._db.execute(
            f"SELECT update_id FROM update_journal WHERE channel = ? AND handled_at IS NOT NULL AND update_id IN ({marks})",
            (self._channel, *update_ids),
        )
        return {int(row[0]) for row in await cursor.fetchall()}

    async def unhandled(self) -> list[JournalledUpdate]:
        cursor = await self._db.execute(
            "SELECT update_id, body FROM update_journal WHERE channel = ? AND handled_at IS NULL ORDER BY update_id",
            (self._channel,),
        )
        return [JournalledUpdate(int(row[0]), str(row[1])) for row in await cursor.fetchall()]

    async def mark_handled(self, update_id: int, now: datetime) -> None:
        # The body is not kept once handled; the row stays so that a redelivery is recognised.
        await self._db.execute(
            "UPDATE update_journal SET handled_at = ?, body = '' "
            "WHERE channel = ? AND update_id = ? AND handled_at IS NULL",
            (store_time(now), self._channel, update_id),
        )

    async def prune(self, before: datetime) -> int:
        """Forget handled updates received before `before`."""
        cursor = await self._db.execute(
            "DELETE FROM update_journal WHERE channel = ? AND handled_at IS NOT NULL AND received_at < ?",
            (self._channel, store_time(before)),
        )
        return cursor.rowcount
