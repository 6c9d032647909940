"""Conversation state, one row per resident, so a half-finished dialogue survives a restart."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.times import store_time


class ConversationRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def load(self, resident_id: int) -> str | None:
        cursor = await self._db.execute("SELECT state FROM conversations WHERE resident_id = ?", (resident_id,))
        row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def save(self, resident_id: int, state: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO conversations (resident_id, state, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (resident_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (resident_id, state, store_time(now)),
        )

    async def mark_processed(self, channel: str, event_id: str, now: datetime) -> bool:
        """Remember an event; False when it was seen before (a redelivery after a crash)."""
        cursor = await self._db.execute(
            "INSERT INTO processed_events (channel, event_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, event_id, store_time(now)),
        )
        return cursor.rowcount == 1
