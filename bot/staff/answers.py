"""Staff commands after the meeting: answers (typed or a filled sheet), publishing, follow-up, figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.messages import Reply
from bot.domain.vocabulary import Disposition, Role
from bot.services.answers import AnswerInput
from bot.staff.context import Arguments, Request, Staff, Usage, whole
from bot.staff.registry import Command, no_arguments
from bot.staff.views import answers as view


@dataclass(frozen=True)
class ConcernAnswer:
    code: str
    given: AnswerInput


@dataclass(frozen=True)
class ItemAnswer:
    """One answer for every concern of an agenda item of the latest meeting held."""

    number: int
    given: AnswerInput


@dataclass(frozen=True)
class Finalisation:
    code: str
    final_answer: str


@dataclass(frozen=True)
class CarryOver:
    code: str
    meeting_id: int | None  # None: the next meeting


@dataclass(frozen=True)
class ResultsRequest:
    format: str
    meeting_id: int | None


def parse_answer(args: Arguments) -> ConcernAnswer | ItemAnswer:
    # /answer TT-0012 answered Chủ tịch UBND phường | answer…
    # /answer item 3 forwarded Chủ tịch UBND phường | Công ty Thoát nước | 31/12/2026 | answer…
    head, _, rest = args.text().partition(" ")
    item = None
    if head.lower() == "item":
        number, _, rest = rest.partition(" ")
        item = whole(number)
    disposition, _, rest = rest.strip().partition(" ")
    parts = [p.strip() for p in rest.split("|")]
    if disposition == Disposition.FORWARDED and len(parts) == 4:
        by, agency, due, answer = parts
        given = AnswerInput(disposition, answer, by, agency, args.time(due).astimezone(args.zone).date())
    elif disposition != Disposition.FORWARDED and len(parts) == 2:
        given = AnswerInput(disposition, parts[1], parts[0])
    else:
        raise Usage("staff.answer_usage")
    return ConcernAnswer(head, given) if item is None else ItemAnswer(item, given)


def parse_meeting(args: Arguments) -> int | None:
    return args.meeting(0)


def parse_finalisation(args: Arguments) -> Finalisation:
    if len(args) < 2:
        raise Usage("staff.final_usage")
    return Finalisation(args[0], args.text(1))


def parse_carry(args: Arguments) -> CarryOver:
    if not args:
        raise Usage("staff.carry_usage")
    return CarryOver(args[0], args.number(1))


def parse_results(args: Arguments) -> ResultsRequest:
    return ResultsRequest((args[0] if args else "docx").lower(), args.meeting(1))


async def answer(staff: Staff, request: Request, given: ConcernAnswer | ItemAnswer) -> list[Reply]:
    match given:
        case ItemAnswer(number, answer_input):
            meeting = await staff.services.meetings.latest_held()
            done = await staff.services.answers.record_item(meeting.id, number, answer_input, request.actor)
        case ConcernAnswer(code, answer_input):
            done = [await staff.services.answers.record(code, answer_input, request.actor)]
    return view.recorded(staff.words, done)


async def import_sheet(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    sheet = request.inbound.attachment
    if sheet is None:
        return staff.words.say("staff.import_usage")
    meeting = await staff.services.meetings.latest_held(meeting_id)
    report = await staff.services.answers.import_sheet(meeting.id, sheet.filename, sheet.content, request.actor)
    return view.imported(staff.words, meeting, report)


async def publish(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    meeting = await staff.services.meetings.latest_held(meeting_id)
    return view.published(staff.words, meeting, await staff.services.publishing.publish(meeting.id, request.actor))


async def progress(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    meeting = await staff.services.meetings.latest_held(meeting_id)
    publishing = staff.services.publishing
    return view.progress(staff.words, meeting, await publishing.progress(meeting.id), await publishing.routes(meeting.id))


async def follow_up(staff: Staff, request: Request, _: None) -> list[Reply]:
    return view.follow_ups(staff.words, await staff.services.followup.follow_ups())


async def final(staff: Staff, request: Request, given: Finalisation) -> list[Reply]:
    concern = await staff.services.followup.finalise(given.code, given.final_answer, request.actor)
    return view.finalised(staff.words, concern)


async def carry(staff: Staff, request: Request, asked: CarryOver) -> list[Reply]:
    carried = await staff.services.carryover.carry_over(asked.code, request.actor, asked.meeting_id)
    return view.carried(staff.words, asked.code, carried)


async def stats(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    return view.statistics(staff.words, await staff.services.statistics.stats(meeting_id))


async def results(staff: Staff, request: Request, asked: ResultsRequest) -> list[Reply]:
    meeting = await staff.services.meetings.latest_held(asked.meeting_id)
    filename, content = await staff.services.results.export_results(meeting.id, asked.format, request.actor)
    return view.results_file(staff.words, meeting, filename, content)


async def retry(staff: Staff, request: Request, _: None) -> list[Reply]:
    return view.retried(staff.words, await staff.services.publishing.retry_failed(request.actor))


# Also what a filled answer sheet sent to the staff chat without a command runs.
IMPORT_SHEET: Command[int | None] = Command(("import",), Role.STAFF, parse_meeting, import_sheet)

COMMANDS: tuple[Command[Any], ...] = (
    Command(("answer",), Role.STAFF, parse_answer, answer),
    IMPORT_SHEET,
    Command(("publish",), Role.STAFF, parse_meeting, publish),
    Command(("progress",), Role.STAFF, parse_meeting, progress),
    Command(("followup",), Role.STAFF, no_arguments, follow_up),
    Command(("final",), Role.STAFF, parse_finalisation, final),
    Command(("carry",), Role.STAFF, parse_carry, carry),
    Command(("stats",), Role.STAFF, parse_meeting, stats),
    Command(("results",), Role.STAFF, parse_results, results),
    Command(("retry",), Role.STAFF, no_arguments, retry),
)
