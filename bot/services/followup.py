"""Forwarded concerns: followed until the agency answers, and its final answer pushed to the followers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.domain.evidence import AnswerStage
from bot.domain.messages import Document
from bot.domain.records import Answer, Concern
from bot.services.after_meeting import AfterMeeting, AnswerError
from bot.services.evidence import attach, evidence_problems, photo_limit, prepare, queue_evidence
from bot.services.notices import Notices
from bot.services.publishing import satisfaction_buttons
from storage.answers import AnswerRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.queue import QueueRepository
from storage.db import Database
from storage.evidence import evidence_folder
from storage.meetings import MeetingRepository


@dataclass(frozen=True)
class FollowUp:
    concern: Concern
    answer: Answer
    overdue: bool


class FollowUpService(AfterMeeting):
    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._notices = notices

    async def follow_ups(self) -> list[FollowUp]:
        today = self._today()
        async with self._database.transaction() as connection:
            waiting = await AnswerRepository(connection, self._unit_id).awaiting_agencies()
            # Their concerns in one query: hundreds may wait across a unit's meetings.
            concerns = {c.id: c for c in await QueueRepository(connection, self._unit_id).whole([a.concern_id for a in waiting])}
        return [FollowUp(concerns[a.concern_id], a, a.overdue_on(today)) for a in waiting if a.concern_id in concerns]

    async def finalise(self, code: str, final_answer: str, actor: str, evidence: Sequence[Document] = ()) -> Concern:
        """The agency's final answer to a forwarded concern, pushed to its followers with its files."""
        if not final_answer.strip():
            raise AnswerError("refusal.final_empty")
        problems = evidence_problems(evidence, photo_limit(self._settings))
        if problems:
            raise AnswerError("refusal.answer_problems", problems=problems)
        files = prepare(evidence)
        now = self._clock.now()
        async with self._database.transaction() as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            concern = await self._concern(concerns, code)
            answers = AnswerRepository(connection, self._unit_id)
            answer = await answers.get(concern.id)
            if answer is None or not answer.disposition.awaits_final_answer:
                raise AnswerError("refusal.not_forwarded", code=concern.code)
            if answer.final_answer is not None:
                raise AnswerError("refusal.already_final", code=concern.code)
            await answers.finalise(concern.id, final_answer.strip(), actor, now)
            try:
                await attach(connection, evidence_folder(self._database.path), concern.id, AnswerStage.FINAL, files,
                             actor, now)
            except OSError as error:
                raise AnswerError("refusal.evidence_not_kept", reason=error.strerror or type(error).__name__) from None
            meeting = await MeetingRepository(connection, self._unit_id).get(concern.meeting_id)
            assert meeting is not None
            for resident_id, _ in await concerns.followers(concern.id):
                key = f"final:{meeting.id}:{concern.id}:{resident_id}"
                await self._notices.to_resident(
                    connection, resident_id, key, "answer.final", now,
                    buttons=satisfaction_buttons(concern),
                    code=concern.code, agency=answer.agency or "", answer=final_answer.strip(),
                )
                await queue_evidence(connection, self._notices.catalog, resident_id, key, concern.id, concern.code,
                                     AnswerStage.FINAL, now)
            await AuditRepository(connection).record(
                actor=actor, action="answers.final", subject=f"concern:{concern.code}", now=now,
                after={"final_answer": final_answer.strip(), "due": str(answer.due_date),
                       **({"evidence": [f.file.filename for f in files]} if files else {})},
            )
        return concern
