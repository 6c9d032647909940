"""The `doithoai` command line: run the bot, the sandbox, check a config; staff work on meetings,
the queue of concerns and the agenda."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock, format_local, parse_local
from bot.config import ConfigError, Secrets, Settings, load_settings
from bot.documents.agenda import agenda_csv, agenda_docx, agenda_xlsx, export_filename
from bot.documents.records import ExportError
from bot.domain.records import Meeting
from bot.logsetup import configure_logging
from bot.services.agenda import AgendaError
from bot.services.answers import AnswerError, AnswerInput
from bot.services.meetings import MeetingDraft, MeetingError
from bot.services.triage import TriageError
from storage.audit import AuditRepository
from storage.db import Database, restore

if TYPE_CHECKING:
    from bot.app import Services

DEFAULT_CONFIG = "config.toml"
SANDBOX_CONFIG = "config.example.toml"
SANDBOX_DATABASE = "sandbox-data/sandbox.db"
_REFUSALS = (MeetingError, TriageError, AgendaError, ExportError, AnswerError)

Action = Callable[[argparse.Namespace, Clock], int]


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.action(args, clock or SystemClock()) or 0)
    except ConfigError as error:
        _fail_config(error)
        return 2
    except _REFUSALS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


# --- the parser ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doithoai", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(group: argparse._SubParsersAction, name: str, action: Action, help: str,  # type: ignore[type-arg]
                config_default: str | None = None) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help, description=help)
        sub.add_argument(
            "--config",
            default=os.environ.get("DOITHOAI_CONFIG") or config_default or DEFAULT_CONFIG,
            help="TOML config file (default: $DOITHOAI_CONFIG or %(default)s)",
        )
        sub.set_defaults(action=action)
        return sub

    command(commands, "run", _run, "run the bot on the channels the config enables")
    sandbox = command(commands, "sandbox", _sandbox, "the resident dialogue in this terminal: no token, no network",
                      SANDBOX_CONFIG)
    sandbox.add_argument("--db", default=SANDBOX_DATABASE, help="sandbox database file (default: %(default)s)")
    sandbox.add_argument("--language", choices=("vi", "en"), default="vi")

    check = commands.add_parser("check-config", help="validate a config file and name every problem")
    check.add_argument("file", nargs="?", default=os.environ.get("DOITHOAI_CONFIG") or DEFAULT_CONFIG)
    check.set_defaults(action=_check_config)

    meeting = commands.add_parser("meeting", help="create, change and list dialogue meetings").add_subparsers(
        required=True, metavar="ACTION")
    create = command(meeting, "create", _meeting_create, "create a meeting (announced at once unless --draft)")
    create.add_argument("--title", required=True)
    create.add_argument("--starts", required=True, help="dd/mm/yyyy HH:MM in the unit's time zone")
    create.add_argument("--place", required=True)
    create.add_argument("--format", default="in_person", choices=("in_person", "online", "hybrid"))
    create.add_argument("--area", help="area id the meeting is for (default: the whole unit)")
    create.add_argument("--intake-opens", help="dd/mm/yyyy HH:MM (default: now)")
    create.add_argument("--intake-closes", help="dd/mm/yyyy HH:MM (default: 2 days before the meeting)")
    create.add_argument("--draft", action="store_true", help="keep it as a draft; announce it later")
    command(meeting, "list", _meeting_list, "list meetings")
    show = command(meeting, "show", _meeting_show, "show one meeting with its concern counts")
    show.add_argument("id", type=int)
    edit = command(meeting, "edit", _meeting_edit, "change a meeting that has not been held")
    edit.add_argument("id", type=int)
    for option in ("title", "place", "area", "starts", "intake-opens", "intake-closes"):
        edit.add_argument(f"--{option}")
    edit.add_argument("--format", choices=("in_person", "online", "hybrid"))
    for name, action, help in (
        ("announce", _meeting_announce, "announce a draft meeting"),
        ("open", _meeting_open, "open the intake now"),
        ("close", _meeting_close, "close the intake now"),
    ):
        command(meeting, name, action, help).add_argument("id", type=int)
    cancel = command(meeting, "cancel", _meeting_cancel, "cancel a meeting; residents who sent concerns are told")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--reason", required=True)

    queue = command(commands, "queue", _queue, "the queue of open concerns by topic and area")
    queue.add_argument("--meeting", type=int)
    queue.add_argument("--topic")
    queue.add_argument("--area", help="an area id; concerns of areas below it are included")

    concern = commands.add_parser("concern", help="triage one concern").add_subparsers(required=True, metavar="ACTION")
    command(concern, "show", _concern_show, "show a concern with similar ones").add_argument("code")
    topic = command(concern, "topic", _concern_topic, "change a concern's topic")
    topic.add_argument("code")
    topic.add_argument("topic")
    area = command(concern, "area", _concern_area, "change a concern's area")
    area.add_argument("code")
    area.add_argument("area")
    reject = command(concern, "reject", _concern_reject, "do not take a concern to the meeting; the resident is told")
    reject.add_argument("code")
    reject.add_argument("--reason", required=True)
    merge = command(concern, "merge", _concern_merge, "merge CODE into INTO; everyone following CODE follows INTO")
    merge.add_argument("code")
    merge.add_argument("into")
    command(concern, "unmerge", _concern_unmerge, "make a merged concern its own again").add_argument("code")

    agenda = commands.add_parser("agenda", help="build, edit and export the chair's agenda").add_subparsers(
        required=True, metavar="ACTION")
    for name, action, help in (
        ("build", _agenda_build, "add items for concerns not yet on the agenda, grouping similar ones"),
        ("show", _agenda_show, "show the agenda"),
        ("sort", _agenda_sort, "order items by topic, then by number of residents"),
    ):
        command(agenda, name, action, help).add_argument("--meeting", type=int)
    item = command(agenda, "item", _agenda_item, "change item N (as numbered by `agenda show`)")
    item.add_argument("number", type=int)
    item.add_argument("--meeting", type=int)
    item.add_argument("--title")
    item.add_argument("--minutes", type=int)
    item.add_argument("--move", type=int, metavar="POSITION")
    item.add_argument("--include", action="store_true")
    item.add_argument("--exclude", action="store_true")
    attach = command(agenda, "attach", _agenda_attach, "put a concern into item N")
    attach.add_argument("code")
    attach.add_argument("number", type=int)
    attach.add_argument("--meeting", type=int)
    command(agenda, "detach", _agenda_detach, "take a concern out into an item of its own").add_argument("code")
    export = command(agenda, "export", _agenda_export, "write the agenda as DOCX (for the chair), XLSX or CSV")
    export.add_argument("--meeting", type=int)
    export.add_argument("--format", choices=("docx", "xlsx", "csv"), default="docx")
    export.add_argument("--out", help="file or folder to write (default: the current folder)")

    answers = commands.add_parser("answers", help="record the chair's answers after the meeting").add_subparsers(
        required=True, metavar="ACTION")
    for name, action, help in (
        ("record", _answers_record, "answer one concern"),
        ("item", _answers_item, "answer every concern of agenda item N"),
    ):
        sub = command(answers, name, action, help)
        sub.add_argument("target", help="a concern code (record) or an item number (item)")
        sub.add_argument("--meeting", type=int)
        sub.add_argument("--disposition", required=True, choices=("answered", "explained", "forwarded", "not_accepted"))
        sub.add_argument("--answer", required=True)
        sub.add_argument("--by", required=True, help="who answered, e.g. 'Chủ tịch UBND phường'")
        sub.add_argument("--agency", help="forwarded: the agency it went to")
        sub.add_argument("--due", help="forwarded: dd/mm/yyyy")
    imported = command(answers, "import", _answers_import, "import the agenda XLSX/CSV with its answer columns filled in")
    imported.add_argument("file")
    imported.add_argument("--meeting", type=int)
    publish = command(commands, "publish", _publish, "send the answers to every resident who raised or supported each concern")
    publish.add_argument("--meeting", type=int)
    publish.add_argument("--no-wait", action="store_true", help="queue them and return; the running bot sends them")
    publish.add_argument("--send", action="store_true",
                         help="send from this process (only when the bot is not running; needs TELEGRAM_BOT_TOKEN)")
    command(commands, "followup", _followup, "concerns forwarded to agencies and still waiting for an answer")
    final = command(commands, "final", _final, "record an agency's final answer; its residents are told")
    final.add_argument("code")
    final.add_argument("--answer", required=True)
    carry = command(commands, "carry", _carry, "carry a concern over to a later meeting, keeping its followers")
    carry.add_argument("code")
    carry.add_argument("--to-meeting", type=int)
    stats = command(commands, "stats", _stats, "counts by topic, area, outcome; on-time rate; satisfaction")
    stats.add_argument("--meeting", type=int)
    results = command(commands, "results", _results, "the results report of a meeting (to publish within 10 days)")
    results.add_argument("--meeting", type=int)
    results.add_argument("--format", choices=("docx", "xlsx"), default="docx")
    results.add_argument("--out", help="file or folder (default: the current folder)")
    command(commands, "retry-failed", _retry_failed, "queue failed pushes again")

    db = commands.add_parser("db", help="back up and restore the database").add_subparsers(required=True, metavar="ACTION")
    command(db, "backup", _db_backup, "copy the database while the bot runs (SQLite online backup)").add_argument("path")
    command(db, "restore", _db_restore, "replace the database with a backup (stop the bot first)").add_argument("path")

    audit = command(commands, "audit", _audit, "the latest staff actions")
    audit.add_argument("--subject", help="e.g. concern:TT-0012 or meeting:2")
    audit.add_argument("--limit", type=int, default=30)
    return parser


# --- running ------------------------------------------------------------------------------


def _run(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    secrets = Secrets.from_environment()
    configure_logging([s for s in (secrets.telegram_token, secrets.webhook_secret, secrets.zalo_oa_secret_key,
                                   secrets.zalo_app_secret, secrets.zalo_access_token, secrets.zalo_refresh_token) if s])
    if settings.telegram.enabled and not secrets.telegram_token:
        print("error: set TELEGRAM_BOT_TOKEN to the token BotFather gave you", file=sys.stderr)
        return 2
    if settings.zalo.enabled and secrets.zalo_missing():
        print(f"error: the Zalo channel needs {', '.join(secrets.zalo_missing())} (see the README)", file=sys.stderr)
        return 2
    if settings.telegram.enabled and settings.telegram.mode == "webhook" and not secrets.webhook_secret:
        print("error: webhook mode needs TELEGRAM_WEBHOOK_SECRET, so that only Telegram can call the bot", file=sys.stderr)
        return 2
    from bot.app import run_bot

    asyncio.run(run_bot(settings, secrets, clock))
    return 0


def _sandbox(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    configure_logging([], level=logging.WARNING)
    from bot.app import run_sandbox

    asyncio.run(run_sandbox(settings, Path(args.db), args.language, clock))
    return 0


def _check_config(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.file)
    print(
        f"{args.file}: OK — {settings.unit.name}, {len(settings.areas)} areas, "
        f"{len(settings.topics)} topics, database {settings.database.path}"
    )
    if settings.telegram.enabled and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        print("note: TELEGRAM_BOT_TOKEN is not set in this environment; `doithoai run` will need it")
    if settings.zalo.enabled:
        missing = Secrets.from_environment().zalo_missing()
        if missing:
            print(f"note: {', '.join(missing)} not set in this environment; `doithoai run` will need them")
    return 0


@asynccontextmanager
async def _services(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    from bot.app import build_services

    database = await Database.open(settings.database_path)
    try:
        yield build_services(settings, database, clock)
    finally:
        await database.close()


def _with_services(args: argparse.Namespace, clock: Clock, work: Callable[[Services, Settings], Awaitable[int | None]]) -> int:
    settings = load_settings(args.config)

    async def go() -> int:
        async with _services(settings, clock) as services:
            return int(await work(services, settings) or 0)

    return asyncio.run(go())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _time(value: str | None, settings: Settings) -> datetime | None:
    try:
        return None if value is None else parse_local(value, settings.zone)
    except ValueError:
        raise MeetingError("refusal.bad_time", value=(value or "").strip()) from None


# --- meetings -----------------------------------------------------------------------------


def _meeting_create(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        draft = MeetingDraft(
            title=args.title,
            starts_at=_time(args.starts, settings),  # type: ignore[arg-type]
            place=args.place,
            format=args.format,
            area_id=args.area,
            intake_opens_at=_time(args.intake_opens, settings),
            intake_closes_at=_time(args.intake_closes, settings),
        )
        created = await services.meetings.create(draft, _actor(), announce=not args.draft)
        for warning in created.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"created meeting {created.meeting.id}")
        _print_meeting(created.meeting, settings, clock)

    return _with_services(args, clock, work)


def _meeting_list(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meetings = await services.meetings.list()
        if not meetings:
            print("no meetings yet: create one with `doithoai meeting create`")
        for meeting in meetings:
            phase = meeting.phase(clock.now()).replace("_", " ")
            print(f"{meeting.id:>4}  {format_local(meeting.starts_at, settings.zone)}  {phase:<14}  {meeting.title}")

    return _with_services(args, clock, work)


def _meeting_show(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> int:
        meeting = await services.meetings.get(args.id)
        if meeting is None:
            print(f"error: no meeting {args.id}", file=sys.stderr)
            return 1
        counts = await services.meetings.count_concerns(meeting.id)
        _print_meeting(meeting, settings, clock)
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none yet"
        print(f"concerns:      {summary}")
        return 0

    return _with_services(args, clock, work)


def _meeting_edit(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        changes: dict[str, object] = {}
        for option, column in (("title", "title"), ("place", "place"), ("area", "area_id"), ("format", "format")):
            if getattr(args, option) is not None:
                changes[column] = getattr(args, option)
        for option, column in (("starts", "starts_at"), ("intake_opens", "intake_opens_at"), ("intake_closes", "intake_closes_at")):
            if getattr(args, option) is not None:
                changes[column] = _time(getattr(args, option), settings)
        if not changes:
            raise MeetingError("refusal.nothing_to_change")
        edited = await services.meetings.edit(args.id, _actor(), **changes)
        for warning in edited.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        _print_meeting(edited.meeting, settings, clock)

    return _with_services(args, clock, work)


def _meeting_announce(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        created = await services.meetings.announce(args.id, _actor())
        for warning in created.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"meeting {args.id} announced; residents who follow its area are told when the bot runs")

    return _with_services(args, clock, work)


def _meeting_open(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.open_intake(args.id, _actor())
        print(f"intake of meeting {meeting.id} open until {format_local(meeting.intake_closes_at, settings.zone)}")

    return _with_services(args, clock, work)


def _meeting_close(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.close_intake(args.id, _actor())
        print(f"intake of meeting {meeting.id} closed")

    return _with_services(args, clock, work)


def _meeting_cancel(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        await services.meetings.cancel(args.id, _actor(), args.reason)
        print(f"meeting {args.id} cancelled; residents who sent concerns will be told")

    return _with_services(args, clock, work)


def _print_meeting(meeting: Meeting, settings: Settings, clock: Clock) -> None:
    zone = settings.zone
    print(f"title:         {meeting.title}")
    print(f"area:          {meeting.area_id}")
    print(f"starts:        {format_local(meeting.starts_at, zone)}")
    print(f"place:         {meeting.place}")
    print(f"format:        {meeting.format}")
    print(f"intake:        {format_local(meeting.intake_opens_at, zone)} → {format_local(meeting.intake_closes_at, zone)}")
    print(f"status:        {meeting.phase(clock.now()).replace('_', ' ')}")


# --- queue and concerns -------------------------------------------------------------------


def _queue(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.current(args.meeting)
        queue = await services.triage.queue(meeting.id, args.topic, args.area)
        print(f"meeting {meeting.id}: {meeting.title} — {len(queue.entries)} open concerns shown")
        print("by topic: " + (", ".join(f"{t} {n}" for t, n in queue.by_topic) or "—"))
        print("by area:  " + (", ".join(f"{a} {n}" for a, n in queue.by_area) or "—"))
        for entry in queue.entries:
            c = entry.concern
            print(f"{c.code}  {c.topic_id:<16} {c.area_id:<10} {entry.residents:>3} residents  {_short(c.text, 70)}")

    return _with_services(args, clock, work)


def _concern_show(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        view = await services.triage.view(args.code)
        c = view.concern
        print(f"{c.code}  {c.status}  meeting {c.meeting_id}  topic {c.topic_id}  area {c.area_id}")
        print(f"submitted {format_local(c.submitted_at, settings.zone)}; residents {view.residents}; photos {len(c.photos)}")
        if c.contact_name or c.contact_phone:
            print(f"contact: {c.contact_name or ''} {c.contact_phone or ''}{' (verified)' if c.phone_verified else ''}")
        if view.merged_into_code:
            print(f"merged into {view.merged_into_code}")
        if view.merged_children:
            print("merged into it: " + ", ".join(child.code for child in view.merged_children))
        if c.reject_reason:
            print(f"rejected: {c.reject_reason}")
        print(c.text)
        for other, score in view.similar:
            print(f"  similar: {other.code} ({score:.0f}%) {_short(other.text, 70)}")

    return _with_services(args, clock, work)


def _concern_topic(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.triage.set_topic(args.code, args.topic, _actor())
        print(f"{concern.code}: topic {concern.topic_id}")

    return _with_services(args, clock, work)


def _concern_area(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.triage.set_area(args.code, args.area, _actor())
        print(f"{concern.code}: area {concern.area_id}")

    return _with_services(args, clock, work)


def _concern_reject(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.triage.reject(args.code, args.reason, _actor())
        print(f"{concern.code} rejected; its followers will be told the reason when the bot runs")

    return _with_services(args, clock, work)


def _concern_merge(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.triage.merge(args.code, args.into, _actor())
        print(f"{concern.code} merged into {args.into.upper()}")

    return _with_services(args, clock, work)


def _concern_unmerge(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.triage.unmerge(args.code, _actor())
        print(f"{concern.code} is its own concern again")

    return _with_services(args, clock, work)


# --- agenda -------------------------------------------------------------------------------


def _agenda_build(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.current(args.meeting)
        added = await services.agenda.build(meeting.id, _actor())
        print(f"{added} items added")
        await _print_agenda(services, meeting)

    return _with_services(args, clock, work)


def _agenda_show(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        await _print_agenda(services, await services.meetings.current(args.meeting))

    return _with_services(args, clock, work)


def _agenda_sort(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.current(args.meeting)
        await services.agenda.sort(meeting.id, _actor())
        await _print_agenda(services, meeting)

    return _with_services(args, clock, work)


def _agenda_item(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.current(args.meeting)
        agenda, actor = services.agenda, _actor()
        if args.include and args.exclude:
            raise AgendaError("refusal.include_or_exclude")
        if args.title:
            await agenda.rename(meeting.id, args.number, args.title, actor)
        if args.minutes is not None:
            await agenda.set_minutes(meeting.id, args.number, args.minutes, actor)
        if args.include or args.exclude:
            await agenda.set_included(meeting.id, args.number, args.include, actor)
        if args.move is not None:
            await agenda.move(meeting.id, args.number, args.move, actor)
        await _print_agenda(services, meeting)

    return _with_services(args, clock, work)


def _agenda_attach(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.current(args.meeting)
        await services.agenda.attach(args.code, meeting.id, args.number, _actor())
        await _print_agenda(services, meeting)

    return _with_services(args, clock, work)


def _agenda_detach(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        await services.agenda.detach(args.code, _actor())
        print(f"{args.code.upper()} is now an item of its own")

    return _with_services(args, clock, work)


def _agenda_export(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.current(args.meeting)
        document = await services.agenda.document(meeting.id)
        render = {"docx": agenda_docx, "xlsx": agenda_xlsx, "csv": agenda_csv}[args.format]
        content = render(document)
        target = Path(args.out) if args.out else Path.cwd()
        if target.is_dir():
            target = target / export_filename(document, args.format)
        target.write_bytes(content)
        async with services.database.transaction() as connection:
            await AuditRepository(connection).record(
                actor=_actor(), action=f"agenda.export.{args.format}", subject=f"meeting:{meeting.id}",
                now=clock.now(), after={"items": len(document.entries), "file": target.name},
            )
        print(f"wrote {target} ({len(document.entries)} items)")

    return _with_services(args, clock, work)


async def _print_agenda(services: Services, meeting: Meeting) -> None:
    lines = await services.agenda.lines(meeting.id)
    if not lines:
        print(f"the agenda of meeting {meeting.id} is empty: run `doithoai agenda build`")
        return
    total = sum(line.item.minutes for line in lines if line.item.included)
    print(f"agenda of meeting {meeting.id}: {meeting.title} — {total} minutes")
    for number, line in enumerate(lines, start=1):
        mark = " " if line.item.included else "x"
        codes = ", ".join(c.code for c in line.concerns)
        print(f"[{mark}] {number:>2}. {line.item.title}  ({line.topic}; {line.residents} residents; "
              f"{line.item.minutes} min; {codes})")


# --- answers and results ------------------------------------------------------------------


def _answer_input(args: argparse.Namespace, settings: Settings) -> AnswerInput:
    due = _time(f"{args.due} 00:00", settings) if args.due else None
    return AnswerInput(args.disposition, args.answer, args.by, args.agency,
                       due.astimezone(settings.zone).date() if due else None)


def _answers_record(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.answers.record(args.target, _answer_input(args, settings), _actor())
        print(f"answer recorded for {concern.code}")

    return _with_services(args, clock, work)


def _answers_item(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.latest_held(args.meeting)
        done = await services.answers.record_item(meeting.id, int(args.target), _answer_input(args, settings), _actor())
        print("answer recorded for " + ", ".join(c.code for c in done))

    return _with_services(args, clock, work)


def _answers_import(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> int:
        meeting = await services.meetings.latest_held(args.meeting)
        path = Path(args.file)
        report = await services.answers.import_sheet(meeting.id, path.name, path.read_bytes(), _actor())
        if report.problems:
            print(f"nothing was recorded: {len(report.problems)} problem(s) to fix in {path.name}:", file=sys.stderr)
            for problem in report.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
        print(f"recorded: {report.applied} new or changed, {report.unchanged} unchanged")
        return 0

    return _with_services(args, clock, work)


def _publish(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> int:
        meeting = await services.meetings.latest_held(args.meeting)
        report = await services.publishing.publish(meeting.id, _actor())
        print(f"meeting {meeting.id}: {report.queued} messages queued for {report.concerns} answered concerns")
        if report.unanswered:
            print(f"not answered yet (not sent): {', '.join(report.unanswered)}", file=sys.stderr)
        if args.no_wait:
            return 0
        if args.send:
            return await _send_here(services, settings, clock, meeting.id)
        return await _watch(services, meeting.id)

    return _with_services(args, clock, work)


async def _watch(services: Services, meeting_id: int) -> int:
    """Follow the running bot's sending until nothing is left to send."""
    from rich.progress import Progress

    with Progress() as bar:
        task = bar.add_task("sending answers", total=None)
        while True:
            counts = await services.publishing.progress(meeting_id)
            done = counts.get("sent", 0) + counts.get("undeliverable", 0) + counts.get("failed", 0)
            waiting = counts.get("pending", 0) + counts.get("sending", 0)
            bar.update(task, total=done + waiting, completed=done)
            if not waiting:
                break
            await asyncio.sleep(1)
    _print_delivery(counts)
    return 0


