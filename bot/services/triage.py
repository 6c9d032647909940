"""Triage for staff: the queue, one concern, topic and area fixes, rejection, merge and unmerge.

Plain async functions over the database; the staff chat and the CLI both call these.
Every change is audited with who, what, when, before and after. Edits carry the version
the staff member saw: if someone else changed the concern meanwhile, the edit is refused
and says so, rather than silently overwriting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import Clock
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.records import Concern
from bot.domain.refusal import Refusal, status_term
from bot.domain.lexicon import lexicon_for
from bot.domain.similar import Candidate
from bot.domain.similar_lookup import find_similar
from bot.domain.vocabulary import ConcernStatus
from bot.services.duplicates import DuplicatePairs
from bot.services.lookup import concern_or_refuse
from bot.services.notices import Notices
from bot.services.unit import UnitService
from storage.agenda import AgendaRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository


class TriageError(Refusal):
    """Why a triage action was refused, for staff (a catalog key under [refusal])."""


class _VersionConflict(Exception):
    """Someone changed the concern after this staff member looked at it."""

    def __init__(self, concern: Concern, action: str, changes: dict[str, object]) -> None:
        super().__init__(concern.code)
        self.concern = concern
        self.action = action
        self.changes = changes


@dataclass(frozen=True)
class QueueEntry:
    concern: Concern
    residents: int


@dataclass(frozen=True)
class Queue:
    meeting_id: int
    entries: tuple[QueueEntry, ...]
    by_topic: tuple[tuple[str, int], ...]
    by_area: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ConcernView:
    concern: Concern
    residents: int
    merged_children: tuple[Concern, ...]
    merged_into_code: str | None
    agenda_item: int | None
    similar: tuple[tuple[Concern, float], ...]


class TriageService(UnitService):
    """Triage of one unit's concerns (`unit_id`, the config's unit unless told otherwise)."""

    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._notices = notices
        self.areas = AreaTree(settings)
        self.topics = TopicList(settings)
        self.lexicon = lexicon_for(settings)

    # --- reading ------------------------------------------------------------------------

    async def queue(self, meeting_id: int, topic_id: str | None = None, area_id: str | None = None) -> Queue:
        async with self._database.transaction() as connection:
            if await MeetingRepository(connection, self._unit_id).get(meeting_id) is None:
                raise TriageError("refusal.no_meeting", id=meeting_id)
            concerns = ConcernRepository(connection, self._unit_id)
            live = await concerns.live(meeting_id)
            residents = await concerns.resident_counts(meeting_id)
        by_topic = Counter(c.topic_id for c in live)
        by_area = Counter(c.area_id for c in live)
        chosen = [
            c for c in live
            if (topic_id is None or c.topic_id == topic_id)
            and (area_id is None or self.areas.is_within(c.area_id, area_id))
        ]
        topic_order = {t.id: n for n, t in enumerate(self.topics.all())}
        chosen.sort(key=lambda c: (topic_order.get(c.topic_id, 99), c.area_id, c.id))
        return Queue(
            meeting_id,
            tuple(QueueEntry(c, residents.get(c.id, 1)) for c in chosen),
            tuple(sorted(by_topic.items(), key=lambda kv: (topic_order.get(kv[0], 99), kv[0]))),
            tuple(sorted(by_area.items())),
        )

    async def view(self, code: str) -> ConcernView:
        async with self._database.transaction() as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            concern = await self._find(concerns, code)
            residents = len(await concerns.followers(concern.id))
            children = await concerns.merged_children(concern.id)
            parent = await concerns.get(concern.merged_into) if concern.merged_into else None
            item = await AgendaRepository(connection).item_of(concern.id)
            # The measure the resident's offer and the agenda's groups use, over the whole meeting.
            candidates = await concerns.similarity_candidates(concern.meeting_id)
            mine = Candidate(concern.id, concern.text, concern.area_id, concern.latitude, concern.longitude)
            matches = find_similar(mine, candidates, limit=3, nearness=self.areas.nearness, lexicon=self.lexicon)
            similar = []
            for match in matches:
                other = await concerns.get(match.concern_id)
                if other is not None:
                    similar.append((other, match.score))
        return ConcernView(
            concern, residents, tuple(children), parent.code if parent else None, item, tuple(similar)
        )

    # --- changes ------------------------------------------------------------------------

    async def set_topic(self, code: str, topic_id: str, actor: str, seen_version: int | None = None) -> Concern:
        if self.topics.get(topic_id) is None:
            raise TriageError("refusal.unknown_topic", topic=topic_id)
        return await self._edit(code, actor, "concern.topic", seen_version, topic_id=topic_id)

    async def set_area(self, code: str, area_id: str, actor: str, seen_version: int | None = None) -> Concern:
        if self.areas.get(area_id) is None:
            raise TriageError("refusal.unknown_area", area=area_id)
        return await self._edit(code, actor, "concern.area", seen_version, area_id=area_id)

    async def reject(self, code: str, reason: str, actor: str, seen_version: int | None = None) -> Concern:
        reason = reason.strip()
        if not reason:
            raise TriageError("refusal.reject_reason")
        now = self._clock.now()
        async with self._change(actor) as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            concern = await self._find(concerns, code)
            if concern.status != ConcernStatus.OPEN or concern.merged_into is not None:
                raise TriageError("refusal.reject_not_open", code=concern.code, status=status_term(concern.status))
            updated = await self._write(connection, concern, actor, "concern.reject", seen_version, now,
                                        status=ConcernStatus.REJECTED, reject_reason=reason)
            await self._pairs(connection).left(concern.id)
            agenda = AgendaRepository(connection)
            await agenda.detach(concern.id)
            await agenda.delete_empty(concern.meeting_id)
            for resident_id, _ in await concerns.followers(concern.id):
                await self._notices.to_resident(
                    connection, resident_id, f"reject:{concern.id}:{resident_id}", "notice.rejected", now,
                    code=concern.code, reason=reason,
                )
        return updated

    async def merge(self, source_code: str, target_code: str, actor: str) -> Concern:
        """Merge `source` into `target`: the target survives and every follower of both follows it."""
        now = self._clock.now()
        async with self._change(actor) as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            source = await self._find(concerns, source_code)
            target = await self._find(concerns, target_code)
            await self._check_merge(concerns, source, target)
            updated = await self._write(connection, source, actor, "concern.merge", None, now,
                                        status=ConcernStatus.MERGED, merged_into=target.id)
            await self._pairs(connection).left(source.id)
            agenda = AgendaRepository(connection)
            item_id = await agenda.detach(source.id)
            if item_id is not None and await agenda.item_of(target.id) is None:
                # The item the staff built stays: the survivor takes the merged concern's place.
                await agenda.attach(item_id, [target.id])
            await agenda.delete_empty(source.meeting_id)
            for resident_id, _ in await concerns.followers(source.id):
                await self._notices.to_resident(
                    connection, resident_id, f"merge:{source.id}:{target.id}:{resident_id}", "notice.merged", now,
                    code=source.code, target=target.code,
                )
        return updated

    async def unmerge(self, code: str, actor: str) -> Concern:
        now = self._clock.now()
        async with self._change(actor) as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            concern = await self._find(concerns, code)
            if concern.merged_into is None:
                raise TriageError("refusal.not_merged", code=concern.code)
            unmerged = await self._write(connection, concern, actor, "concern.unmerge", None, now,
                                         status=ConcernStatus.OPEN, merged_into=None)
            await self._pairs(connection).entered(unmerged.id)
            return unmerged

    # --- helpers ------------------------------------------------------------------------

    async def _check_merge(self, concerns: ConcernRepository, source: Concern, target: Concern) -> None:
        if source.id == target.id:
            raise TriageError("refusal.merge_into_itself")
        if source.meeting_id != target.meeting_id:
            raise TriageError("refusal.merge_other_meeting", code=source.code, target=target.code)
        if source.merged_into is not None:
            parent = await concerns.get(source.merged_into)
            raise TriageError("refusal.merge_already", code=source.code, target=parent.code if parent else "?")
        if target.merged_into is not None:
            chain = await concerns.ancestors(target.id)
            if source.id in chain:
                raise TriageError("refusal.merge_cycle", code=source.code, target=target.code)
            root = await concerns.get(chain[-1])
            raise TriageError("refusal.merge_into_merged", target=target.code, root=root.code if root else "?")
        for concern in (source, target):
            if concern.status != ConcernStatus.OPEN:
                raise TriageError("refusal.merge_not_open", code=concern.code, status=status_term(concern.status))

    async def _edit(self, code: str, actor: str, action: str, seen_version: int | None, **changes: object) -> Concern:
        now = self._clock.now()
        async with self._change(actor) as connection:
            concern = await self._find(ConcernRepository(connection, self._unit_id), code)
            edited = await self._write(connection, concern, actor, action, seen_version, now, **changes)
            await self._pairs(connection).reworded(edited.id)
            return edited

    @asynccontextmanager
    async def _change(self, actor: str) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction for one change; a version conflict rolls it back, then is audited on its own."""
        try:
            async with self._database.transaction() as connection:
                yield connection
        except _VersionConflict as conflict:
            async with self._database.transaction() as connection:
                await AuditRepository(connection).record(
                    actor=actor, action=conflict.action, subject=f"concern:{conflict.concern.code}",
                    now=self._clock.now(), after=conflict.changes, outcome="conflict",
                )
            raise TriageError("refusal.concern_changed", code=conflict.concern.code) from None

    async def _write(
        self,
        connection: aiosqlite.Connection,
        concern: Concern,
        actor: str,
        action: str,
        seen_version: int | None,
        now: datetime,
        **changes: object,
    ) -> Concern:
        if seen_version is not None and seen_version != concern.version:
            raise _VersionConflict(concern, action, dict(changes))
        updated = await ConcernRepository(connection, self._unit_id).update(concern, **changes)
        if updated is None:
            raise _VersionConflict(concern, action, dict(changes))
        before = {key: getattr(concern, key) for key in changes}
        await AuditRepository(connection).record(
            actor=actor, action=action, subject=f"concern:{concern.code}", now=now, before=before, after=dict(changes)
        )
        return updated

    def _pairs(self, connection: aiosqlite.Connection) -> DuplicatePairs:
        """The stored likely duplicates, kept right in the same transaction as the change."""
        return DuplicatePairs(connection, self._unit_id, self.lexicon)

    async def _find(self, concerns: ConcernRepository, code: str) -> Concern:
        return await concern_or_refuse(concerns, code, self._settings.unit.code_prefix, TriageError)

