"""Agenda items of a meeting: each made of one or more concerns, ordered, included or not."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.times import store_time
from storage.versioned import update_if_unchanged


@dataclass(frozen=True)
class AgendaItem:
    id: int
    meeting_id: int
    position: int
    title: str
    topic_id: str
    minutes: int
    included: bool
    version: int
    concern_ids: tuple[int, ...]


class AgendaRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def items(self, meeting_id: int) -> list[AgendaItem]:
        cursor = await self._db.execute(
            "SELECT * FROM agenda_items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
        )
        rows = list(await cursor.fetchall())
        members = await self._members([row["id"] for row in rows])
        return [_item(row, members.get(row["id"], ())) for row in rows]

    async def get(self, item_id: int) -> AgendaItem | None:
        cursor = await self._db.execute("SELECT * FROM agenda_items WHERE id = ?", (item_id,))
        row = await cursor.fetchone()
        if row is None:
            return None
        members = await self._members([item_id])
        return _item(row, members.get(item_id, ()))

    async def add(
        self, meeting_id: int, title: str, topic_id: str, minutes: int, concern_ids: list[int], now: datetime
    ) -> int:
        cursor = await self._db.execute(
            "SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = ?", (meeting_id,)
        )
        position = int((await cursor.fetchone())[0])  # type: ignore[index]
        cursor = await self._db.execute(
            "INSERT INTO agenda_items (meeting_id, position, title, topic_id, minutes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (meeting_id, position, title, topic_id, minutes, store_time(now)),
        )
        item_id = cursor.lastrowid
        assert item_id is not None
        await self.attach(item_id, concern_ids)
        return item_id

    async def attach(self, item_id: int, concern_ids: list[int]) -> None:
        await self._db.executemany(
            "INSERT INTO agenda_item_concerns (item_id, concern_id) VALUES (?, ?)",
            [(item_id, concern_id) for concern_id in concern_ids],
        )

    async def detach(self, concern_id: int) -> int | None:
        """Take a concern off whatever item holds it; returns that item's id."""
        cursor = await self._db.execute("SELECT item_id FROM agenda_item_concerns WHERE concern_id = ?", (concern_id,))
        row = await cursor.fetchone()
        if row is None:
            return None
        await self._db.execute("DELETE FROM agenda_item_concerns WHERE concern_id = ?", (concern_id,))
        return int(row[0])

    async def item_of(self, concern_id: int) -> int | None:
        cursor = await self._db.execute("SELECT item_id FROM agenda_item_concerns WHERE concern_id = ?", (concern_id,))
        row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def assigned_concerns(self, meeting_id: int) -> set[int]:
        cursor = await self._db.execute(
            "SELECT ic.concern_id FROM agenda_item_concerns ic JOIN agenda_items i ON i.id = ic.item_id "
            "WHERE i.meeting_id = ?",
            (meeting_id,),
        )
        return {int(row[0]) for row in await cursor.fetchall()}

    async def update(self, item: AgendaItem, **changes: object) -> bool:
        return await update_if_unchanged(self._db, "agenda_items", _EDITABLE, item.id, item.version, changes)

    async def reorder(self, meeting_id: int, item_ids: list[int]) -> None:
        """Positions 1..n in the given order."""
        await self._db.executemany(
            "UPDATE agenda_items SET position = ?, version = version + 1 WHERE id = ? AND meeting_id = ?",
            [(position, item_id, meeting_id) for position, item_id in enumerate(item_ids, start=1)],
        )

    async def delete_empty(self, meeting_id: int) -> int:
        cursor = await self._db.execute(
            "DELETE FROM agenda_items WHERE meeting_id = ? AND id NOT IN (SELECT item_id FROM agenda_item_concerns)",
            (meeting_id,),
        )
        return cursor.rowcount

    async def _members(self, item_ids: list[int]) -> dict[int, tuple[int, ...]]:
        if not item_ids:
            return {}
        marks = ",".join("?" * len(item_ids))
        cursor = await self._db.execute(
            f"SELECT item_id, concern_id FROM agenda_item_concerns WHERE item_id IN ({marks}) ORDER BY concern_id",
            item_ids,
        )
        members: dict[int, list[int]] = {}
        for row in await cursor.fetchall():
            members.setdefault(int(row[0]), []).append(int(row[1]))
        return {key: tuple(value) for key, value in members.items()}


_EDITABLE = frozenset({"title", "minutes", "included", "topic_id"})


def _item(row: sqlite3.Row, concern_ids: tuple[int, ...]) -> AgendaItem:
    return AgendaItem(
        id=row["id"],
        meeting_id=row["meeting_id"],
        position=row["position"],
        title=row["title"],
        topic_id=row["topic_id"],
        minutes=row["minutes"],
        included=bool(row["included"]),
        version=row["version"],
        concern_ids=concern_ids,
    )