async def _send_here(services: Services, settings: Settings, clock: Clock, meeting_id: int) -> int:
    from rich.progress import Progress

    from bot.app import open_senders
    from bot.outbox.dispatcher import OutboxDispatcher

    try:
        senders = open_senders(settings, Secrets.from_environment(), services.database, clock)
        async with senders as opened:
            dispatcher = OutboxDispatcher(services.database, opened, clock, settings.notify)
            with Progress() as bar:
                task = bar.add_task("sending answers", total=None)

                def show(sent: int, undeliverable: int, failed: int, remaining: int) -> None:
                    bar.update(task, total=sent + undeliverable + failed + remaining, completed=sent + undeliverable + failed)

                await dispatcher.drain(on_progress=show)
    except SystemExit as missing:
        print(missing, file=sys.stderr)
        return 2
    _print_delivery(await services.publishing.progress(meeting_id))
    return 0


def _print_delivery(counts: dict[str, int]) -> None:
    print(f"sent {counts.get('sent', 0)}, undeliverable {counts.get('undeliverable', 0)}, "
          f"failed {counts.get('failed', 0)} (retry with `doithoai retry-failed`)")
    if counts.get("held", 0):
        print(f"held {counts['held']}: Zalo residents outside Zalo's window; sent when they write again")


def _followup(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        items = await services.followup.follow_ups()
        if not items:
            print("no forwarded concern is waiting for an answer")
        for entry in items:
            due = entry.answer.due_date.strftime("%d/%m/%Y") if entry.answer.due_date else "—"
            flag = "OVERDUE " if entry.overdue else ""
            print(f"{flag}{entry.concern.code}  {entry.answer.agency}  due {due}  {_short(entry.concern.text, 60)}")

    return _with_services(args, clock, work)


def _final(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        concern = await services.followup.finalise(args.code, args.answer, _actor())
        print(f"final answer recorded for {concern.code}; its residents will be told")

    return _with_services(args, clock, work)


def _carry(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        carried = await services.carryover.carry_over(args.code, _actor(), args.to_meeting)
        print(f"{args.code.upper()} carried over to meeting {carried.meeting_id} as {carried.code}")

    return _with_services(args, clock, work)


def _stats(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        stats = await services.statistics.stats(args.meeting)
        rate = "—" if stats.on_time_rate is None else f"{stats.on_time_rate:.0%}"
        print(f"concerns {stats.concerns} from {stats.residents} residents")
        print("by topic:       " + (", ".join(f"{k} {n}" for k, n in stats.by_topic) or "—"))
        print("by area:        " + (", ".join(f"{k} {n}" for k, n in stats.by_area) or "—"))
        print("by disposition: " + (", ".join(f"{k} {n}" for k, n in stats.by_disposition) or "—"))
        print(f"forwarded {stats.forwarded}: on time {stats.forwarded_on_time}, late {stats.forwarded_late}, "
              f"waiting {stats.forwarded_open} (overdue {stats.forwarded_overdue}); on-time rate {rate}")
        print(f"satisfied {stats.satisfied}, not satisfied {stats.unsatisfied}")

    return _with_services(args, clock, work)


def _results(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        meeting = await services.meetings.latest_held(args.meeting)
        filename, content = await services.results.export_results(meeting.id, args.format, _actor())
        target = Path(args.out) if args.out else Path.cwd()
        if target.is_dir():
            target = target / filename
        target.write_bytes(content)
        print(f"wrote {target}")

    return _with_services(args, clock, work)


def _retry_failed(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        print(f"{await services.publishing.retry_failed(_actor())} failed messages queued again")

    return _with_services(args, clock, work)


# --- database -----------------------------------------------------------------------------


def _db_backup(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)

    async def go() -> int:
        database = await Database.open(settings.database_path)
        try:
            await database.backup(Path(args.path))
        except FileExistsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        finally:
            await database.close()
        print(f"backed up {settings.database_path} to {args.path}")
        return 0

    return asyncio.run(go())


def _db_restore(args: argparse.Namespace, clock: Clock) -> int:
    settings = load_settings(args.config)
    try:
        restore(Path(args.path), settings.database_path)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"restored {settings.database_path} from {args.path} (the previous file is kept as *.before-restore)")
    return 0


# --- audit --------------------------------------------------------------------------------


def _audit(args: argparse.Namespace, clock: Clock) -> int:
    async def work(services: Services, settings: Settings) -> None:
        async with services.database.transaction() as connection:
            entries = await AuditRepository(connection).entries(args.subject, args.limit)
        for entry in entries:
            change = f"{entry.before or ''} → {entry.after or ''}" if entry.before or entry.after else ""
            print(f"{format_local(entry.at, settings.zone)}  {entry.actor:<22} {entry.action:<20} "
                  f"{entry.subject:<18} {entry.outcome:<9} {change}")

    return _with_services(args, clock, work)


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _fail_config(error: ConfigError) -> None:
    print(f"{error.path}: the configuration has {len(error.problems)} problem(s):", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
