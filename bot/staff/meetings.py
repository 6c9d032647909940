"""Staff commands about meetings: the list for everyone on staff; creating and changing one for admins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.messages import Reply
from bot.domain.vocabulary import Role
from bot.services.meetings import MeetingDraft
from bot.staff.context import Arguments, Request, Staff, Usage, whole
from bot.staff.registry import Command, no_arguments
from bot.staff.views import meetings as view

# /meeting_edit's field words, and the meeting attribute each one changes.
EDITABLE_FIELDS = {
    "title": "title", "place": "place", "format": "format", "starts": "starts_at",
    "opens": "intake_opens_at", "closes": "intake_closes_at", "area": "area_id",
}
TIME_FIELDS = frozenset({"starts", "opens", "closes"})


@dataclass(frozen=True)
class MeetingEdit:
    meeting_id: int
    changes: dict[str, Any]


@dataclass(frozen=True)
class Cancellation:
    meeting_id: int
    reason: str


def parse_draft(args: Arguments) -> MeetingDraft:
    # /meeting_new dd/mm/yyyy HH:MM | place | title
    parts = [p.strip() for p in args.text().split("|")]
    if len(parts) != 3 or not all(parts):
        raise Usage("staff.meeting_new_usage")
    return MeetingDraft(title=parts[2], starts_at=args.time(parts[0]), place=parts[1])


def parse_edit(args: Arguments) -> MeetingEdit:
    # /meeting_edit ID field value…
    if len(args) < 3 or not args[0].isdecimal():
        raise Usage("staff.meeting_edit_usage")
    field, raw = args[1].lower(), args.text(2)
    if field not in EDITABLE_FIELDS:
        raise Usage("staff.meeting_edit_usage")
    value = args.time(raw) if field in TIME_FIELDS else raw
    return MeetingEdit(whole(args[0]), {EDITABLE_FIELDS[field]: value})


def parse_meeting_id(args: Arguments) -> int:
    return whole(args[0])


def parse_cancellation(args: Arguments) -> Cancellation:
    return Cancellation(whole(args[0]), args.text(1))


async def list_meetings(staff: Staff, request: Request, _: None) -> list[Reply]:
    meetings = await staff.services.meetings.list()
    counted = [(meeting, await staff.services.meetings.count_concerns(meeting.id)) for meeting in meetings]
    return view.meeting_list(staff.words, counted, staff.clock.now())


async def create(staff: Staff, request: Request, draft: MeetingDraft) -> list[Reply]:
    return view.created(staff.words, await staff.services.meetings.create(draft, actor=request.actor))


async def edit(staff: Staff, request: Request, change: MeetingEdit) -> list[Reply]:
    return view.edited(staff.words, await staff.services.meetings.edit(change.meeting_id, request.actor, **change.changes))


async def open_intake(staff: Staff, request: Request, meeting_id: int) -> list[Reply]:
    return view.intake_opened(staff.words, await staff.services.meetings.open_intake(meeting_id, request.actor))


async def close_intake(staff: Staff, request: Request, meeting_id: int) -> list[Reply]:
    return view.intake_closed(staff.words, await staff.services.meetings.close_intake(meeting_id, request.actor))


async def announce(staff: Staff, request: Request, meeting_id: int) -> list[Reply]:
    return view.announced(staff.words, await staff.services.meetings.announce(meeting_id, request.actor))


async def cancel(staff: Staff, request: Request, cancellation: Cancellation) -> list[Reply]:
    meeting = await staff.services.meetings.cancel(cancellation.meeting_id, request.actor, cancellation.reason)
    return view.cancelled(staff.words, meeting)


COMMANDS: tuple[Command[Any], ...] = (
    Command(("meetings",), Role.STAFF, no_arguments, list_meetings),
    Command(("meeting_new",), Role.ADMIN, parse_draft, create),
    Command(("meeting_edit",), Role.ADMIN, parse_edit, edit),
    Command(("meeting_open",), Role.ADMIN, parse_meeting_id, open_intake),
    Command(("meeting_close",), Role.ADMIN, parse_meeting_id, close_intake),
    Command(("meeting_announce",), Role.ADMIN, parse_meeting_id, announce),
    Command(("meeting_cancel",), Role.ADMIN, parse_cancellation, cancel),
)
