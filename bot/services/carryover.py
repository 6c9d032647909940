"""Carrying a concern over to a later meeting, its followers with it (typically when they were not satisfied)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.domain.lexicon import lexicon_for
from bot.domain.records import Concern, Meeting, carried_over
from bot.domain.refusal import status_term
from bot.domain.vocabulary import ConcernStatus, Phase
from bot.services.after_meeting import AfterMeeting, AnswerError
from bot.services.duplicates import DuplicatePairs
from bot.services.notices import Notices
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository


class CarryOverService(AfterMeeting):
    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._notices = notices
        self._lexicon = lexicon_for(settings)

    async def carry_over(self, code: str, actor: str, meeting_id: int | None = None) -> Concern:
        """Take a concern (typically one residents were not satisfied with) to a later meeting."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            source = await self._concern(concerns, code)
            if source.merged_into is not None or not source.status.carriable:
                raise AnswerError("refusal.cannot_carry", code=source.code, status=status_term(source.status))
            meetings = MeetingRepository(connection, self._unit_id)
            target = await self._next_meeting(meetings, source, meeting_id, now)
            before = await concerns.similarity_candidates(target.id)
            carried = await concerns.submit(carried_over(source, target.id), self._settings.unit.code_prefix, now)
            pairs = DuplicatePairs(connection, self._unit_id, self._lexicon)
            await pairs.submitted(carried, before)
            for resident_id, _ in await concerns.followers(source.id):
                await concerns.add_supporter(carried.id, resident_id, now)
                await self._notices.to_resident(
                    connection, resident_id, f"carry:{source.id}:{resident_id}", "notice.carried", now,
                    code=source.code, new=carried.code, title=target.title,
                    when=format_local(target.starts_at, self._settings.zone),
                )
            if source.status != ConcernStatus.CARRIED:
                await concerns.update(source, status=ConcernStatus.CARRIED)
                await pairs.left(source.id)
            await AuditRepository(connection).record(
                actor=actor, action="concern.carry", subject=f"concern:{source.code}", now=now,
                after={"to": carried.code, "meeting": target.id},
            )
        return carried

    async def _next_meeting(self, meetings: MeetingRepository, source: Concern, meeting_id: int | None, now: datetime) -> Meeting:
        if meeting_id is not None:
            target = await meetings.get(meeting_id)
            if target is None:
                raise AnswerError("refusal.no_meeting", id=meeting_id)
        else:
            later = [m for m in await meetings.list_upcoming(now) if m.id != source.meeting_id and m.status == Phase.ANNOUNCED]
            if not later:
                raise AnswerError("refusal.no_later_meeting")
            target = later[0]
        if target.id == source.meeting_id or target.phase(now).final:
            raise AnswerError("refusal.cannot_take_carried", id=target.id)
        return target
