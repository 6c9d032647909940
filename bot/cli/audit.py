"""`doithoai audit`: the latest staff actions, as the audit trail keeps them, readably: times in
the unit's zone, and what changed as `field: before → after`."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cli.common import Group, command, shorten, with_services
from bot.clock import Clock, format_local
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Services

NOTHING = "—"


def register(commands: Group) -> None:
    audit_command = command(commands, "audit", audit, "the latest staff actions")
    audit_command.add_argument("--subject", help="e.g. concern:TT-0012 or meeting:2")
    audit_command.add_argument("--limit", type=int, default=30, help="how many to show (default: %(default)s)")


@with_services
async def audit(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    found = await services.audit.latest(args.subject, max(args.limit, 1))
    zone = settings.zone
    for entry in found.entries:
        print(f"{format_local(entry.at, zone)}  {entry.actor:<22} {entry.action:<20} {entry.subject:<18} {entry.outcome}")
        for line in changes(entry.before, entry.after, zone):
            print(f"    {line}")
    hidden = found.total - len(found.entries)
    if hidden > 0:
        print(f"… {hidden} more, older; use --limit {found.total} to see them all")
    if not found.entries:
        print("the audit log has no entries" + (f" for {args.subject}" if args.subject else ""))


def changes(before: dict[str, object] | None, after: dict[str, object] | None, zone: ZoneInfo) -> list[str]:
    """`field: before → after` for each field that changed; a record created or refused shows
    what it holds on one line (empty fields left out)."""
    before, after = before or {}, after or {}
    if not before:
        held = [f"{key}: {readable(value, zone)}" for key, value in after.items() if value not in (None, "", [], {})]
        return ["; ".join(held)] if held else []
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in before and key in after:
            if before[key] != after[key]:
                lines.append(f"{key}: {readable(before[key], zone)} → {readable(after[key], zone)}")
        elif key in after:
            if after[key] not in (None, "", [], {}):
                lines.append(f"{key}: {readable(after[key], zone)}")
        else:
            lines.append(f"{key}: {readable(before[key], zone)} → {NOTHING}")
    return lines


def readable(value: object, zone: ZoneInfo) -> str:
    """A stored value as staff read it: times in the unit's zone, lists joined, long text cut."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, list | tuple):
        return ", ".join(readable(item, zone) for item in value) or NOTHING
    if isinstance(value, dict):
        return ", ".join(f"{k} {readable(v, zone)}" for k, v in value.items()) or NOTHING
    if isinstance(value, str):
        moment = _moment(value)
        return format_local(moment, zone) if moment is not None else shorten(value, 80)
    return str(value)


def _moment(text: str) -> datetime | None:
    # Times are stored as ISO text with their offset (UTC); a date alone stays as typed.
    if len(text) < 16 or text[4:5] != "-":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
