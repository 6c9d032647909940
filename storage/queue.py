"""What the console's lists read of many concerns: little of each to filter thousands (the
queue), then the ones shown whole, in one query (not two queries a concern)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID, Concern
from bot.domain.textnorm import fold
from bot.domain.vocabulary import ConcernStatus
from storage.concerns import _concern


@dataclass(frozen=True, slots=True)
class QueueKey:
    """What the queue filters a concern by."""

    id: int
    status: ConcernStatus
    topic_id: str
    area_id: str
    code: str
    folded: str  # its words, folded ("tan hoa" finds "Tân Hóa")

    def says(self, words: list[str]) -> bool:
        """Whether each folded word is in its words, its code or its id (folded only if asked)."""
        if not words:
            return True
        searchable = f"{self.folded} {fold(self.code)} {self.id}"
        return all(word in searchable for word in words)


class QueueRepository:
    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    async def keys(self, meeting_id: int) -> list[QueueKey]:
        """Every concern of the meeting, oldest first. Rows stored before text_folded existed
        have it empty: their text is folded here."""
        cursor = await self._db.execute(
            "SELECT id, code, status, topic_id, area_id, text_folded, CASE WHEN text_folded = '' THEN text END "
            "FROM concerns WHERE meeting_id = ? AND unit_id = ? ORDER BY id",
            (meeting_id, self._unit_id),
        )
        return [
            QueueKey(int(row[0]), ConcernStatus(row[2]), str(row[3]), str(row[4]), str(row[1]), row[5] or fold(row[6] or ""))
            for row in await cursor.fetchall()
        ]

    async def whole(self, concern_ids: Sequence[int]) -> list[Concern]:
        """These concerns with their photos, in the order asked."""
        if not concern_ids:
            return []
        marks = ",".join("?" * len(concern_ids))
        cursor = await self._db.execute(
            f"SELECT concern_id, file_ref FROM concern_photos WHERE concern_id IN ({marks}) ORDER BY concern_id, position",
            tuple(concern_ids),
        )
        photos: dict[int, list[str]] = {}
        for row in await cursor.fetchall():
            photos.setdefault(int(row[0]), []).append(str(row[1]))
        cursor = await self._db.execute(
            f"SELECT * FROM concerns WHERE id IN ({marks}) AND unit_id = ?", (*concern_ids, self._unit_id)
        )
        found = {int(row["id"]): _concern(row, tuple(photos.get(int(row["id"]), ()))) for row in await cursor.fetchall()}
        return [found[i] for i in concern_ids if i in found]
