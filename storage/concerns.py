"""Concerns and their followers (the author and every supporter)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from bot.domain.codes import format_code
from bot.domain.records import Concern, FollowedConcern, NewConcern
from storage.times import parse_time, store_time
from storage.versioned import update_if_unchanged


def _concern(row: sqlite3.Row, photos: tuple[str, ...]) -> Concern:
    return Concern(
        id=row["id"],
        code=row["code"],
        meeting_id=row["meeting_id"],
        area_id=row["area_id"],
        topic_id=row["topic_id"],
        text=row["text"],
        author_id=row["author_id"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        phone_verified=bool(row["phone_verified"]),
        latitude=row["latitude"],
        longitude=row["longitude"],
        status=row["status"],
        language=row["language"],
        submitted_at=parse_time(row["submitted_at"]),  # type: ignore[arg-type]
        withdrawn_at=parse_time(row["withdrawn_at"]),
        photos=photos,
        version=row["version"],
        merged_into=row["merged_into"],
        reject_reason=row["reject_reason"],
        proxy=bool(row["proxy"]),
        carried_from=row["carried_from"],
    )


class ConcernRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def submit(self, new: NewConcern, code_prefix: str, now: datetime) -> Concern:
        """Store a confirmed concern with its photos and its author as first follower.

        Idempotent on `draft_key`: confirming the same draft twice returns the first concern.
        """
        existing = await self._by_draft_key(new.draft_key)
        if existing is not None:
            return existing
        stamp = store_time(now)
        cursor = await self._db.execute(
            "INSERT INTO concerns (code, meeting_id, area_id, topic_id, text, author_id, contact_name, contact_phone, "
            "phone_verified, latitude, longitude, language, submitted_at, draft_key, text_folded, proxy, carried_from) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.draft_key,  # replaced below once the id is known
                new.meeting_id,
                new.area_id,
                new.topic_id,
                new.text,
                new.author_id,
                new.contact_name,
                new.contact_phone,
                int(new.phone_verified),
                new.latitude,
                new.longitude,
                new.language,
                stamp,
                new.draft_key,
                new.text_folded,
                int(new.proxy),
                new.carried_from,
            ),
        )
        concern_id = cursor.lastrowid
        assert concern_id is not None
        await self._db.execute("UPDATE concerns SET code = ? WHERE id = ?", (format_code(code_prefix, concern_id), concern_id))
        await self._db.executemany(
            "INSERT INTO concern_photos (concern_id, position, file_ref) VALUES (?, ?, ?)",
            [(concern_id, position, ref) for position, ref in enumerate(new.photos)],
        )
        await self._db.execute(
            "INSERT INTO followers (concern_id, resident_id, role, since) VALUES (?, ?, 'author', ?)",
            (concern_id, new.author_id, stamp),
        )
        concern = await self.get(concern_id)
        assert concern is not None
        return concern

    async def get(self, concern_id: int) -> Concern | None:
        cursor = await self._db.execute("SELECT * FROM concerns WHERE id = ?", (concern_id,))
        row = await cursor.fetchone()
        return None if row is None else _concern(row, await self._photos(concern_id))

    async def by_code(self, code: str) -> Concern | None:
        cursor = await self._db.execute("SELECT * FROM concerns WHERE code = ?", (code,))
        row = await cursor.fetchone()
        return None if row is None else _concern(row, await self._photos(row["id"]))

    async def followed_by(self, resident_id: int) -> list[FollowedConcern]:
        cursor = await self._db.execute(
            "SELECT c.*, f.role FROM concerns c JOIN followers f ON f.concern_id = c.id "
            "WHERE f.resident_id = ? ORDER BY c.id DESC",
            (resident_id,),
        )
        return [FollowedConcern(_concern(row, await self._photos(row["id"])), row["role"]) for row in await cursor.fetchall()]

    async def follower_role(self, concern_id: int, resident_id: int) -> str | None:
        cursor = await self._db.execute(
            "SELECT role FROM followers WHERE concern_id = ? AND resident_id = ?", (concern_id, resident_id)
        )
        row = await cursor.fetchone()
        return None if row is None else str(row["role"])

    async def withdraw(self, concern_id: int, now: datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE concerns SET status = 'withdrawn', withdrawn_at = ? WHERE id = ? AND status = 'open'",
            (store_time(now), concern_id),
        )
        return cursor.rowcount == 1

    async def add_supporter(self, concern_id: int, resident_id: int, now: datetime) -> bool:
        """+1 from a resident; False if they already follow it (as author or supporter)."""
        cursor = await self._db.execute(
            "INSERT INTO followers (concern_id, resident_id, role, since) VALUES (?, ?, 'supporter', ?) "
            "ON CONFLICT DO NOTHING",
            (concern_id, resident_id, store_time(now)),
        )
        return cursor.rowcount == 1

    async def followers(self, concern_id: int) -> list[tuple[int, str]]:
        """(resident, role) of a concern and of every concern merged into it, each resident once."""
        cursor = await self._db.execute(
            _MERGE_TREE
            + "SELECT f.resident_id, min(f.role) AS role FROM followers f JOIN tree t ON f.concern_id = t.id "
            "GROUP BY f.resident_id ORDER BY f.resident_id",
            (concern_id,),
        )
        return [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]

    async def resident_counts(self, meeting_id: int) -> dict[int, int]:
        """Residents behind each live concern of a meeting, counting merged-in concerns."""
        cursor = await self._db.execute(
            "WITH RECURSIVE tree(root, id) AS ("
            " SELECT id, id FROM concerns WHERE meeting_id = ? AND merged_into IS NULL"
            " UNION ALL SELECT t.root, c.id FROM concerns c JOIN tree t ON c.merged_into = t.id)"
            " SELECT t.root, count(DISTINCT f.resident_id) FROM tree t JOIN followers f ON f.concern_id = t.id"
            " GROUP BY t.root",
            (meeting_id,),
        )
        return {int(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def residents_behind(self, concern_ids: list[int]) -> int:
        """Distinct residents behind some concerns and everything merged into them."""
        if not concern_ids:
            return 0
        marks = ",".join("?" * len(concern_ids))
        cursor = await self._db.execute(
            f"WITH RECURSIVE tree(id) AS (SELECT id FROM concerns WHERE id IN ({marks}) "
            "UNION SELECT c.id FROM concerns c JOIN tree t ON c.merged_into = t.id) "
            "SELECT count(DISTINCT f.resident_id) FROM followers f JOIN tree t ON f.concern_id = t.id",
            concern_ids,
        )
        row = await cursor.fetchone()
        return int(row[0])  # type: ignore[index]

    async def live(self, meeting_id: int, area_id: str | None = None) -> list[Concern]:
        """Open concerns not merged into another: the staff queue, and what residents may support."""
        sql = "SELECT * FROM concerns WHERE meeting_id = ? AND status = 'open' AND merged_into IS NULL"
        params: tuple[object, ...] = (meeting_id,)
        if area_id is not None:
            sql += " AND area_id = ?"
            params += (area_id,)
        cursor = await self._db.execute(sql + " ORDER BY id", params)
        return [_concern(row, ()) for row in await cursor.fetchall()]

    async def folded_texts(self, meeting_id: int, area_id: str) -> list[tuple[int, str]]:
        cursor = await self._db.execute(
            "SELECT id, text_folded FROM concerns WHERE meeting_id = ? AND area_id = ? AND status = 'open' "
            "AND merged_into IS NULL ORDER BY id",
            (meeting_id, area_id),
        )
        return [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]

    async def merged_children(self, concern_id: int) -> list[Concern]:
        cursor = await self._db.execute("SELECT * FROM concerns WHERE merged_into = ? ORDER BY id", (concern_id,))
        return [_concern(row, ()) for row in await cursor.fetchall()]

    async def ancestors(self, concern_id: int) -> list[int]:
        """The chain of concerns this one is merged into, nearest first."""
        chain: list[int] = []
        current = await self.get(concern_id)
        while current is not None and current.merged_into is not None and current.merged_into not in chain:
            chain.append(current.merged_into)
            current = await self.get(current.merged_into)
        return chain

    async def update(self, concern: Concern, **changes: object) -> Concern | None:
        """Write `changes` if nobody changed the concern since it was read; else None."""
        if not await update_if_unchanged(self._db, "concerns", _EDITABLE, concern.id, concern.version, changes):
            return None
        return await self.get(concern.id)

    async def folded_text(self, concern_id: int) -> str:
        cursor = await self._db.execute("SELECT text_folded FROM concerns WHERE id = ?", (concern_id,))
        row = await cursor.fetchone()
        return "" if row is None else str(row[0])

    async def all(self, meeting_id: int | None = None) -> list[Concern]:
        if meeting_id is None:
            cursor = await self._db.execute("SELECT * FROM concerns ORDER BY id")
        else:
            cursor = await self._db.execute("SELECT * FROM concerns WHERE meeting_id = ? ORDER BY id", (meeting_id,))
        return [_concern(row, ()) for row in await cursor.fetchall()]

    async def count_residents(self, meeting_id: int | None = None) -> int:
        """Distinct residents who sent or supported anything (of one meeting, or at all)."""
        sql = "SELECT count(DISTINCT f.resident_id) FROM followers f JOIN concerns c ON c.id = f.concern_id"
        params: tuple[object, ...] = ()
        if meeting_id is not None:
            sql += " WHERE c.meeting_id = ?"
            params = (meeting_id,)
        cursor = await self._db.execute(sql, params)
        row = await cursor.fetchone()
        return int(row[0])  # type: ignore[index]

    async def count_by_status(self, meeting_id: int) -> dict[str, int]:
        cursor = await self._db.execute(
            "SELECT status, count(*) FROM concerns WHERE meeting_id = ? GROUP BY status", (meeting_id,)
        )
        return {str(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def _by_draft_key(self, draft_key: str) -> Concern | None:
        cursor = await self._db.execute("SELECT * FROM concerns WHERE draft_key = ?", (draft_key,))
        row = await cursor.fetchone()
        return None if row is None else _concern(row, await self._photos(row["id"]))

    async def _photos(self, concern_id: int) -> tuple[str, ...]:
        cursor = await self._db.execute(
            "SELECT file_ref FROM concern_photos WHERE concern_id = ? ORDER BY position", (concern_id,)
        )
        return tuple(row[0] for row in await cursor.fetchall())


# Column names are never taken from input: only these may be written by `update`.
_EDITABLE = frozenset({"topic_id", "area_id", "status", "merged_into", "reject_reason"})

_MERGE_TREE = (
    "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT c.id FROM concerns c JOIN tree t ON c.merged_into = t.id) "
)

