"""Residents who asked to hear about meetings of an area, and the marks of scheduled work done."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.times import store_time


class SubscriptionRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def subscribe(self, resident_id: int, area_id: str, now: datetime) -> bool:
        cursor = await self._db.execute(
            "INSERT INTO subscriptions (resident_id, area_id, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (resident_id, area_id, store_time(now)),
        )
        return cursor.rowcount == 1

    async def unsubscribe_all(self, resident_id: int) -> int:
        cursor = await self._db.execute("DELETE FROM subscriptions WHERE resident_id = ?", (resident_id,))
        return cursor.rowcount

    async def areas_of(self, resident_id: int) -> list[str]:
        cursor = await self._db.execute(
            "SELECT area_id FROM subscriptions WHERE resident_id = ? ORDER BY area_id", (resident_id,)
        )
        return [str(row[0]) for row in await cursor.fetchall()]

    async def subscribers(self, area_ids: list[str]) -> list[int]:
        if not area_ids:
            return []
        marks = ",".join("?" * len(area_ids))
        cursor = await self._db.execute(
            f"SELECT DISTINCT resident_id FROM subscriptions WHERE area_id IN ({marks}) ORDER BY resident_id",
            area_ids,
        )
        return [int(row[0]) for row in await cursor.fetchall()]


class ScheduleMarks:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def done(self, key: str) -> bool:
        cursor = await self._db.execute("SELECT 1 FROM schedule_marks WHERE key = ?", (key,))
        return await cursor.fetchone() is not None

    async def mark(self, key: str, now: datetime) -> bool:
        cursor = await self._db.execute(
            "INSERT INTO schedule_marks (key, at) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, store_time(now))
        )
        return cursor.rowcount == 1

    async def all(self) -> set[str]:
        cursor = await self._db.execute("SELECT key FROM schedule_marks")
        return {str(row[0]) for row in await cursor.fetchall()}
