"""Staff commands and buttons for the agenda: build, sort, edit items, attach concerns, export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.messages import Reply
from bot.domain.records import Meeting
from bot.domain.vocabulary import Role
from bot.staff.context import Arguments, Request, Staff, Usage, whole
from bot.staff.payloads import Export, MoveItemUp, ShowAgenda, ToggleItem
from bot.staff.registry import ButtonAction, Command
from bot.staff.views import agenda as view


@dataclass(frozen=True)
class SetMinutes:
    number: int
    minutes: int


@dataclass(frozen=True)
class Rename:
    number: int
    title: str


@dataclass(frozen=True)
class Include:
    number: int
    included: bool


@dataclass(frozen=True)
class MoveItem:
    number: int
    to: int


ItemEdit = SetMinutes | Rename | Include | MoveItem


@dataclass(frozen=True)
class Attachment:
    code: str
    number: int


@dataclass(frozen=True)
class ExportRequest:
    format: str
    meeting_id: int | None


def parse_meeting(args: Arguments) -> int | None:
    return args.meeting(0)


def parse_item(args: Arguments) -> ItemEdit:
    # /item N minutes M | /item N title … | /item N in | /item N out | /item N move P   (meeting: the current one)
    if len(args) < 2 or not args[0].isdecimal():
        raise Usage("staff.item_usage")
    number, what, rest = whole(args[0]), args[1].lower(), args.words[2:]
    if what == "minutes" and rest:
        return SetMinutes(number, whole(rest[0]))
    if what == "title" and rest:
        return Rename(number, " ".join(rest))
    if what in ("in", "out"):
        return Include(number, what == "in")
    if what == "move" and rest:
        return MoveItem(number, whole(rest[0]))
    raise Usage("staff.item_usage")


def parse_attachment(args: Arguments) -> Attachment:
    return Attachment(args[0], whole(args[1]))


def parse_code(args: Arguments) -> str:
    return args[0]


def parse_export(args: Arguments) -> ExportRequest:
    # /export docx [meeting]
    return ExportRequest((args[0] if args else "docx").lower(), args.meeting(1))


async def _agenda(staff: Staff, meeting: Meeting) -> list[Reply]:
    lines = await staff.services.agenda.lines(meeting.id)
    duplicates = await staff.services.agenda.duplicates(meeting.id, lines)
    return view.agenda(staff.words, meeting, lines, duplicates)


async def show(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    return await _agenda(staff, await staff.services.meetings.current(meeting_id))


async def show_button(staff: Staff, request: Request, button: ShowAgenda) -> list[Reply]:
    return await show(staff, request, button.meeting_id)


async def build(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    meeting = await staff.services.meetings.current(meeting_id)
    added = await staff.services.agenda.build(meeting.id, request.actor)
    return view.built(staff.words, added) + await _agenda(staff, meeting)


async def sort(staff: Staff, request: Request, meeting_id: int | None) -> list[Reply]:
    meeting = await staff.services.meetings.current(meeting_id)
    await staff.services.agenda.sort(meeting.id, request.actor)
    return await _agenda(staff, meeting)


async def edit_item(staff: Staff, request: Request, edit: ItemEdit) -> list[Reply]:
    meeting = await staff.services.meetings.current()
    agenda, actor = staff.services.agenda, request.actor
    match edit:
        case SetMinutes(number, minutes):
            await agenda.set_minutes(meeting.id, number, minutes, actor)
        case Rename(number, title):
            await agenda.rename(meeting.id, number, title, actor)
        case Include(number, included):
            await agenda.set_included(meeting.id, number, included, actor)
        case MoveItem(number, to):
            await agenda.move(meeting.id, number, to, actor)
    return await _agenda(staff, meeting)


async def toggle_item(staff: Staff, request: Request, button: ToggleItem) -> list[Reply]:
    meeting = await staff.services.meetings.get_or_fail(button.meeting_id)
    await staff.services.agenda.set_included(meeting.id, button.number, button.include, request.actor)
    return await _agenda(staff, meeting)


async def move_item_up(staff: Staff, request: Request, button: MoveItemUp) -> list[Reply]:
    meeting = await staff.services.meetings.get_or_fail(button.meeting_id)
    await staff.services.agenda.move(meeting.id, button.number, button.number - 1, request.actor)
    return await _agenda(staff, meeting)


async def attach(staff: Staff, request: Request, attachment: Attachment) -> list[Reply]:
    meeting = await staff.services.meetings.current()
    await staff.services.agenda.attach(attachment.code, meeting.id, attachment.number, request.actor)
    return await _agenda(staff, meeting)


async def detach(staff: Staff, request: Request, code: str) -> list[Reply]:
    meeting = await staff.services.meetings.current()
    await staff.services.agenda.detach(code, request.actor)
    return await _agenda(staff, meeting)


async def export(staff: Staff, request: Request, asked: ExportRequest) -> list[Reply]:
    meeting = await staff.services.meetings.current(asked.meeting_id)
    return await _export(staff, request, meeting, asked.format)


async def export_button(staff: Staff, request: Request, button: Export) -> list[Reply]:
    return await _export(staff, request, await staff.services.meetings.get_or_fail(button.meeting_id), button.format)


async def _export(staff: Staff, request: Request, meeting: Meeting, fmt: str) -> list[Reply]:
    # The format is checked once the meeting is known: a missing meeting is the answer that helps more.
    if not staff.services.exports.knows(fmt):
        return staff.words.say("staff.export_usage")
    return view.exported(staff.words, await staff.services.exports.agenda_file(meeting.id, fmt, request.actor), fmt)


COMMANDS: tuple[Command[Any], ...] = (
    Command(("agenda",), Role.STAFF, parse_meeting, show),
    Command(("agenda_build",), Role.STAFF, parse_meeting, build),
    Command(("agenda_sort",), Role.STAFF, parse_meeting, sort),
    Command(("item",), Role.STAFF, parse_item, edit_item),
    Command(("attach",), Role.STAFF, parse_attachment, attach),
    Command(("detach",), Role.STAFF, parse_code, detach),
    Command(("export",), Role.STAFF, parse_export, export),
)

BUTTONS: tuple[ButtonAction[Any], ...] = (
    ButtonAction(ShowAgenda, show_button),
    ButtonAction(ToggleItem, toggle_item),
    ButtonAction(MoveItemUp, move_item_up),
    ButtonAction(Export, export_button),
)
