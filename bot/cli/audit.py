"""`doithoai audit`: the latest staff actions, as the audit trail keeps them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import Group, command, with_services
from bot.clock import Clock, format_local
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Services


def register(commands: Group) -> None:
    audit_command = command(commands, "audit", audit, "the latest staff actions")
    audit_command.add_argument("--subject", help="e.g. concern:TT-0012 or meeting:2")
    audit_command.add_argument("--limit", type=int, default=30)


@with_services
async def audit(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    for entry in await services.audit.entries(args.subject, args.limit):
        change = f"{entry.before or ''} → {entry.after or ''}" if entry.before or entry.after else ""
        print(f"{format_local(entry.at, settings.zone)}  {entry.actor:<22} {entry.action:<20} "
              f"{entry.subject:<18} {entry.outcome:<9} {change}")
