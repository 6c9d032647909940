"""The audit log: every staff change, and every refused attempt, with before and after."""

from __future__ import annotations

import json
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
        return [
            AuditEntry(
                at=parse_time(row["at"]),  # type: ignore[arg-type]
                actor=row["actor"],
                action=row["action"],
                subject=row["subject"],
                before=json.loads(row["before"]) if row["before"] else None,
                after=json.loads(row["after"]) if row["after"] else None,
                outcome=row["outcome"],
            )
            for row in await cursor.fetchall()
        ]


def _dump(value: dict[str, object] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
