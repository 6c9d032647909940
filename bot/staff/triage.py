"""Staff commands and buttons for the queue and triage: look, fix topic and area, reject, merge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.messages import Reply
from bot.domain.vocabulary import Role
from bot.staff.context import Arguments, Request, Staff, Usage
from bot.staff.payloads import AreaMenu, Merge, QueuePage, SetArea, SetTopic, ShowConcern, TopicMenu
from bot.staff.registry import ButtonAction, Command
from bot.staff.views import triage as view


@dataclass(frozen=True)
class QueueRequest:
    meeting_id: int | None  # None: the meeting being prepared
    page: int


@dataclass(frozen=True)
class Recode:
    """A concern and the topic or area it should have."""

    code: str
    value: str


@dataclass(frozen=True)
class Rejection:
    code: str
    reason: str


@dataclass(frozen=True)
class MergeCodes:
    source: str
    target: str


def parse_queue(args: Arguments) -> QueueRequest:
    return QueueRequest(args.meeting(0), args.number(1) or 1)


def parse_code(args: Arguments) -> str:
    return args[0]


def parse_recode(args: Arguments) -> Recode:
    return Recode(args[0], args[1])


def parse_rejection(args: Arguments) -> Rejection:
    if len(args) < 2:
        raise Usage("staff.reject_usage")
    return Rejection(args[0], args.text(1))


def parse_merge(args: Arguments) -> MergeCodes:
    if len(args) != 2:
        raise Usage("staff.merge_usage")
    return MergeCodes(args[0], args[1])


async def queue(staff: Staff, request: Request, asked: QueueRequest) -> list[Reply]:
    meeting = await staff.services.meetings.current(asked.meeting_id)
    return view.queue_page(staff.words, meeting, await staff.services.triage.queue(meeting.id), asked.page)


async def queue_page(staff: Staff, request: Request, button: QueuePage) -> list[Reply]:
    return await queue(staff, request, QueueRequest(button.meeting_id, button.page))


async def concern(staff: Staff, request: Request, code: str) -> list[Reply]:
    return view.concern_detail(staff.words, await staff.services.triage.view(code), private=not request.inbound.group)


async def show_concern(staff: Staff, request: Request, button: ShowConcern) -> list[Reply]:
    return await concern(staff, request, staff.words.code(button.concern_id))


async def topic_menu(staff: Staff, request: Request, button: TopicMenu) -> list[Reply]:
    return view.topic_menu(staff.words, button, staff.services.triage.topics.all())


async def area_menu(staff: Staff, request: Request, button: AreaMenu) -> list[Reply]:
    return view.area_menu(staff.words, button, staff.settings.areas)


async def set_topic(staff: Staff, request: Request, change: Recode) -> list[Reply]:
    return view.topic_set(staff.words, await staff.services.triage.set_topic(change.code, change.value, request.actor))


async def set_topic_button(staff: Staff, request: Request, button: SetTopic) -> list[Reply]:
    code = staff.words.code(button.concern_id)
    changed = await staff.services.triage.set_topic(code, button.topic_id, request.actor, button.version)
    return view.topic_set(staff.words, changed)


async def set_area(staff: Staff, request: Request, change: Recode) -> list[Reply]:
    return view.area_set(staff.words, await staff.services.triage.set_area(change.code, change.value, request.actor))


async def set_area_button(staff: Staff, request: Request, button: SetArea) -> list[Reply]:
    code = staff.words.code(button.concern_id)
    return view.area_set(staff.words, await staff.services.triage.set_area(code, button.area_id, request.actor, button.version))


async def reject(staff: Staff, request: Request, rejection: Rejection) -> list[Reply]:
    return view.rejected(staff.words, await staff.services.triage.reject(rejection.code, rejection.reason, request.actor))


async def merge(staff: Staff, request: Request, codes: MergeCodes) -> list[Reply]:
    merged = await staff.services.triage.merge(codes.source, codes.target, request.actor)
    return view.merged(staff.words, merged.code, codes.target.upper())


async def merge_button(staff: Staff, request: Request, button: Merge) -> list[Reply]:
    source, target = staff.words.code(button.source_id), staff.words.code(button.target_id)
    await staff.services.triage.merge(source, target, request.actor)
    return view.merged(staff.words, source, target)


async def unmerge(staff: Staff, request: Request, code: str) -> list[Reply]:
    return view.unmerged(staff.words, await staff.services.triage.unmerge(code, request.actor))


COMMANDS: tuple[Command[Any], ...] = (
    Command(("queue",), Role.STAFF, parse_queue, queue),
    Command(("c", "concern"), Role.STAFF, parse_code, concern),
    Command(("topic",), Role.STAFF, parse_recode, set_topic),
    Command(("area",), Role.STAFF, parse_recode, set_area),
    Command(("reject",), Role.STAFF, parse_rejection, reject),
    Command(("merge",), Role.STAFF, parse_merge, merge),
    Command(("unmerge",), Role.STAFF, parse_code, unmerge),
)

BUTTONS: tuple[ButtonAction[Any], ...] = (
    ButtonAction(QueuePage, queue_page),
    ButtonAction(ShowConcern, show_concern),
    ButtonAction(TopicMenu, topic_menu),
    ButtonAction(SetTopic, set_topic_button),
    ButtonAction(AreaMenu, area_menu),
    ButtonAction(SetArea, set_area_button),
    ButtonAction(Merge, merge_button),
)
