"""`doithoai agenda …`: build, order, edit and export the chair's agenda."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Group, actor, command, nouns, with_services
from bot.clock import Clock
from bot.config import Settings
from bot.domain.records import Meeting
from bot.services.agenda import AgendaError
from bot.services.exports import AGENDA_FORMATS
from bot.text import plural

if TYPE_CHECKING:
    from bot.app import Services


def register(commands: Group) -> None:
    agenda = nouns(commands, "agenda", "build, edit and export the chair's agenda")
    for name, action, help in (
        ("build", build, "add items for concerns not yet on the agenda, grouping similar ones"),
        ("show", show, "show the agenda"),
        ("sort", sort, "order items by topic, then by number of residents"),
    ):
        command(agenda, name, action, help).add_argument("--meeting", type=int)
    item_command = command(agenda, "item", item, "change item N (as numbered by `agenda show`)")
    item_command.add_argument("number", type=int)
    item_command.add_argument("--meeting", type=int)
    item_command.add_argument("--title")
    item_command.add_argument("--minutes", type=int)
    item_command.add_argument("--move", type=int, metavar="POSITION")
    item_command.add_argument("--include", action="store_true")
    item_command.add_argument("--exclude", action="store_true")
    attach_command = command(agenda, "attach", attach, "put a concern into item N")
    attach_command.add_argument("code")
    attach_command.add_argument("number", type=int)
    attach_command.add_argument("--meeting", type=int)
    command(agenda, "detach", detach, "take a concern out into an item of its own").add_argument("code")
    export_command = command(agenda, "export", export, "write the agenda as DOCX (for the chair), XLSX or CSV")
    export_command.add_argument("--meeting", type=int)
    export_command.add_argument("--format", choices=tuple(AGENDA_FORMATS), default="docx")
    export_command.add_argument("--out", help="file or folder to write (default: the current folder)")


@with_services
async def build(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.current(args.meeting)
    added = await services.agenda.build(meeting.id, actor())
    print(f"{plural(added, 'item', 'items')} added")
    await _print_agenda(services, meeting)


@with_services
async def show(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    await _print_agenda(services, await services.meetings.current(args.meeting))


@with_services
async def sort(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.current(args.meeting)
    await services.agenda.sort(meeting.id, actor())
    await _print_agenda(services, meeting)


@with_services
async def item(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.current(args.meeting)
    agenda, who = services.agenda, actor()
    if args.include and args.exclude:
        raise AgendaError("refusal.include_or_exclude")
    if args.title:
        await agenda.rename(meeting.id, args.number, args.title, who)
    if args.minutes is not None:
        await agenda.set_minutes(meeting.id, args.number, args.minutes, who)
    if args.include or args.exclude:
        await agenda.set_included(meeting.id, args.number, args.include, who)
    if args.move is not None:
        await agenda.move(meeting.id, args.number, args.move, who)
    await _print_agenda(services, meeting)


@with_services
async def attach(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.current(args.meeting)
    await services.agenda.attach(args.code, meeting.id, args.number, actor())
    await _print_agenda(services, meeting)


@with_services
async def detach(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    await services.agenda.detach(args.code, actor())
    print(f"{args.code.upper()} is now an item of its own")


@with_services
async def export(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.current(args.meeting)
    target = Path(args.out) if args.out else Path.cwd()
    chosen = None if target.is_dir() else target.name
    exported = await services.exports.agenda_file(meeting.id, args.format, actor(), file_name=chosen)
    if target.is_dir():
        target = target / exported.name
    target.write_bytes(exported.content)
    print(f"wrote {target} ({plural(exported.items, 'item', 'items')})")


async def _print_agenda(services: Services, meeting: Meeting) -> None:
    lines = await services.agenda.lines(meeting.id)
    if not lines:
        print(f"the agenda of meeting {meeting.id} is empty: run `doithoai agenda build`")
        return
    total = sum(line.item.minutes for line in lines if line.item.included)
    print(f"agenda of meeting {meeting.id}: {meeting.title} — {total} minutes")
    print("[x] included in the meeting, [ ] excluded")
    for number, line in enumerate(lines, start=1):
        # A ticked box is an item the chair takes up, as on any form.
        mark, state = ("x", "") if line.item.included else (" ", "  — excluded")
        codes = ", ".join(c.code for c in line.concerns)
        print(f"[{mark}] {number:>2}. {line.item.title}  ({line.topic}; {plural(line.residents, 'resident', 'residents')}; "
              f"{line.item.minutes} min; {codes}){state}")
