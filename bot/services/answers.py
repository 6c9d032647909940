"""After the meeting: record answers, publish them to every follower, follow forwarded concerns
until the agency answers, carry unsatisfied concerns over, count what happened.

Every push goes through the outbox with a dedupe key per concern and resident, so
publishing twice, or a restart in the middle, never sends one answer twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.documents.answer_sheet import parse_answers_csv, parse_answers_xlsx
from bot.documents.labels import result_status
from bot.documents.records import ResultConcern, ResultEntry, ResultsDocument
from bot.documents.results import results_docx, results_filename, results_xlsx
from bot.domain.areas import AreaTree, TopicList
from bot.domain.records import Answer, Concern, Meeting, carried_over
from bot.domain.refusal import Refusal, phase_term, status_term
from bot.domain.vocabulary import ConcernStatus, Disposition, Phase
from bot.services.lookup import concern_or_refuse
from bot.services.notices import Localised, Notices
from bot.text import Catalog
from storage.agenda import AgendaRepository
from storage.answers import AnswerRepository, SatisfactionRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.outbox import OutboxRepository


class AnswerError(Refusal):
    """Why an answer, a publish or a carry-over was refused, for staff (a catalog key under [refusal])."""


@dataclass(frozen=True)
class AnswerInput:
    disposition: Disposition | str  # as staff gave it; problems() says if it is not a Disposition
    answer: str
    answered_by: str
    agency: str | None = None
    due_date: date | None = None

    def problems(self, today: date) -> list[Refusal]:
        """What is wrong with this answer, each as a catalog key (str() of one is its English text)."""
        found = []
        disposition = Disposition.of(self.disposition)
        if disposition is None:
            found.append(Refusal("refusal.answer_disposition", dispositions=Disposition.listed()))
        if not self.answer.strip():
            found.append(Refusal("refusal.answer_empty"))
        if not self.answered_by.strip():
            found.append(Refusal("refusal.answer_by_missing"))
        if disposition is not None and disposition.needs_agency and not (self.agency or "").strip():
            found.append(Refusal("refusal.answer_agency_missing"))
        if disposition is not None and disposition.needs_due_date:
            if self.due_date is None:
                found.append(Refusal("refusal.answer_due_missing"))
            elif self.due_date < today:
                found.append(Refusal("refusal.answer_due_passed"))
        return found


@dataclass(frozen=True)
class ImportReport:
    applied: int
    unchanged: int
    problems: tuple[Refusal, ...]  # render(catalog, "vi") for staff; str() is the English


@dataclass(frozen=True)
class PublishReport:
    queued: int
    concerns: int
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class FollowUp:
    concern: Concern
    answer: Answer
    overdue: bool


@dataclass(frozen=True)
class Stats:
    concerns: int
    residents: int
    by_topic: tuple[tuple[str, int], ...]
    by_area: tuple[tuple[str, int], ...]
    by_disposition: tuple[tuple[str, int], ...]
    forwarded: int
    forwarded_on_time: int
    forwarded_late: int
    forwarded_open: int
    forwarded_overdue: int
    satisfied: int
    unsatisfied: int

    @property
    def on_time_rate(self) -> float | None:
        closed = self.forwarded_on_time + self.forwarded_late
        return None if closed == 0 else self.forwarded_on_time / closed


class AnswerService:
    """After the meetings of one unit (`unit_id`, the config's unit unless told otherwise)."""

    def __init__(
        self, settings: Settings, database: Database, clock: Clock, notices: Notices, catalog: Catalog | None = None,
        *, unit_id: str | None = None,
    ) -> None:
        self._settings = settings
        self._unit_id = settings.unit.id if unit_id is None else unit_id
        self._database = database
        self._clock = clock
        self._notices = notices
        self._catalog = catalog or Catalog.load()
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)

    # --- recording ----------------------------------------------------------------------

    async def record(self, code: str, given: AnswerInput, actor: str) -> Concern:
        """The answer to one concern."""
        self._check(given)
        async with self._database.transaction() as connection:
            concern = await self._concern(ConcernRepository(connection, self._unit_id), code)
            await self._answerable(connection, concern)
            await self._put(connection, concern, given, actor)
        return concern

    async def record_item(self, meeting_id: int, number: int, given: AnswerInput, actor: str) -> list[Concern]:
        """One answer for every concern of agenda item `number` (as numbered on the agenda)."""
        self._check(given)
        async with self._database.transaction() as connection:
            concerns = await self._item_concerns(connection, meeting_id, number)
            for concern in concerns:
                await self._answerable(connection, concern)
                await self._put(connection, concern, given, actor)
        return concerns

    async def import_rows(self, meeting_id: int, rows: list[tuple[int, int, AnswerInput]], actor: str) -> ImportReport:
        """Rows of (sheet row, agenda item id, answer): all are checked first; nothing changes if any is wrong.

        Running the same file twice changes nothing the second time.
        """
        today = self._today()
        problems = [
            Refusal("refusal.import_row", row=row, problem=problem)
            for row, _, given in rows
            for problem in given.problems(today)
        ]
        applied = unchanged = 0
        async with self._database.transaction() as connection:
            meeting = await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            items = {item.id: item for item in await AgendaRepository(connection).items(meeting.id)}
            concerns = ConcernRepository(connection, self._unit_id)
            plan: list[tuple[Concern, AnswerInput]] = []
            for row, item_id, given in rows:
                item = items.get(item_id)
                if item is None:
                    problems.append(Refusal("refusal.import_not_on_agenda", row=row, item=item_id, id=meeting.id))
                    continue
                for concern_id in item.concern_ids:
                    concern = await concerns.get(concern_id)
                    if concern is not None and concern.status == ConcernStatus.OPEN and concern.merged_into is None:
                        plan.append((concern, given))
            if problems:
                return ImportReport(0, 0, tuple(problems))
            for concern, given in plan:
                await self._answerable(connection, concern)
                if await self._put(connection, concern, given, actor):
                    applied += 1
                else:
                    unchanged += 1
        return ImportReport(applied, unchanged, ())

    async def import_sheet(self, meeting_id: int, filename: str, content: bytes, actor: str) -> ImportReport:
        """The agenda XLSX (or CSV) with its answer columns filled in after the meeting."""
        parse = parse_answers_csv if filename.lower().endswith(".csv") else parse_answers_xlsx
        sheet = parse(content, meeting_id=meeting_id, today=self._today())
        if sheet.problems:
            return ImportReport(0, 0, tuple(_sheet_problem(p.row, p.column, p.message) for p in sheet.problems))
        rows = [
            (row.row, row.item_id, AnswerInput(row.disposition, row.answer, row.answered_by, row.forwarded_to, row.due_date))
            for row in sheet.rows
        ]
        if not rows:
            return ImportReport(0, 0, (Refusal("refusal.import_no_rows"),))
        return await self.import_rows(meeting_id, rows, actor)

    # --- publishing ---------------------------------------------------------------------

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

    async def _tell_answer(
        self, connection: aiosqlite.Connection, meeting: Meeting, concern: Concern, answer: Answer,
        resident_id: int, now: datetime,
    ) -> int:
        zone_due = answer.due_date.strftime("%d/%m/%Y") if answer.due_date else ""
        # A forwarded concern's message names the agency and the date it must answer by.
        key = "answer.forwarded" if answer.disposition.needs_agency else "answer.given"
        buttons = () if answer.awaiting_agency else self._satisfaction_buttons(concern)
        return int(await self._notices.to_resident(
            connection, resident_id, f"answer:{meeting.id}:{concern.id}:{resident_id}", key, now, buttons=buttons,
            code=concern.code, title=meeting.title, text=_short(concern.text, 300),
            disposition=Localised(answer.disposition.catalog_key),
            answer=answer.answer, by=answer.answered_by, agency=answer.agency or "", due=zone_due,
        ))

    @staticmethod
    def _satisfaction_buttons(concern: Concern) -> tuple[tuple[tuple[str, str], ...], ...]:
        return ((("satisfaction.yes", f"g:sat:{concern.id}:1"), ("satisfaction.no", f"g:sat:{concern.id}:0")),)

    # --- forwarded concerns -------------------------------------------------------------

    async def follow_ups(self) -> list[FollowUp]:
        today = self._today()
        async with self._database.transaction() as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            found = []
            for answer in await AnswerRepository(connection, self._unit_id).awaiting_agencies():
                concern = await concerns.get(answer.concern_id)
                if concern is not None:
                    found.append(FollowUp(concern, answer, answer.overdue_on(today)))
        return found

    async def finalise(self, code: str, final_answer: str, actor: str) -> Concern:
        """The agency's final answer to a forwarded concern, pushed to its followers."""
        if not final_answer.strip():
            raise AnswerError("refusal.final_empty")
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
            meeting = await MeetingRepository(connection, self._unit_id).get(concern.meeting_id)
            assert meeting is not None
            for resident_id, _ in await concerns.followers(concern.id):
                await self._notices.to_resident(
                    connection, resident_id, f"final:{meeting.id}:{concern.id}:{resident_id}", "answer.final", now,
                    buttons=self._satisfaction_buttons(concern),
                    code=concern.code, agency=answer.agency or "", answer=final_answer.strip(),
                )
            await AuditRepository(connection).record(
                actor=actor, action="answers.final", subject=f"concern:{concern.code}", now=now,
                after={"final_answer": final_answer.strip(), "due": str(answer.due_date)},
            )
        return concern

    # --- carry-over ---------------------------------------------------------------------

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
            carried = await concerns.submit(carried_over(source, target.id), self._settings.unit.code_prefix, now)
            for resident_id, _ in await concerns.followers(source.id):
                await concerns.add_supporter(carried.id, resident_id, now)
                await self._notices.to_resident(
                    connection, resident_id, f"carry:{source.id}:{resident_id}", "notice.carried", now,
                    code=source.code, new=carried.code, title=target.title,
                    when=format_local(target.starts_at, self._settings.zone),
                )
            if source.status != ConcernStatus.CARRIED:
                await concerns.update(source, status=ConcernStatus.CARRIED)
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

    # --- the results report -------------------------------------------------------------

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
            groups: list[tuple[str, list[Concern]]] = []
            placed: set[int] = set()
            for item in items:
                members = [c for c in [await concerns.get(i) for i in item.concern_ids] if c is not None and c.id in answers]
                if members:
                    groups.append((item.title, members))
                    placed.update(c.id for c in members)
            for concern in await concerns.live(meeting.id):
                if concern.id in answers and concern.id not in placed:
                    groups.append((_short(concern.text, 90), [concern]))
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
                        ResultConcern(c.code, c.text, self._areas.path_label(c.area_id, "vi"), len(await concerns.followers(c.id)))
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

    # --- statistics ---------------------------------------------------------------------

    async def stats(self, meeting_id: int | None = None) -> Stats:
        today = self._today()
        async with self._database.transaction() as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            all_concerns = await concerns.all(meeting_id)
            answers = {a.concern_id: a for a in await AnswerRepository(connection, self._unit_id).all(meeting_id)}
            satisfaction = await SatisfactionRepository(connection, self._unit_id).counts(meeting_id)
            residents = await concerns.count_residents(meeting_id)
        counted = [c for c in all_concerns if c.status.counted and c.merged_into is None]
        forwarded = [a for a in answers.values() if a.disposition.awaits_final_answer]
        closed = [a for a in forwarded if a.final_at is not None]
        on_time = [a for a in closed if a.due_date is None or a.final_at.astimezone(self._settings.zone).date() <= a.due_date]  # type: ignore[union-attr]
        still_open = [a for a in forwarded if a.final_at is None]
        return Stats(
            concerns=len(counted),
            residents=residents,
            by_topic=_counted(c.topic_id for c in counted),
            by_area=_counted(c.area_id for c in counted),
            by_disposition=_counted(a.disposition for a in answers.values()),
            forwarded=len(forwarded),
            forwarded_on_time=len(on_time),
            forwarded_late=len(closed) - len(on_time),
            forwarded_open=len(still_open),
            forwarded_overdue=sum(1 for a in still_open if a.overdue_on(today)),
            satisfied=satisfaction.get(True, 0),
            unsatisfied=satisfaction.get(False, 0),
        )

    # --- helpers ------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock.now().astimezone(self._settings.zone).date()

    def _check(self, given: AnswerInput) -> None:
        problems = given.problems(self._today())
        if problems:
            raise AnswerError("refusal.answer_problems", problems=problems)

    async def _put(self, connection: aiosqlite.Connection, concern: Concern, given: AnswerInput, actor: str) -> bool:
        now = self._clock.now()
        answers = AnswerRepository(connection, self._unit_id)
        before = await answers.get(concern.id)
        changed = await answers.put(
            concern.id, disposition=given.disposition, answer=given.answer.strip(), answered_by=given.answered_by.strip(),
            agency=(given.agency or "").strip() or None, due_date=given.due_date, recorded_by=actor, now=now,
        )
        if changed:
            await AuditRepository(connection).record(
                actor=actor, action="answers.record", subject=f"concern:{concern.code}", now=now,
                before=None if before is None else {"disposition": before.disposition, "answer": before.answer},
                after={"disposition": given.disposition, "answer": given.answer, "agency": given.agency,
                       "due": str(given.due_date) if given.due_date else None},
            )
        return changed

    async def _answerable(self, connection: aiosqlite.Connection, concern: Concern) -> None:
        if concern.status != ConcernStatus.OPEN or concern.merged_into is not None:
            raise AnswerError("refusal.not_answerable", code=concern.code, status=status_term(concern.status))
        meeting = await MeetingRepository(connection, self._unit_id).get(concern.meeting_id)
        assert meeting is not None
        phase = meeting.phase(self._clock.now())
        if not phase.answerable:
            raise AnswerError("refusal.meeting_still", id=meeting.id, phase=phase_term(phase))

    async def _item_concerns(self, connection: aiosqlite.Connection, meeting_id: int, number: int) -> list[Concern]:
        items = await AgendaRepository(connection).items(meeting_id)
        if not 1 <= number <= len(items):
            raise AnswerError("refusal.no_agenda_item", number=number, count=len(items))
        concerns = ConcernRepository(connection, self._unit_id)
        found = [c for c in [await concerns.get(i) for i in items[number - 1].concern_ids] if c is not None]
        return [c for c in found if c.status == ConcernStatus.OPEN and c.merged_into is None]

    async def _meeting(self, meetings: MeetingRepository, meeting_id: int) -> Meeting:
        meeting = await meetings.get(meeting_id)
        if meeting is None:
            raise AnswerError("refusal.no_meeting", id=meeting_id)
        return meeting

    async def _concern(self, concerns: ConcernRepository, code: str) -> Concern:
        return await concern_or_refuse(concerns, code, self._settings.unit.code_prefix, AnswerError)


def _sheet_problem(row: int, column: str, message: str) -> Refusal:
    """A problem the sheet reader found; its message is already Vietnamese, as the sheet is."""
    if row <= 0:
        return Refusal("refusal.import_file", problem=message)
    if column:
        return Refusal("refusal.import_cell", row=row, column=column, problem=message)
    return Refusal("refusal.import_row", row=row, problem=message)


def _counted(values: object) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))  # type: ignore[arg-type]


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
