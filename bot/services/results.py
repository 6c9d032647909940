"""The results report of a meeting, which the law asks a ward to publish within 10 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.documents.labels import result_status
from bot.documents.records import ResultConcern, ResultEntry, ResultsDocument
from bot.documents.results import results_docx, results_filename, results_xlsx
from bot.domain.areas import AreaTree, TopicList
from bot.domain.records import Concern, Meeting
from bot.services.after_meeting import AfterMeeting, AnswerError
from bot.services.agenda import item_title, whole_title
from storage.agenda import AgendaRepository
from storage.answers import AnswerRepository, SatisfactionRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository


# The law: the results are published within 10 days of the meeting.
RESULTS_DEADLINE = timedelta(days=10)


def results_due(meeting: Meeting) -> datetime:
    """When a meeting's results must be published by."""
    return meeting.starts_at + RESULTS_DEADLINE


class ResultsService(AfterMeeting):
    def __init__(self, settings: Settings, database: Database, clock: Clock, *, unit_id: str | None = None) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)

    async def results_document(self, meeting_id: int) -> ResultsDocument:
        """Every answered concern of the meeting, grouped as on the agenda (law: publish within 10 days)."""
        now = self._clock.now()
        today = self._today()
        zone = self._settings.zone
        async with self._database.transaction() as connection:
            meeting = await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            concerns = ConcernRepository(connection, self._unit_id)
            answers = await AnswerRepository(connection, self._unit_id).of_meeting(meeting.id)
            satisfaction = await SatisfactionRepository(connection, self._unit_id).counts(meeting.id)
            items = await AgendaRepository(connection).items(meeting.id)
            # One query for the meeting's concerns and one for the residents behind each, not
            # two per concern: a meeting of 2,000 concerns made 12,000 round trips to SQLite.
            live = await concerns.live(meeting.id)
            by_id = {c.id: c for c in live}
            residents = await concerns.resident_counts(meeting.id)
            groups: list[tuple[str, list[Concern]]] = []
            placed: set[int] = set()
            for item in items:
                members = [
                    c for c in [by_id.get(i) or await concerns.get(i) for i in item.concern_ids if i in answers]
                    if c is not None
                ]
                if members:
                    groups.append((whole_title(item.title, [c.text for c in members]), members))
                    placed.update(c.id for c in members)
            for concern in live:
                if concern.id in answers and concern.id not in placed:
                    groups.append((item_title(concern.text), [concern]))
            entries = []
            for number, (title, members) in enumerate(groups, start=1):
                answer = answers[members[0].id]
                final_day = answer.final_at.astimezone(zone).date() if answer.final_at else None
                entries.append(ResultEntry(
                    number=number,
                    title=title,
                    topic=self._topic(members[0].topic_id),
                    disposition=answer.disposition,
                    answer=answer.answer,
                    answered_by=answer.answered_by,
                    forwarded_to=answer.agency,
                    due_date=answer.due_date.strftime("%d/%m/%Y") if answer.due_date else None,
                    final_answer=answer.final_answer,
                    final_at=format_local(answer.final_at, zone) if answer.final_at else None,
                    status=result_status(answer.disposition, due_date=answer.due_date, final_at=final_day, today=today),
                    concerns=tuple([
                        ResultConcern(
                            c.code, c.text, self._areas.path_label(c.area_id, "vi"),
                            residents[c.id] if c.id in residents else len(await concerns.followers(c.id)),
                        )
                        for c in members
                    ]),
                ))
        return ResultsDocument(
            unit_name=self._settings.unit.name,
            chair_title=self._settings.unit.chair_title,
            meeting_id=meeting.id,
            meeting_title=meeting.title,
            held_at=format_local(meeting.starts_at, zone),
            place=meeting.place,
            generated_at=format_local(now, zone),
            entries=tuple(entries),
            satisfied=satisfaction.get(True, 0),
            unsatisfied=satisfaction.get(False, 0),
            levels=tuple(self._settings.unit.levels),
            chair_name=self._settings.unit.chair_name,
        )

    async def export_results(self, meeting_id: int, fmt: str, actor: str) -> tuple[str, bytes]:
        render = {"docx": results_docx, "xlsx": results_xlsx}.get(fmt)
        if render is None:
            raise AnswerError("refusal.results_format")
        document = await self.results_document(meeting_id)
        content = render(document)
        now = self._clock.now()
        async with self._database.transaction() as connection:
            meetings = MeetingRepository(connection, self._unit_id)
            meeting = await self._meeting(meetings, meeting_id)
            if meeting.results_exported_at is None:
                await meetings.update(meeting, results_exported_at=now)
            await AuditRepository(connection).record(
                actor=actor, action=f"results.export.{fmt}", subject=f"meeting:{meeting_id}", now=now,
                after={"entries": len(document.entries)},
            )
        return results_filename(document, fmt), content

    def _topic(self, topic_id: str) -> str:
        topic = self._topics.get(topic_id)
        return topic.name if topic else topic_id
