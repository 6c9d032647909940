"""The audit trail of staff actions, for callers that have no service of their own to write it.

Services that change something write their audit row in the same transaction as the change;
this service covers what is only looked at or refused (a refused command, an export) and
reads the trail for the CLI and the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from storage.audit import AuditEntry, AuditQuery, AuditRepository

__all__ = ["AuditEntry", "AuditPage", "AuditQuery", "AuditService"]
from storage.db import Database

# A refused attempt keeps the first few arguments, enough to see what was tried.
REFUSAL_ARGS_KEPT = 6
AUDIT_PAGE = 50


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    total: int
    page: int
    pages: int


class AuditService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def record(
        self,
        actor: str,
        action: str,
        subject: str,
        *,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
        outcome: str = "done",
    ) -> None:
        async with self._database.transaction() as connection:
            await AuditRepository(connection).record(
                actor=actor, action=action, subject=subject, now=self._clock.now(),
                before=before, after=after, outcome=outcome,
            )

    async def refused(self, actor: str, action: str, args: Sequence[str]) -> None:
        """A staff action someone without the role tried: kept, so an office can see it."""
        await self.record(actor, action, "staff", after={"args": list(args[:REFUSAL_ARGS_KEPT])}, outcome="forbidden")

    async def entries(self, subject: str | None = None, limit: int = 200) -> list[AuditEntry]:
        async with self._database.transaction() as connection:
            return await AuditRepository(connection).entries(subject, limit)

    async def latest(self, subject: str | None, limit: int) -> AuditPage:
        """The newest `limit` entries (of one subject, if given), and how many there are in all."""
        async with self._database.transaction() as connection:
            audit = AuditRepository(connection)
            entries = await audit.entries(subject, limit)
            total = await audit.count(subject)
        return AuditPage(tuple(entries), total, 1, max(1, -(-total // max(limit, 1))))

    async def search(self, wanted: AuditQuery, page: int = 1, page_size: int = AUDIT_PAGE) -> AuditPage:
        """One page of the entries `wanted` keeps, newest first (pages count from 1)."""
        async with self._database.transaction() as connection:
            audit = AuditRepository(connection)
            _, total = await audit.search(wanted, 1)
            pages = max(1, -(-total // page_size))
            page = min(max(page, 1), pages)
            entries, _ = await audit.search(wanted, page_size, (page - 1) * page_size)
        return AuditPage(tuple(entries), total, page, pages)
