"""Heartbeats: a running part of the bot saying, every few seconds, that it still runs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from storage.times import parse_time, store_time


class HeartbeatRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def beat(self, names: Iterable[str], now: datetime) -> None:
        stamp = store_time(now)
        for name in names:
            await self._db.execute(
                "INSERT INTO heartbeats (name, beat_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at",
                (name, stamp),
            )

    async def since(self, moment: datetime) -> set[str]:
        """The names that beat at `moment` or later."""
        rows = await self._db.execute_fetchall("SELECT name, beat_at FROM heartbeats")
        return {row["name"] for row in rows if (parse_time(row["beat_at"]) or moment) >= moment}
