"""Publishing the chair's answers: one message per follower per answered concern, through the outbox.

Every push has a dedupe key per concern and resident, so publishing twice, or a restart in
the middle, never sends one answer twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.clock import Clock
from bot.config import Settings
from bot.domain.evidence import AnswerStage
from bot.domain.records import Answer, Concern, Meeting
from bot.domain.resident_buttons import satisfaction_payload
from bot.domain.vocabulary import Phase
from bot.services.after_meeting import AfterMeeting, AnswerError
from bot.services.evidence import queue_evidence
from bot.services.notices import Localised, Notices, Quoted
from storage.answers import AnswerRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.heartbeats import HeartbeatRepository
from storage.meetings import MeetingRepository
from storage.outbox import OutboxRepository


@dataclass(frozen=True)
class PublishReport:
    queued: int
    concerns: int
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class RouteCounts:
    """How a publish's messages went on a channel that chooses a way per message (Zalo): free and
    charged consultation messages, template messages by account and by phone number, held."""

    free: int = 0
    charged: int = 0
    template: int = 0
    template_phone: int = 0
    held: int = 0

    @classmethod
    def of(cls, routes: dict[str, int], held: int) -> RouteCounts:
        # The route names the Zalo sender records (handlers/zalo/sender.py, `Route`).
        return cls(routes.get("consultation", 0), routes.get("consultation_charged", 0), routes.get("template", 0),
                   routes.get("template_phone", 0), held)

    @property
    def any(self) -> bool:
        return bool(self.free or self.charged or self.template or self.template_phone or self.held)

    def values(self) -> dict[str, int]:
        return {"free": self.free, "charged": self.charged, "template": self.template,
                "template_phone": self.template_phone, "held": self.held}


def satisfaction_buttons(concern: Concern) -> tuple[tuple[tuple[str, str], ...], ...]:
    """"Are you satisfied?" under an answer: catalog keys and the resident's global button payloads."""
    return ((("satisfaction.yes", satisfaction_payload(concern.id, True)),
             ("satisfaction.no", satisfaction_payload(concern.id, False))),)


class PublishingService(AfterMeeting):
    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._notices = notices
        # Told after publishing: what is scheduled changed (the summary to staff once sent).
        self.on_change: list[Callable[[], Awaitable[object]]] = []

    async def publish(self, meeting_id: int, actor: str) -> PublishReport:
        """Queue one message per follower per answered concern; the outbox sends them."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            meetings = MeetingRepository(connection, self._unit_id)
            meeting = await self._meeting(meetings, meeting_id)
            if not meeting.phase(now).held:
                raise AnswerError("refusal.not_held_yet", id=meeting.id)
            concerns = ConcernRepository(connection, self._unit_id)
            answers = await AnswerRepository(connection, self._unit_id).of_meeting(meeting.id)
            queued = answered = 0
            unanswered = []
            for concern in await concerns.live(meeting.id):
                answer = answers.get(concern.id)
                if answer is None:
                    unanswered.append(concern.code)
                    continue
                answered += 1
                for resident_id, _ in await concerns.followers(concern.id):
                    queued += await self._tell_answer(connection, meeting, concern, answer, resident_id, now)
            if meeting.status != Phase.PUBLISHED:
                await meetings.update(meeting, status=Phase.PUBLISHED, published_at=now)
            await AuditRepository(connection).record(
                actor=actor, action="answers.publish", subject=f"meeting:{meeting.id}", now=now,
                after={"queued": queued, "concerns": answered, "unanswered": len(unanswered)},
            )
        for callback in self.on_change:
            await callback()
        return PublishReport(queued, answered, tuple(unanswered))

    async def retry_failed(self, actor: str) -> int:
        """Failed pushes (network trouble that outlasted the retries) go back into the queue."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            count = await OutboxRepository(connection).retry_failed(now)
            await AuditRepository(connection).record(
                actor=actor, action="outbox.retry", subject="outbox", now=now, after={"count": count}
            )
        return count

    async def progress(self, meeting_id: int) -> dict[str, int]:
        async with self._database.transaction() as connection:
            outbox = OutboxRepository(connection)
            answers = await outbox.counts(f"answer:{meeting_id}:")
            finals = await outbox.counts(f"final:{meeting_id}:")
        return {status: answers.get(status, 0) + finals.get(status, 0) for status in set(answers) | set(finals)}

    async def routes(self, meeting_id: int) -> RouteCounts:
        """The publish's messages by the way they went (the progress's `held` included)."""
        async with self._database.transaction() as connection:
            outbox = OutboxRepository(connection)
            found: dict[str, int] = {}
            held = 0
            for prefix in (f"answer:{meeting_id}:", f"final:{meeting_id}:"):
                for route, count in (await outbox.sent_routes(prefix)).items():
                    found[route] = found.get(route, 0) + count
                held += (await outbox.counts(prefix)).get("held", 0)
        return RouteCounts.of(found, held)

    async def sending_channels(self, within: timedelta) -> set[str]:
        """The channels a running bot's outbox has said, within `within`, that it sends on."""
        async with self._database.transaction() as connection:
            return await HeartbeatRepository(connection).since(self._clock.now() - within)

    async def _tell_answer(
        self, connection: aiosqlite.Connection, meeting: Meeting, concern: Concern, answer: Answer,
        resident_id: int, now: datetime,
    ) -> int:
        zone_due = answer.due_date.strftime("%d/%m/%Y") if answer.due_date else ""
        # A forwarded concern's message names the agency and the date it must answer by.
        key = "answer.forwarded" if answer.disposition.needs_agency else "answer.given"
        buttons = () if answer.awaiting_agency else satisfaction_buttons(concern)
        answer_key = f"answer:{meeting.id}:{concern.id}:{resident_id}"
        queued = int(await self._notices.to_resident(
            connection, resident_id, answer_key, key, now, buttons=buttons,
            code=concern.code, title=meeting.title, text=Quoted(concern.text, 300),
            disposition=Localised(answer.disposition.catalog_key),
            answer=answer.answer, by=answer.answered_by, agency=answer.agency or "", due=zone_due,
        ))
        # The answer's photos and documents, each after it (the outbox keeps a chat's order).
        return queued + await queue_evidence(connection, self._notices.catalog, resident_id, answer_key, concern.id,
                                             concern.code, AnswerStage.ANSWER, now)
