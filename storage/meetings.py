"""Meetings: the dialogue meetings residents send concerns to, each of one unit."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID, Meeting
from bot.domain.vocabulary import MeetingFormat, Phase
from storage.times import parse_time, store_time
from storage.versioned import update_if_unchanged


def _meeting(row: sqlite3.Row) -> Meeting:
    return Meeting(
        id=row["id"],
        title=row["title"],
        area_id=row["area_id"],
        starts_at=parse_time(row["starts_at"]),  # type: ignore[arg-type]
        place=row["place"],
        format=MeetingFormat(row["format"]),
        intake_opens_at=parse_time(row["intake_opens_at"]),  # type: ignore[arg-type]
        intake_closes_at=parse_time(row["intake_closes_at"]),  # type: ignore[arg-type]
        status=Phase(row["status"]),
        created_at=parse_time(row["created_at"]),  # type: ignore[arg-type]
        announced_at=parse_time(row["announced_at"]),
        cancelled_reason=row["cancelled_reason"],
        version=row["version"],
        published_at=parse_time(row["published_at"]),
        results_exported_at=parse_time(row["results_exported_at"]),
        unit_id=row["unit_id"],
    )


# Column names are never taken from input: only these may be written by `update` (never
# unit_id: a meeting stays in the unit that called it).
_EDITABLE = frozenset(
    {"title", "area_id", "starts_at", "place", "format", "intake_opens_at", "intake_closes_at", "status",
     "announced_at", "cancelled_reason", "published_at", "results_exported_at"}
)


class MeetingRepository:
    """The meetings of one unit: it creates meetings in that unit and finds no other unit's."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    async def create(
        self,
        *,
        title: str,
        area_id: str,
        starts_at: datetime,
        place: str,
        format: MeetingFormat | str,
        intake_opens_at: datetime,
        intake_closes_at: datetime,
        now: datetime,
        status: Phase = Phase.ANNOUNCED,
    ) -> Meeting:
        cursor = await self._db.execute(
            "INSERT INTO meetings (title, area_id, starts_at, place, format, intake_opens_at, intake_closes_at, "
            "created_at, status, announced_at, unit_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                area_id,
                store_time(starts_at),
                place,
                format,
                store_time(intake_opens_at),
                store_time(intake_closes_at),
                store_time(now),
                status,
                store_time(now) if status == Phase.ANNOUNCED else None,
                self._unit_id,
            ),
        )
        meeting = await self.get(cursor.lastrowid)  # type: ignore[arg-type]
        assert meeting is not None
        return meeting

    async def get(self, meeting_id: int) -> Meeting | None:
        cursor = await self._db.execute(
            "SELECT * FROM meetings WHERE id = ? AND unit_id = ?", (meeting_id, self._unit_id)
        )
        row = await cursor.fetchone()
        return None if row is None else _meeting(row)

    async def list_all(self) -> list[Meeting]:
        cursor = await self._db.execute(
            "SELECT * FROM meetings WHERE unit_id = ? ORDER BY starts_at, id", (self._unit_id,)
        )
        return [_meeting(row) for row in await cursor.fetchall()]

    async def list_accepting(self, now: datetime) -> list[Meeting]:
        stamp = store_time(now)
        cursor = await self._db.execute(
            "SELECT * FROM meetings WHERE unit_id = ? AND status = ? AND intake_opens_at <= ? AND ? < intake_closes_at "
            "ORDER BY starts_at, id",
            (self._unit_id, Phase.ANNOUNCED, stamp, stamp),
        )
        return [_meeting(row) for row in await cursor.fetchall()]

    async def list_upcoming(self, now: datetime) -> list[Meeting]:
        cursor = await self._db.execute(
            "SELECT * FROM meetings WHERE unit_id = ? AND status IN (?, ?) AND starts_at > ? ORDER BY starts_at, id",
            (self._unit_id, Phase.DRAFT, Phase.ANNOUNCED, store_time(now)),
        )
        return [_meeting(row) for row in await cursor.fetchall()]

    async def update(self, meeting: Meeting, **changes: object) -> Meeting | None:
        """Write `changes` if nobody changed the meeting since `meeting` was read; else None."""
        if not await update_if_unchanged(self._db, "meetings", _EDITABLE, meeting.id, meeting.version, changes):
            return None
        return await self.get(meeting.id)
