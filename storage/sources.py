"""Where concerns fed in by other systems came from (storage/migrations/0013_concern_sources.sql)."""

from __future__ import annotations

import aiosqlite

from bot.domain.sources import ConcernSource
from storage.times import parse_time, store_time


class ConcernSourceRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def record(self, concern_id: int, source: ConcernSource) -> None:
        await self._db.execute(
            "INSERT INTO concern_sources (concern_id, source, client, received_at, address, media_url) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (concern_id) DO NOTHING",
            (concern_id, source.source, source.client, store_time(source.received_at), source.address, source.media_url),
        )

    async def of_concerns(self, concern_ids: list[int]) -> dict[int, ConcernSource]:
        if not concern_ids:
            return {}
        marks = ",".join("?" * len(concern_ids))
        cursor = await self._db.execute(
            f"SELECT * FROM concern_sources WHERE concern_id IN ({marks})", tuple(concern_ids)
        )
        return {
            int(row["concern_id"]): ConcernSource(
                source=row["source"], client=row["client"],
                received_at=parse_time(row["received_at"]),  # type: ignore[arg-type]
                address=row["address"], media_url=row["media_url"],
            )
            for row in await cursor.fetchall()
        }
