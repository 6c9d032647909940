"""The staff side in chat: meetings, the queue, triage, merges, the agenda and answers, by command or button.

Every command and every button is checked against the sender's role here, on the server,
whatever the button says; refusals are answered politely and written to the audit log.
What each command needs and does is declared once, in the registry built below; the desk
only reads the event, checks the role, runs the command, and words its failures.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.domain.messages import Inbound, InboundKind, Reply
from bot.domain.refusal import Refusal
from bot.domain.vocabulary import Role
from bot.services.layer import ServiceLayer
from bot.services.roles import Roles
from bot.staff import agenda, answers, meetings, triage, web
from bot.staff.context import Arguments, Request, Staff, Usage
from bot.staff.payloads import Pressed, decode, is_staff_payload, pressed
from bot.staff.registry import ButtonAction, Command, Registry, no_arguments
from bot.staff.views.wording import Wording

log = logging.getLogger(__name__)

# A file the staff chat sends is the agenda sheet sent back with its answer columns filled in.
ANSWER_SHEETS = (".xlsx", ".csv")


async def _help(staff: Staff, request: Request, _: None) -> list[Reply]:
    return staff.words.say("staff.help")


REGISTRY = Registry(
    commands=(
        Command(("staffhelp",), Role.STAFF, no_arguments, _help),
        *meetings.COMMANDS, *triage.COMMANDS, *agenda.COMMANDS, *answers.COMMANDS, *web.COMMANDS,
    ),
    buttons=(*triage.BUTTONS, *agenda.BUTTONS),
)
# Commands that belong to staff; everything else in a private chat is the resident dialogue.
STAFF_COMMANDS = REGISTRY.command_names
ADMIN_COMMANDS = REGISTRY.names_needing(Role.ADMIN)


class StaffDesk:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        services: ServiceLayer,
    ) -> None:
        words = Wording(services.catalog, settings, services.triage.topics, services.triage.areas)
        self._staff = Staff(settings, clock, services, words)
        self._audit = services.audit
        self._zone = settings.zone
        self._roles = Roles(settings)

    def claims(self, inbound: Inbound) -> bool:
        """Whether an event is for the staff desk rather than the resident dialogue."""
        if inbound.group:
            return inbound.chat_id is not None and self._roles.is_staff_chat(inbound.channel, inbound.chat_id)
        if inbound.kind is InboundKind.COMMAND:
            return REGISTRY.command((inbound.command or "").lower()) is not None
        return inbound.kind is InboundKind.BUTTON and is_staff_payload(inbound.payload)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if inbound.kind is InboundKind.COMMAND:
            name = (inbound.command or "").lower()
            command = REGISTRY.command(name)
            if command is None:
                return []
            return await self._command(inbound, name, command, inbound.args.split())
        if inbound.kind is InboundKind.BUTTON and is_staff_payload(inbound.payload):
            return await self._button(inbound, pressed(inbound.payload or ""))
        if inbound.attachment is not None and inbound.attachment.filename.lower().endswith(ANSWER_SHEETS):
            sheet = answers.IMPORT_SHEET
            return await self._command(inbound, sheet.names[0], sheet, (inbound.text or "").split()[1:])
        return []  # chatter in the staff chat is not for the bot

    async def _command(self, inbound: Inbound, name: str, command: Command[Any], words: list[str]) -> list[Reply]:
        request = Request.of(inbound)
        if not await self._allowed(request, command.role, name, words):
            return self._refusal(request, command.role)

        async def run() -> list[Reply]:
            return await command.run(self._staff, request, command.parse(Arguments(tuple(words), self._zone)))

        return await self._answered(name, request, run)

    async def _button(self, inbound: Inbound, press: Pressed) -> list[Reply]:
        request = Request.of(inbound)
        action: ButtonAction[Any] | None = REGISTRY.button(press.kind)
        # A kind we never made still needs staff to be told so: anyone else is refused like any button.
        role = action.role if action is not None else Role.STAFF
        if not await self._allowed(request, role, press.action, list(press.fields)):
            return self._refusal(request, role)
        if action is None:
            return self._staff.words.say("staff.unknown_button")

        async def run() -> list[Reply]:
            return await action.run(self._staff, request, decode(press))

        return await self._answered(press.action, request, run)

    async def _answered(self, action: str, request: Request, run: Callable[[], Awaitable[list[Reply]]]) -> list[Reply]:
        """What `run` answers, or the sentence for why it could not be done."""
        try:
            return await run()
        except Usage as usage:
            return self._staff.words.say(usage.key)
        except Refusal as refusal:
            # The refusal's own sentence, in Vietnamese like the rest of the staff chat.
            return self._staff.words.say("staff.failed", reason=self._staff.words.refusal(refusal))
        except (ValueError, IndexError):
            log.info("malformed staff %s from %s", action, request.actor)
            return self._staff.words.say("staff.bad_arguments")

    async def _allowed(self, request: Request, role: Role, action: str, args: list[str]) -> bool:
        """Whether the sender holds `role`; a refused attempt is audited before it is answered."""
        # Staff are known by their id on each channel they use ([[staff.people]]): the same
        # command works from a private chat on any of them, and nobody else's id holds a role.
        if role in self._roles.of(request.inbound.channel, request.inbound.user_id):
            return True
        await self._audit.refused(request.actor, action, args)
        log.info("staff action %s refused for %s", action, request.actor)
        return False

    def _refusal(self, request: Request, needed: Role) -> list[Reply]:
        """Staff asking for an admin's command are told it is for admins; anyone else, that it is for staff."""
        held = self._roles.of(request.inbound.channel, request.inbound.user_id)
        admin_only = needed is Role.ADMIN and Role.STAFF in held
        return self._staff.words.say("staff.forbidden_admin" if admin_only else "staff.forbidden")
