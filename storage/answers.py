"""Answers to concerns, their final answers from agencies, and residents' satisfaction."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID, Answer
from bot.domain.vocabulary import Disposition
from storage.times import parse_time, store_time


def _answer(row: sqlite3.Row) -> Answer:
    return Answer(
        concern_id=row["concern_id"],
        disposition=Disposition(row["disposition"]),
        answer=row["answer"],
        answered_by=row["answered_by"],
        agency=row["agency"],
        due_date=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        recorded_at=parse_time(row["recorded_at"]),  # type: ignore[arg-type]
        recorded_by=row["recorded_by"],
        final_answer=row["final_answer"],
        final_at=parse_time(row["final_at"]),
        final_by=row["final_by"],
        version=row["version"],
    )


class AnswerRepository:
    """Answers to the concerns of one unit (an answer is of its concern's unit).

    A concern named by its id is one the caller found through that unit's ConcernRepository.
    """

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    async def get(self, concern_id: int) -> Answer | None:
        cursor = await self._db.execute("SELECT * FROM answers WHERE concern_id = ?", (concern_id,))
        row = await cursor.fetchone()
        return None if row is None else _answer(row)

    async def put(
        self,
        concern_id: int,
        *,
        disposition: Disposition | str,
        answer: str,
        answered_by: str,
        agency: str | None,
        due_date: date | None,
        recorded_by: str,
        now: datetime,
    ) -> bool:
        """Record or replace an answer; False when the same answer was already recorded (re-import)."""
        existing = await self.get(concern_id)
        if existing is not None and (existing.disposition, existing.answer, existing.answered_by, existing.agency,
                                     existing.due_date) == (disposition, answer, answered_by, agency, due_date):
            return False
        await self._db.execute(
            "INSERT INTO answers (concern_id, disposition, answer, answered_by, agency, due_date, recorded_at, recorded_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (concern_id) DO UPDATE SET "
            "disposition = excluded.disposition, answer = excluded.answer, answered_by = excluded.answered_by, "
            "agency = excluded.agency, due_date = excluded.due_date, recorded_at = excluded.recorded_at, "
            "recorded_by = excluded.recorded_by, version = answers.version + 1",
            (concern_id, disposition, answer, answered_by, agency, due_date.isoformat() if due_date else None,
             store_time(now), recorded_by),
        )
        return True

    async def finalise(self, concern_id: int, final_answer: str, final_by: str, now: datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE answers SET final_answer = ?, final_at = ?, final_by = ?, version = version + 1 "
            "WHERE concern_id = ? AND disposition = ?",
            (final_answer, store_time(now), final_by, concern_id, Disposition.FORWARDED),
        )
        return cursor.rowcount == 1

    async def of_meeting(self, meeting_id: int) -> dict[int, Answer]:
        cursor = await self._db.execute(
            "SELECT a.* FROM answers a JOIN concerns c ON c.id = a.concern_id WHERE c.meeting_id = ? AND c.unit_id = ?",
            (meeting_id, self._unit_id),
        )
        return {row["concern_id"]: _answer(row) for row in await cursor.fetchall()}

    async def awaiting_agencies(self) -> list[Answer]:
        cursor = await self._db.execute(
            "SELECT a.* FROM answers a JOIN concerns c ON c.id = a.concern_id "
            # final_at is written with final_answer (finalise): saying so lets answers_open_forwarded find them.
            "WHERE c.unit_id = ? AND a.disposition = ? AND a.final_at IS NULL AND a.final_answer IS NULL "
            "ORDER BY a.due_date, a.concern_id",
            (self._unit_id, Disposition.FORWARDED),
        )
        return [_answer(row) for row in await cursor.fetchall()]

    async def all(self, meeting_id: int | None = None) -> list[Answer]:
        """Every answer in the unit, or of one of its meetings."""
        sql = "SELECT a.* FROM answers a JOIN concerns c ON c.id = a.concern_id WHERE c.unit_id = ?"
        params: tuple[object, ...] = (self._unit_id,)
        if meeting_id is not None:
            sql += " AND c.meeting_id = ?"
            params += (meeting_id,)
        cursor = await self._db.execute(sql + " ORDER BY a.concern_id", params)
        return [_answer(row) for row in await cursor.fetchall()]


class SatisfactionRepository:
    """Residents' satisfaction with the answers to one unit's concerns."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id

    async def record(self, concern_id: int, resident_id: int, satisfied: bool, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO satisfaction (concern_id, resident_id, satisfied, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (concern_id, resident_id) DO UPDATE SET satisfied = excluded.satisfied, at = excluded.at",
            (concern_id, resident_id, int(satisfied), store_time(now)),
        )

    async def comment(self, concern_id: int, resident_id: int, comment: str) -> None:
        await self._db.execute(
            "UPDATE satisfaction SET comment = ? WHERE concern_id = ? AND resident_id = ?",
            (comment, concern_id, resident_id),
        )

    async def counts(self, meeting_id: int | None = None) -> dict[bool, int]:
        sql = "SELECT s.satisfied, count(*) FROM satisfaction s JOIN concerns c ON c.id = s.concern_id WHERE c.unit_id = ?"
        params: tuple[object, ...] = (self._unit_id,)
        if meeting_id is not None:
            sql += " AND c.meeting_id = ?"
            params += (meeting_id,)
        cursor = await self._db.execute(sql + " GROUP BY s.satisfied", params)
        return {bool(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def unsatisfied(self, meeting_id: int) -> list[tuple[int, int, str | None]]:
        cursor = await self._db.execute(
            "SELECT s.concern_id, s.resident_id, s.comment FROM satisfaction s JOIN concerns c ON c.id = s.concern_id "
            "WHERE c.meeting_id = ? AND c.unit_id = ? AND s.satisfied = 0 ORDER BY s.concern_id",
            (meeting_id, self._unit_id),
        )
        return [(int(r[0]), int(r[1]), r[2]) for r in await cursor.fetchall()]
