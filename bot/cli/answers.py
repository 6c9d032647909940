"""After the meeting: `doithoai answers …`, `publish`, `followup`, `final`, `carry`, `stats`,
`results` and `retry-failed`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.cli import sending
from bot.cli.common import Group, actor, command, local_time, nouns, shorten, with_services
from bot.clock import Clock
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.vocabulary import ConcernStatus, Disposition
from bot.services.answers import AnswerInput
from bot.text import plural

if TYPE_CHECKING:
    from bot.app import Services


def register(commands: Group) -> None:
    _register_answers(nouns(commands, "answers", "record the chair's answers after the meeting"))
    publish_command = command(
        commands, "publish", publish, "send the answers to every resident who raised or supported each concern"
    )
    publish_command.add_argument("--meeting", type=int)
    publish_command.add_argument("--no-wait", action="store_true", help="queue them and return; the running bot sends them")
    publish_command.add_argument(
        "--send", action="store_true",
        help="send from this process through every enabled channel (only when the bot is not running; "
             "needs the channels' secrets, e.g. TELEGRAM_BOT_TOKEN)",
    )
    command(commands, "followup", followup, "concerns forwarded to agencies and still waiting for an answer")
    final_command = command(commands, "final", final, "record an agency's final answer; its residents are told")
    final_command.add_argument("code")
    final_command.add_argument("--answer", required=True)
    carry_command = command(commands, "carry", carry, "carry a concern over to a later meeting, keeping its followers")
    carry_command.add_argument("code")
    carry_command.add_argument("--to-meeting", type=int)
    stats_command = command(commands, "stats", stats, "counts by topic, area, outcome; on-time rate; satisfaction")
    stats_command.add_argument("--meeting", type=int)
    results_command = command(commands, "results", results, "the results report of a meeting (to publish within 10 days)")
    results_command.add_argument("--meeting", type=int)
    results_command.add_argument("--format", choices=("docx", "xlsx"), default="docx")
    results_command.add_argument("--out", help="file or folder (default: the current folder)")
    command(commands, "retry-failed", retry_failed, "queue failed pushes again")


def _register_answers(answers: Group) -> None:
    for name, action, help in (
        ("record", record, "answer one concern"),
        ("item", record_item, "answer every concern of agenda item N"),
    ):
        sub = command(answers, name, action, help)
        sub.add_argument("target", help="a concern code (record) or an item number (item)")
        sub.add_argument("--meeting", type=int)
        sub.add_argument("--disposition", required=True, choices=tuple(Disposition))
        sub.add_argument("--answer", required=True)
        sub.add_argument("--by", required=True, help="who answered, e.g. 'Chủ tịch UBND phường'")
        sub.add_argument("--agency", help="forwarded: the agency it went to")
        sub.add_argument("--due", help="forwarded: dd/mm/yyyy")
    imported = command(answers, "import", import_sheet, "import the agenda XLSX/CSV with its answer columns filled in")
    imported.add_argument("file")
    imported.add_argument("--meeting", type=int)


def _answer_input(args: argparse.Namespace, settings: Settings) -> AnswerInput:
    due = local_time(f"{args.due} 00:00", settings) if args.due else None
    return AnswerInput(args.disposition, args.answer, args.by, args.agency,
                       due.astimezone(settings.zone).date() if due else None)


@with_services
async def record(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.answers.record(args.target, _answer_input(args, settings), actor())
    print(f"answer recorded for {concern.code}")


@with_services
async def record_item(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.latest_held(args.meeting)
    done = await services.answers.record_item(meeting.id, int(args.target), _answer_input(args, settings), actor())
    print("answer recorded for " + ", ".join(c.code for c in done))


@with_services
async def import_sheet(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> int:
    meeting = await services.meetings.latest_held(args.meeting)
    path = Path(args.file)
    report = await services.answers.import_sheet(meeting.id, path.name, path.read_bytes(), actor())
    if report.problems:
        count = plural(len(report.problems), "problem", "problems")
        print(f"nothing was recorded: {count} to fix in {path.name}:", file=sys.stderr)
        for problem in report.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"recorded: {report.applied} new or changed, {report.unchanged} unchanged")
    return 0


@with_services
async def publish(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> int:
    meeting = await services.meetings.latest_held(args.meeting)
    report = await services.publishing.publish(meeting.id, actor())
    print(f"meeting {meeting.id}: {plural(report.queued, 'message', 'messages')} queued for "
          f"{plural(report.concerns, 'answered concern', 'answered concerns')}")
    if report.unanswered:
        print(f"not answered yet (not sent): {', '.join(report.unanswered)}", file=sys.stderr)
    if args.no_wait:
        return 0
    if args.send:
        return await sending.send_here(services, settings, clock, meeting.id)
    return await sending.watch(services, meeting.id)


@with_services
async def followup(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    items = await services.followup.follow_ups()
    if not items:
        print("no forwarded concern is waiting for an answer")
    for entry in items:
        due = entry.answer.due_date.strftime("%d/%m/%Y") if entry.answer.due_date else "—"
        flag = "OVERDUE " if entry.overdue else ""
        print(f"{flag}{entry.concern.code}  {entry.answer.agency}  due {due}  {shorten(entry.concern.text, 60)}")


@with_services
async def final(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.followup.finalise(args.code, args.answer, actor())
    print(f"final answer recorded for {concern.code}; its residents will be told")


@with_services
async def carry(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    carried = await services.carryover.carry_over(args.code, actor(), args.to_meeting)
    print(f"{args.code.upper()} carried over to meeting {carried.meeting_id} as {carried.code}")


@with_services
async def stats(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    found = await services.statistics.stats(args.meeting)
    rate = "—" if found.on_time_rate is None else f"{found.on_time_rate:.0%}"
    topics, areas = TopicList(settings), AreaTree(settings)
    print(f"meeting {args.meeting}" if args.meeting is not None else f"every meeting of {settings.unit.name}")
    # Every concern received, each as what became of it; then those counted on their own.
    standing = ", ".join(f"{found.with_status(status)} {label}" for status, label in _STANDING)
    print(f"received {found.received} concerns from {found.residents} residents: {standing}")
    print(f"counted {found.concerns} (open or carried over; a merged one counts in the concern it joined)")
    print("by topic:       " + _named(found.by_topic, lambda k: _topic_name(topics, k)))
    print("by area:        " + _named(found.by_area, lambda k: areas.path_label(k, "vi") or k))
    print("by disposition: " + _named(found.by_disposition, str))
    print(f"forwarded {found.forwarded}: on time {found.forwarded_on_time}, late {found.forwarded_late}, "
          f"waiting {found.forwarded_open} (overdue {found.forwarded_overdue}); on-time rate {rate}")
    print(f"satisfied {found.satisfied}, not satisfied {found.unsatisfied}")


_STANDING = (
    (ConcernStatus.OPEN, "open"), (ConcernStatus.MERGED, "merged into another"),
    (ConcernStatus.WITHDRAWN, "withdrawn"), (ConcernStatus.REJECTED, "rejected"),
    (ConcernStatus.CARRIED, "carried over"),
)


def _topic_name(topics: TopicList, topic_id: str) -> str:
    topic = topics.get(topic_id)
    return topic.name if topic else topic_id


def _named(counts: tuple[tuple[str, int], ...], name: Callable[[str], str]) -> str:
    return "; ".join(f"{name(key)} {count}" for key, count in counts) or "—"


@with_services
async def results(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.latest_held(args.meeting)
    filename, content = await services.results.export_results(meeting.id, args.format, actor())
    target = Path(args.out) if args.out else Path.cwd()
    if target.is_dir():
        target = target / filename
    target.write_bytes(content)
    print(f"wrote {target}")


@with_services
async def retry_failed(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    print(f"{await services.publishing.retry_failed(actor())} failed messages queued again")
