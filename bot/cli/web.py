"""`doithoai web login-link STAFF`: a one-time login link to the console, for a member of staff."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import Group, actor, command, nouns, with_services
from bot.clock import Clock, format_local
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Services


def register(commands: Group) -> None:
    web = nouns(commands, "web", "the staff console in a browser")
    link = command(web, "login-link", login_link, "a one-time login link (10 minutes) for a member of staff")
    link.add_argument("staff", help="their Telegram id, channel:id (zalo:…), or their name in [[staff.people]]")


@with_services
async def login_link(args: argparse.Namespace, services: Services, settings: Settings, clock: Clock) -> None:
    issued = await services.web_login.issue(services.web_login.staff_identity(args.staff), actor())
    print(issued.url)
    print(f"valid once, until {format_local(issued.expires_at, settings.zone)}", end="")
    print("" if settings.web.enabled else " (note: [web] enabled is false: `doithoai run` does not serve the console)")
