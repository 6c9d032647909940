"""/web: a member of staff asks for a one-time link to the console, in a private chat with the bot.

Never in the staff group: whoever read the link there could log in as the one who asked.
"""

from __future__ import annotations

from typing import Any

from bot.domain.identity import Identity
from bot.domain.messages import Reply
from bot.domain.vocabulary import Role
from bot.staff.context import Request, Staff
from bot.staff.registry import Command, no_arguments


async def login_link(staff: Staff, request: Request, _: None) -> list[Reply]:
    if not staff.settings.web.enabled:
        return staff.words.say("staff.web_disabled")
    if request.inbound.group:
        return staff.words.say("staff.web_private_only")
    identity = Identity(request.inbound.channel, request.inbound.user_id)
    issued = await staff.services.web_login.issue(identity, request.actor)
    return staff.words.say("staff.web_link", url=issued.url, until=staff.words.when(issued.expires_at))


COMMANDS: tuple[Command[Any], ...] = (Command(("web",), Role.STAFF, no_arguments, login_link),)
