"""`doithoai queue` and `doithoai concern …`: the queue of open concerns, and triage of one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import Group, actor, command, nouns, shorten, with_services
from bot.clock import Clock, format_local
from bot.config import Settings
from bot.text import plural

if TYPE_CHECKING:
    from bot.app import Services


def register(commands: Group) -> None:
    queue_command = command(commands, "queue", queue, "the queue of open concerns by topic and area")
    queue_command.add_argument("--meeting", type=int)
    queue_command.add_argument("--topic")
    queue_command.add_argument("--area", help="an area id; concerns of areas below it are included")

    concern = nouns(commands, "concern", "triage one concern")
    command(concern, "show", show, "show a concern with similar ones").add_argument("code")
    topic = command(concern, "topic", set_topic, "change a concern's topic")
    topic.add_argument("code")
    topic.add_argument("topic")
    area = command(concern, "area", set_area, "change a concern's area")
    area.add_argument("code")
    area.add_argument("area")
    reject_command = command(concern, "reject", reject, "do not take a concern to the meeting; the resident is told")
    reject_command.add_argument("code")
    reject_command.add_argument("--reason", required=True)
    merge_command = command(concern, "merge", merge, "merge CODE into INTO; everyone following CODE follows INTO")
    merge_command.add_argument("code")
    merge_command.add_argument("into")
    command(concern, "unmerge", unmerge, "make a merged concern its own again").add_argument("code")


@with_services
async def queue(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    meeting = await services.meetings.current(args.meeting)
    found = await services.triage.queue(meeting.id, args.topic, args.area)
    print(f"meeting {meeting.id}: {meeting.title} — {plural(len(found.entries), 'open concern', 'open concerns')} shown")
    print("by topic: " + (", ".join(f"{t} {n}" for t, n in found.by_topic) or "—"))
    print("by area:  " + (", ".join(f"{a} {n}" for a, n in found.by_area) or "—"))
    for entry in found.entries:
        c = entry.concern
        print(f"{c.code}  {c.topic_id:<16} {c.area_id:<10} {plural(entry.residents, 'resident ', 'residents'):>13}  {shorten(c.text, 70)}")


@with_services
async def show(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
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
        print(f"  similar: {other.code} ({score:.0f}%) {shorten(other.text, 70)}")


@with_services
async def set_topic(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.triage.set_topic(args.code, args.topic, actor())
    print(f"{concern.code}: topic {concern.topic_id}")


@with_services
async def set_area(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.triage.set_area(args.code, args.area, actor())
    print(f"{concern.code}: area {concern.area_id}")


@with_services
async def reject(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.triage.reject(args.code, args.reason, actor())
    print(f"{concern.code} rejected; its followers will be told the reason when the bot runs")


@with_services
async def merge(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.triage.merge(args.code, args.into, actor())
    print(f"{concern.code} merged into {args.into.upper()}")


@with_services
async def unmerge(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    concern = await services.triage.unmerge(args.code, actor())
    print(f"{concern.code} is its own concern again")
