"""The chair's answers to a unit's concerns, as staff record them after the meeting.

An answer is checked whole before anything is written (`AnswerInput.problems`); a filled
agenda sheet is all-or-nothing, and importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import aiosqlite

from bot.clock import Clock
from bot.config import Settings
from bot.documents.answer_sheet import COLUMN_KEYS, parse_answers_csv, parse_answers_xlsx
from bot.documents.records import SheetProblem
from bot.domain.evidence import AnswerStage
from bot.domain.messages import Document
from bot.domain.records import Answer, Concern
from bot.domain.refusal import Refusal, Term, phase_term, status_term
from bot.domain.vocabulary import ConcernStatus, Disposition
from bot.services.after_meeting import AfterMeeting, AnswerError
from bot.services.evidence import Prepared, attach, evidence_problems, photo_limit, prepare
from storage.agenda import AgendaRepository
from storage.answers import AnswerRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.evidence import evidence_folder
from storage.meetings import MeetingRepository


@dataclass(frozen=True)
class AnswerInput:
    disposition: Disposition | str  # as staff gave it; problems() says if it is not a Disposition
    answer: str
    answered_by: str
    agency: str | None = None
    due_date: date | None = None
    # Photos or documents sent to the residents with the answer (checked by the service, which
    # knows the channels' limits); none keeps the files an earlier record of the answer had.
    evidence: tuple[Document, ...] = ()

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


class AnswerService(AfterMeeting):
    """The chair's answers, recorded per concern, per agenda item, or from the filled agenda sheet."""

    def __init__(self, settings: Settings, database: Database, clock: Clock, *, unit_id: str | None = None) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._evidence_folder: Path | None = evidence_folder(database.path)

    async def record(self, code: str, given: AnswerInput, actor: str) -> Concern:
        """The answer to one concern."""
        self._check(given)
        files = prepare(given.evidence)
        async with self._database.transaction() as connection:
            concern = await self._concern(ConcernRepository(connection, self._unit_id), code)
            await self._answerable(connection, concern)
            await self._put(connection, concern, given, actor, files)
        return concern

    async def record_item(self, meeting_id: int, number: int, given: AnswerInput, actor: str) -> list[Concern]:
        """One answer for every concern of agenda item `number` (as numbered on the agenda)."""
        self._check(given)
        files = prepare(given.evidence)  # the same files for every concern of the item, stored once
        async with self._database.transaction() as connection:
            concerns = await self._item_concerns(connection, meeting_id, number)
            for concern in concerns:
                await self._answerable(connection, concern)
                await self._put(connection, concern, given, actor, files)
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
            return ImportReport(0, 0, tuple(_sheet_problem(p) for p in sheet.problems))
        rows = [
            (row.row, row.item_id, AnswerInput(row.disposition, row.answer, row.answered_by, row.forwarded_to, row.due_date))
            for row in sheet.rows
        ]
        if not rows:
            return ImportReport(0, 0, (Refusal("refusal.import_no_rows"),))
        return await self.import_rows(meeting_id, rows, actor)

    async def of_meeting(self, meeting_id: int) -> dict[int, Answer]:
        """The answers recorded for a meeting's concerns, by concern id (for the console to show)."""
        async with self._database.transaction() as connection:
            return await AnswerRepository(connection, self._unit_id).of_meeting(meeting_id)

    # --- helpers ------------------------------------------------------------------------

    def _check(self, given: AnswerInput) -> None:
        problems = given.problems(self._today()) + evidence_problems(given.evidence, photo_limit(self._settings))
        if problems:
            raise AnswerError("refusal.answer_problems", problems=problems)

    async def _put(
        self, connection: aiosqlite.Connection, concern: Concern, given: AnswerInput, actor: str,
        files: list[Prepared] | None = None,
    ) -> bool:
        now = self._clock.now()
        if files:
            try:
                await attach(connection, self._evidence_folder, concern.id, AnswerStage.ANSWER, files, actor, now)
            except OSError as error:  # the disk is full, or the folder not writable: staff are told
                raise AnswerError("refusal.evidence_not_kept", reason=error.strerror or type(error).__name__) from None
        answers = AnswerRepository(connection, self._unit_id)
        before = await answers.get(concern.id)
        changed = await answers.put(
            concern.id, disposition=given.disposition, answer=given.answer.strip(), answered_by=given.answered_by.strip(),
            agency=(given.agency or "").strip() or None, due_date=given.due_date, recorded_by=actor, now=now,
        )
        if changed or files:
            await AuditRepository(connection).record(
                actor=actor, action="answers.record", subject=f"concern:{concern.code}", now=now,
                before=None if before is None else {"disposition": before.disposition, "answer": before.answer},
                after={"disposition": given.disposition, "answer": given.answer, "agency": given.agency,
                       "due": str(given.due_date) if given.due_date else None,
                       **({"evidence": [f.file.filename for f in files]} if files else {})},
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



def _sheet_problem(found: SheetProblem) -> Refusal:
    """A problem the sheet reader found, worded whole in the reader's language (the column too)."""
    problem = found.problem or Refusal("refusal.import_file", problem=found.message)
    if found.row <= 0:
        return Refusal("refusal.import_file", problem=problem)
    if found.column:
        key = COLUMN_KEYS.get(found.column, "")
        column = Term(f"refusal.sheet_column.{key}", found.column)
        return Refusal("refusal.import_cell", row=found.row, column=column, problem=problem)
    return Refusal("refusal.import_row", row=found.row, problem=problem)
