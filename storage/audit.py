"""The audit log: every staff change, and every refused attempt, with before and after."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.times import parse_time, store_time


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    outcome: str


class AuditRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def record(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        now: datetime,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
        outcome: str = "done",
    ) -> None:
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, action, subject, before, after, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (store_time(now), actor, action, subject, _dump(before), _dump(after), outcome),
        )

    async def entries(self, subject: str | None = None, limit: int = 200) -> list[AuditEntry]:
        if subject is None:
            cursor = await self._db.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        else:
            cursor = await self._db.execute(
                "SELECT * FROM audit_log WHERE subject = ? ORDER BY id DESC LIMIT ?", (subject, limit)
            )
        return [_entry(row) for row in await cursor.fetchall()]

    async def count(self, subject: str | None = None) -> int:
        if subject is None:
            cursor = await self._db.execute("SELECT count(*) FROM audit_log")
        else:
            cursor = await self._db.execute("SELECT count(*) FROM audit_log WHERE subject = ?", (subject,))
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def search(self, wanted: AuditQuery, limit: int, offset: int = 0) -> tuple[list[AuditEntry], int]:
        """The entries `wanted` keeps, newest first, a page of them; and how many it keeps in all."""
        clauses, params = wanted.where()
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        count = await (await self._db.execute(f"SELECT count(*) FROM audit_log{where}", params)).fetchone()
        cursor = await self._db.execute(
            f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [_entry(row) for row in await cursor.fetchall()], int(count[0]) if count else 0


@dataclass(frozen=True)
class AuditQuery:
    """Who did it (any of these actors), what (an action, or every action under it), and when."""

    actors: tuple[str, ...] = ()
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[list[str], tuple[object, ...]]:
        # Only constant SQL here; every value is a bound parameter.
        clauses: list[str] = []
        params: list[object] = []
        if self.actors:
            clauses.append(f"actor IN ({', '.join('?' for _ in self.actors)})")
            params.extend(self.actors)
        if self.action:
            clauses.append("(action = ? OR action LIKE ? ESCAPE '\\')")
            escaped = self.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.extend((self.action, f"{escaped}.%"))
        if self.since is not None:
            clauses.append("at >= ?")
            params.append(store_time(self.since))
        if self.until is not None:
            clauses.append("at < ?")
            params.append(store_time(self.until))
        return clauses, tuple(params)


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        at=parse_time(row["at"]),  # type: ignore[arg-type]
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        before=json.loads(row["before"]) if row["before"] else None,
        after=json.loads(row["after"]) if row["after"] else None,
        outcome=row["outcome"],
    )


def _dump(value: dict[str, object] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
