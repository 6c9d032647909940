"""`doithoai meeting …`: create, change, announce, open, close, cancel and list meetings, and
write a meeting's announcement (the 7-day notice) as a DOCX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Group, actor, command, local_time, nouns, with_services
from bot.clock import Clock, format_local
from bot.config import Settings
from bot.domain.records import Meeting
from bot.domain.vocabulary import MeetingFormat
from bot.services.meetings import MeetingDraft, MeetingError

if TYPE_CHECKING:
    from bot.app import Services

FORMATS = tuple(MeetingFormat)


def register(commands: Group) -> None:
    meeting = nouns(commands, "meeting", "create, change and list dialogue meetings")
    create_command = command(meeting, "create", create, "create a meeting (announced at once unless --draft)")
    create_command.add_argument("--title", required=True)
    create_command.add_argument("--starts", required=True, help="dd/mm/yyyy HH:MM in the unit's time zone")
    create_command.add_argument("--place", required=True)
    create_command.add_argument("--format", default=MeetingFormat.IN_PERSON.value, choices=FORMATS)
    create_command.add_argument("--area", help="area id the meeting is for (default: the whole unit)")
    create_command.add_argument("--intake-opens", help="dd/mm/yyyy HH:MM (default: now)")
    create_command.add_argument("--intake-closes", help="dd/mm/yyyy HH:MM (default: 2 days before the meeting)")
    create_command.add_argument("--draft", action="store_true", help="keep it as a draft; announce it later")
    command(meeting, "list", list_meetings, "list meetings")
    command(meeting, "show", show, "show one meeting with its concern counts").add_argument("id", type=int)
    edit_command = command(meeting, "edit", edit, "change a meeting that has not been held")
    edit_command.add_argument("id", type=int)
    for option in ("title", "place", "area", "starts", "intake-opens", "intake-closes"):
        edit_command.add_argument(f"--{option}")
    edit_command.add_argument("--format", choices=FORMATS)
    command(meeting, "announce", announce, "announce a draft meeting").add_argument("id", type=int)
    notice_command = command(
        meeting, "notice", notice, "write the meeting's announcement (thông báo, 7 days ahead) as DOCX, to sign and post"
    )
    notice_command.add_argument("id", type=int)
    notice_command.add_argument("--out", help="file or folder to write (default: the current folder)")
    command(meeting, "open", open_intake, "open the intake now").add_argument("id", type=int)
    command(meeting, "close", close_intake, "close the intake now").add_argument("id", type=int)
    cancel_command = command(meeting, "cancel", cancel, "cancel a meeting; residents who sent concerns are told")
    cancel_command.add_argument("id", type=int)
    cancel_command.add_argument("--reason", required=True)


@with_services
async def create(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    draft = MeetingDraft(
        title=args.title,
        starts_at=local_time(args.starts, settings),  # type: ignore[arg-type]
        place=args.place,
        format=args.format,
        area_id=args.area,
        intake_opens_at=local_time(args.intake_opens, settings),
        intake_closes_at=local_time(args.intake_closes, settings),
    )
    created = await services.meetings.create(draft, actor(), announce=not args.draft)
    _warn(created.warnings)
    print(f"created meeting {created.meeting.id}")
    _print_meeting(created.meeting, settings, clock)


@with_services
async def list_meetings(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meetings = await services.meetings.list()
    if not meetings:
        print("no meetings yet: create one with `doithoai meeting create`")
    for meeting in meetings:
        phase = meeting.phase(clock.now()).replace("_", " ")
        print(f"{meeting.id:>4}  {format_local(meeting.starts_at, settings.zone)}  {phase:<14}  {meeting.title}")


@with_services
async def show(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> int:
    meeting = await services.meetings.get(args.id)
    if meeting is None:
        print(f"error: no meeting {args.id}", file=sys.stderr)
        return 1
    counts = await services.meetings.count_concerns(meeting.id)
    _print_meeting(meeting, settings, clock)
    summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none yet"
    print(f"concerns:      {summary}")
    return 0


# Options of `meeting edit` and the meeting's fields they change.
_TEXT_FIELDS = (("title", "title"), ("place", "place"), ("area", "area_id"), ("format", "format"))
_TIME_FIELDS = (("starts", "starts_at"), ("intake_opens", "intake_opens_at"), ("intake_closes", "intake_closes_at"))


@with_services
async def edit(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    changes: dict[str, object] = {}
    for option, field in _TEXT_FIELDS:
        if getattr(args, option) is not None:
            changes[field] = getattr(args, option)
    for option, field in _TIME_FIELDS:
        if getattr(args, option) is not None:
            changes[field] = local_time(getattr(args, option), settings)
    if not changes:
        raise MeetingError("refusal.nothing_to_change")
    edited = await services.meetings.edit(args.id, actor(), **changes)
    _warn(edited.warnings)
    _print_meeting(edited.meeting, settings, clock)


@with_services
async def announce(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    announced = await services.meetings.announce(args.id, actor())
    _warn(announced.warnings)
    print(f"meeting {args.id} announced; residents who follow its area are told when the bot runs")


@with_services
async def notice(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    target = Path(args.out) if args.out else Path.cwd()
    chosen = None if target.is_dir() else target.name
    exported = await services.exports.announcement_file(args.id, actor(), file_name=chosen)
    if target.is_dir():
        target = target / exported.name
    target.write_bytes(exported.content)
    print(f"wrote {target}")


@with_services
async def open_intake(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.open_intake(args.id, actor())
    print(f"intake of meeting {meeting.id} open until {format_local(meeting.intake_closes_at, settings.zone)}")


@with_services
async def close_intake(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.close_intake(args.id, actor())
    print(f"intake of meeting {meeting.id} closed")


@with_services
async def cancel(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    await services.meetings.cancel(args.id, actor(), args.reason)
    print(f"meeting {args.id} cancelled; residents who sent concerns will be told")


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _print_meeting(meeting: Meeting, settings: Settings, clock: Clock) -> None:
    zone = settings.zone
    print(f"title:         {meeting.title}")
    print(f"area:          {meeting.area_id}")
    print(f"starts:        {format_local(meeting.starts_at, zone)}")
    print(f"place:         {meeting.place}")
    print(f"format:        {meeting.format}")
    print(f"intake:        {format_local(meeting.intake_opens_at, zone)} → {format_local(meeting.intake_closes_at, zone)}")
    print(f"status:        {meeting.phase(clock.now()).replace('_', ' ')}")
