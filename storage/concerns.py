"""Concerns and their followers (the author and every supporter), each concern of one unit."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from datetime import datetime

import aiosqlite

from bot.domain.codes import format_code
from bot.domain.records import DEFAULT_UNIT_ID, Concern, FollowedConcern, NewConcern
from bot.domain.similar import Candidate
from bot.domain.vocabulary import ConcernStatus, FollowerRole
from storage.times import parse_time, store_time
from storage.versioned import update_if_unchanged

# A concern's photos have a table of their own; every other field of NewConcern is a column.
_PHOTOS = "photos"
_SUBMITTED_COLUMNS = tuple(field.name for field in fields(NewConcern) if field.name != _PHOTOS)
_INSERT = (
    f"INSERT INTO concerns (code, unit_id, submitted_at, {', '.join(_SUBMITTED_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (3 + len(_SUBMITTED_COLUMNS)))})"
)
# The columns read back into a Concern as they are stored; the others are converted below.
_CONVERTED = frozenset({"status", "phone_verified", "proxy", "submitted_at", "withdrawn_at", _PHOTOS})
_PLAIN_COLUMNS = tuple(field.name for field in fields(Concern) if field.name not in _CONVERTED)


def _concern(row: sqlite3.Row, photos: tuple[str, ...]) -> Concern:
    return Concern(
        **{name: row[name] for name in _PLAIN_COLUMNS},
        status=ConcernStatus(row["status"]),
        phone_verified=bool(row["phone_verified"]),
        proxy=bool(row["proxy"]),
        submitted_at=parse_time(row["submitted_at"]),  # type: ignore[arg-type]
        withdrawn_at=parse_time(row["withdrawn_at"]),
        photos=photos,
    )


class ConcernRepository:
    """The concerns of one unit: it stores concerns of that unit's meetings and finds no other unit's."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    async def submit(self, new: NewConcern, code_prefix: str, now: datetime) -> Concern:
        """Store a confirmed concern with its photos and its author as first follower.

        Idempotent on `draft_key`: confirming the same draft twice returns the first concern.
        """
        existing = await self._by_draft_key(new.draft_key)
        if existing is not None:
            return existing
        await self._check_meeting(new.meeting_id)
        stamp = store_time(now)
        # The code needs the id: the unique draft key holds its place until the id is known.
        cursor = await self._db.execute(
            _INSERT, (new.draft_key, self._unit_id, stamp, *(getattr(new, name) for name in _SUBMITTED_COLUMNS))
        )
        concern_id = cursor.lastrowid
        assert concern_id is not None
        await self._db.execute("UPDATE concerns SET code = ? WHERE id = ?", (format_code(code_prefix, concern_id), concern_id))
        await self._db.executemany(
            "INSERT INTO concern_photos (concern_id, position, file_ref) VALUES (?, ?, ?)",
            [(concern_id, position, ref) for position, ref in enumerate(new.photos)],
        )
        await self._db.execute(
            "INSERT INTO followers (concern_id, resident_id, role, since) VALUES (?, ?, ?, ?)",
            (concern_id, new.author_id, FollowerRole.AUTHOR, stamp),
        )
        concern = await self.get(concern_id)
        assert concern is not None
        return concern

    async def _check_meeting(self, meeting_id: int) -> None:
        """A concern is of its meeting's unit; a unit cannot file one under another unit's meeting."""
        cursor = await self._db.execute("SELECT unit_id FROM meetings WHERE id = ?", (meeting_id,))
        row = await cursor.fetchone()
        if row is not None and row[0] != self._unit_id:
            raise ValueError(f"meeting {meeting_id} is not a meeting of unit {self._unit_id!r}")

    async def get(self, concern_id: int) -> Concern | None:
        cursor = await self._db.execute(
            "SELECT * FROM concerns WHERE id = ? AND unit_id = ?", (concern_id, self._unit_id)
        )
        row = await cursor.fetchone()
        return None if row is None else _concern(row, await self._photos(concern_id))

    async def by_code(self, code: str) -> Concern | None:
        cursor = await self._db.execute(
            "SELECT * FROM concerns WHERE code = ? AND unit_id = ?", (code, self._unit_id)
        )
        row = await cursor.fetchone()
        return None if row is None else _concern(row, await self._photos(row["id"]))

    async def followed_by(self, resident_id: int) -> list[FollowedConcern]:
        cursor = await self._db.execute(
            "SELECT c.*, f.role FROM concerns c JOIN followers f ON f.concern_id = c.id "
            "WHERE f.resident_id = ? AND c.unit_id = ? ORDER BY c.id DESC",
            (resident_id, self._unit_id),
        )
        return [
            FollowedConcern(_concern(row, await self._photos(row["id"])), FollowerRole(row["role"]))
            for row in await cursor.fetchall()
        ]

    # Below, a concern named by its id is one the caller found through this repository, so of
    # this unit; followers and merges never cross units (a merge stays within one meeting).

    async def follower_role(self, concern_id: int, resident_id: int) -> FollowerRole | None:
        cursor = await self._db.execute(
            "SELECT role FROM followers WHERE concern_id = ? AND resident_id = ?", (concern_id, resident_id)
        )
        row = await cursor.fetchone()
        return None if row is None else FollowerRole(row["role"])

    async def withdraw(self, concern_id: int, now: datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE concerns SET status = ?, withdrawn_at = ? WHERE id = ? AND unit_id = ? AND status = ?",
            (ConcernStatus.WITHDRAWN, store_time(now), concern_id, self._unit_id, ConcernStatus.OPEN),
        )
        return cursor.rowcount == 1

    async def add_supporter(self, concern_id: int, resident_id: int, now: datetime) -> bool:
        """+1 from a resident; False if they already follow it (as author or supporter)."""
        cursor = await self._db.execute(
            "INSERT INTO followers (concern_id, resident_id, role, since) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (concern_id, resident_id, FollowerRole.SUPPORTER, store_time(now)),
        )
        return cursor.rowcount == 1

    async def followers(self, concern_id: int) -> list[tuple[int, FollowerRole]]:
        """(resident, role) of a concern and of every concern merged into it, each resident once.

        A resident who wrote one and supported another counts as author ('author' < 'supporter').
        """
        cursor = await self._db.execute(
            _MERGE_TREE
            + "SELECT f.resident_id, min(f.role) AS role FROM followers f JOIN tree t ON f.concern_id = t.id "
            "GROUP BY f.resident_id ORDER BY f.resident_id",
            (concern_id,),
        )
        return [(int(row[0]), FollowerRole(row[1])) for row in await cursor.fetchall()]

    async def resident_counts(self, meeting_id: int) -> dict[int, int]:
        """Residents behind each live concern of a meeting, counting merged-in concerns."""
        cursor = await self._db.execute(
            "WITH RECURSIVE tree(root, id) AS ("
            " SELECT id, id FROM concerns WHERE meeting_id = ? AND unit_id = ? AND merged_into IS NULL"
            " UNION ALL SELECT t.root, c.id FROM concerns c JOIN tree t ON c.merged_into = t.id)"
            " SELECT t.root, count(DISTINCT f.resident_id) FROM tree t JOIN followers f ON f.concern_id = t.id"
            " GROUP BY t.root",
            (meeting_id, self._unit_id),
        )
        return {int(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def residents_behind(self, concern_ids: list[int]) -> int:
        """Distinct residents behind some concerns and everything merged into them."""
        if not concern_ids:
            return 0
        marks = ",".join("?" * len(concern_ids))
        cursor = await self._db.execute(
            f"WITH RECURSIVE tree(id) AS (SELECT id FROM concerns WHERE id IN ({marks}) AND unit_id = ? "
            "UNION SELECT c.id FROM concerns c JOIN tree t ON c.merged_into = t.id) "
            "SELECT count(DISTINCT f.resident_id) FROM followers f JOIN tree t ON f.concern_id = t.id",
            (*concern_ids, self._unit_id),
        )
        row = await cursor.fetchone()
        return int(row[0])  # type: ignore[index]

    async def live(self, meeting_id: int, area_id: str | None = None) -> list[Concern]:
        """Open concerns not merged into another: the staff queue, and what residents may support."""
        sql = "SELECT * FROM concerns WHERE meeting_id = ? AND unit_id = ? AND status = ? AND merged_into IS NULL"
        params: tuple[object, ...] = (meeting_id, self._unit_id, ConcernStatus.OPEN)
        if area_id is not None:
            sql += " AND area_id = ?"
            params += (area_id,)
        cursor = await self._db.execute(sql + " ORDER BY id", params)
        return [_concern(row, ()) for row in await cursor.fetchall()]

    async def similarity_candidates(self, meeting_id: int) -> list[Candidate]:
        """Every open concern of a meeting not merged into another, as the similar-concern
        lookup and the agenda's grouping compare them: text as written, area, location."""
        cursor = await self._db.execute(
            "SELECT id, text, area_id, latitude, longitude FROM concerns WHERE meeting_id = ? AND unit_id = ? "
            "AND status = ? AND merged_into IS NULL ORDER BY id",
            (meeting_id, self._unit_id, ConcernStatus.OPEN),
        )
        return [
            Candidate(int(row[0]), str(row[1]), str(row[2]), row[3], row[4]) for row in await cursor.fetchall()
        ]

    async def merged_children(self, concern_id: int) -> list[Concern]:
        cursor = await self._db.execute(
            "SELECT * FROM concerns WHERE merged_into = ? AND unit_id = ? ORDER BY id", (concern_id, self._unit_id)
        )
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
        cursor = await self._db.execute(
            "SELECT text_folded FROM concerns WHERE id = ? AND unit_id = ?", (concern_id, self._unit_id)
        )
        row = await cursor.fetchone()
        return "" if row is None else str(row[0])

    async def all(self, meeting_id: int | None = None) -> list[Concern]:
        """Every concern of the unit, or of one of its meetings."""
        sql = "SELECT * FROM concerns WHERE unit_id = ?"
        params: tuple[object, ...] = (self._unit_id,)
        if meeting_id is not None:
            sql += " AND meeting_id = ?"
            params += (meeting_id,)
        cursor = await self._db.execute(sql + " ORDER BY id", params)
        return [_concern(row, ()) for row in await cursor.fetchall()]

    async def count_residents(self, meeting_id: int | None = None) -> int:
        """Distinct residents who sent or supported anything (of one meeting, or in the unit at all)."""
        sql = (
            "SELECT count(DISTINCT f.resident_id) FROM followers f JOIN concerns c ON c.id = f.concern_id "
            "WHERE c.unit_id = ?"
        )
        params: tuple[object, ...] = (self._unit_id,)
        if meeting_id is not None:
            sql += " AND c.meeting_id = ?"
            params += (meeting_id,)
        cursor = await self._db.execute(sql, params)
        row = await cursor.fetchone()
        return int(row[0])  # type: ignore[index]

    async def count_by_status(self, meeting_id: int) -> dict[ConcernStatus, int]:
        cursor = await self._db.execute(
            "SELECT status, count(*) FROM concerns WHERE meeting_id = ? AND unit_id = ? GROUP BY status",
            (meeting_id, self._unit_id),
        )
        return {ConcernStatus(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def _by_draft_key(self, draft_key: str) -> Concern | None:
        cursor = await self._db.execute(
            "SELECT * FROM concerns WHERE draft_key = ? AND unit_id = ?", (draft_key, self._unit_id)
        )
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
