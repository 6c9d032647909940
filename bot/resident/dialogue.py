"""The resident dialogue: one `Inbound` in, the conversation moved on, `Reply`s out.

Each event is handled inside one database transaction: the resident, the event's dedupe
mark, the conversation state and any submitted concern are written together, so a crash
at any point leaves either the whole step or nothing. Button payloads are never trusted:
step buttons carry the conversation's version and are checked against what the current
step offers; global buttons re-check ownership and deadlines.

This module is the frame: it sends each event to a command, a global button or the current
step of the flow (declared in bot/resident/flow.py), and after every aside shows the current
step's prompt again — the one place that does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.clock import Clock
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.lexicon import lexicon_for
from bot.domain.messages import Inbound, InboundKind, Reply
from bot.domain.textnorm import clean, fold, label_key
from bot.outbox.codec import decode_body, encode_body
from bot.resident import account, after_meeting, commands
from bot.resident.flow import FLOW_STEPS, INPUT_KINDS, STEPS, Accepts
from bot.resident.payloads import GlobalAction, GlobalPayload, StepPayload, parse
from bot.resident.state import Conversation, Draft, StepName
from bot.resident.turn import Aside, Outcome, Turn, aside
from bot.services.flood import FloodGuard
from bot.services.roles import Roles
from bot.text import Catalog
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.journal import UpdateJournalRepository
from storage.residents import ResidentRepository

__all__ = ["FLOW_STEPS", "Conversation", "Draft", "Intake"]

log = logging.getLogger(__name__)

Command = Callable[[Turn, str], Awaitable[Outcome]]
GlobalHandler = Callable[[Turn, GlobalPayload], Awaitable[Outcome | None]]

COMMANDS: dict[str, Command] = {
    "start": commands.start,
    "help": commands.show_help,
    "new": commands.new,
    "cancel": commands.cancel,
    "proxy": commands.proxy,
    "my": account.my,
    "status": account.status,
    "withdraw": account.withdraw,
    "privacy": account.privacy,
    "delete": account.delete,
    "mydata": account.mydata,
    "language": account.language,
    "lang": account.language,
    "unsubscribe": account.unsubscribe,
}


def _as_button(command: Command) -> GlobalHandler:
    """A menu button that does what its command does, without arguments."""

    async def press(turn: Turn, payload: GlobalPayload) -> Outcome | None:
        return await command(turn, "")

    return press


GLOBAL_BUTTONS: dict[GlobalAction, GlobalHandler] = {
    GlobalAction.NEW: _as_button(commands.new),
    GlobalAction.PROXY: _as_button(commands.proxy),
    GlobalAction.MY: _as_button(account.my),
    GlobalAction.HELP: _as_button(commands.show_help),
    GlobalAction.LANGUAGE: account.on_language_button,
    GlobalAction.WITHDRAW: account.on_withdraw_button,
    GlobalAction.WITHDRAW_YES: account.on_withdraw_yes_button,
    GlobalAction.WITHDRAW_NO: account.on_withdraw_no_button,
    GlobalAction.DELETE: account.on_delete_button,
    GlobalAction.CONSENT: account.on_consent_button,
    GlobalAction.SUBSCRIBE: account.on_subscribe_button,
    GlobalAction.SATISFACTION: after_meeting.on_satisfaction_button,
    GlobalAction.SATISFACTION_SKIP: after_meeting.on_skip_button,
}


class Intake:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        catalog: Catalog | None = None,
        *,
        unit_id: str | None = None,
    ) -> None:
        self.settings = settings
        # The unit whose meetings this dialogue offers and whose records it writes.
        self.unit_id = unit_id or settings.unit.id
        self.database = database
        self.clock = clock
        self.catalog = catalog or Catalog.load()
        self.areas = AreaTree(settings)
        self.topics = TopicList(settings)
        self.lexicon = lexicon_for(settings)
        self.flood = FloodGuard(settings.limits.messages_per_minute)
        self.roles = Roles(settings)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        inbound = _cleaned(inbound)
        verdict = self.flood.check(f"{inbound.channel}:{inbound.user_id}", now)
        if verdict == "drop":
            return []
        async with self.database.transaction() as connection:
            frame = await _Frame.begin(self, connection, inbound, now)
            if verdict == "warn":
                replies = [Reply(frame.turn.t("flood"))]
            else:
                replies = await frame.run()
            await frame.finish(replies)
            if inbound.journal_id is not None:
                await UpdateJournalRepository(connection, inbound.channel).mark_handled(inbound.journal_id, now)
        if frame.turn.erased:
            # The erased rows' old versions are still in the write-ahead log until it is folded in.
            await self.database.fold_log()
        return replies


class _Frame:
    """One event's way through the dialogue; lives for one transaction."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.duplicate = False
        self.version = turn.state.version

    @classmethod
    async def begin(cls, intake: Intake, connection: aiosqlite.Connection, inbound: Inbound, now: datetime) -> _Frame:
        residents = ResidentRepository(connection, intake.unit_id)
        resident = await residents.get_or_create(
            inbound.channel, inbound.user_id, intake.settings.unit.default_language, now
        )
        raw = await ConversationRepository(connection).load(resident.id)
        try:
            state = Conversation.from_json(raw)
        except (ValueError, TypeError, KeyError):
            log.warning("conversation state of resident %s unreadable; starting over", resident.id)
            state = Conversation()
        return cls(Turn(intake, connection, inbound, resident, state, now, STEPS))

    async def run(self) -> list[Reply]:
        turn = self.turn
        inbound = turn.inbound
        event = inbound.event_id
        if event is not None:
            if event == turn.state.last_event:
                self.duplicate = True
                return [decode_body(r) for r in turn.state.last_replies]
            if not await turn.conversations.mark_processed(inbound.channel, event, turn.now):
                self.duplicate = True
                return []
        if inbound.kind is InboundKind.COMMAND:
            return await self.settle(await self.on_command(inbound.command or "", inbound.args))
        if inbound.kind is InboundKind.BUTTON:
            return await self.on_payload(inbound.payload or "")
        if inbound.kind is InboundKind.TEXT:
            chosen = self.match_choice(inbound.text or "")
            if chosen is not None:
                return await self.on_payload(chosen)
        return await self.settle(await self.on_input())

    async def finish(self, replies: list[Reply]) -> None:
        turn = self.turn
        if not self.duplicate and turn.inbound.event_id is not None:
            turn.state.last_event = turn.inbound.event_id
            # A file is not kept for sending again: the resident can ask for it anew.
            turn.state.last_replies = [encode_body(r) for r in replies if r.document is None]
        prompts = [r for r in replies if r.buttons]
        if prompts:
            turn.state.choices = [[b.label, b.payload] for b in prompts[-1].all_buttons()]
            turn.state.other_choices = [[b.label, b.payload] for r in prompts[:-1] for b in r.all_buttons()]
        elif turn.state.version != self.version:
            # A new prompt without buttons (the text step): the earlier buttons are stale, and
            # a concern whose words are a topic's name is a concern, not a press.
            turn.state.choices = []
            turn.state.other_choices = []
        await turn.conversations.save(turn.resident.id, turn.state.to_json(), turn.now)

    def match_choice(self, text: str) -> str | None:
        """A typed label, or its number, of the buttons last shown: the payload it stands for.

        The one matcher of typed labels for every step: accents, case, spaces, emoji and
        punctuation do not count (textnorm.label_key)."""
        choices = self.turn.state.choices
        typed = fold(text)
        if not typed:
            return None
        if typed.isdecimal():
            index = int(typed) - 1
            return choices[index][1] if 0 <= index < len(choices) else None
        offered = [*choices, *self.turn.state.other_choices]
        key = label_key(typed)
        for label, payload in offered:
            if label_key(label) == key:
                return payload
        if Accepts.TEXT in self.turn.step.accepts:
            return None  # what else is typed here is the resident's own words (a name, a comment)
        # A step that takes no text also takes a button's first words, when only one starts so:
        # "bo qua" for "Bỏ qua vị trí", "xong" for "Xong, sang bước tiếp".
        words = typed.split()
        starting = {payload for label, payload in offered if fold(label).split()[: len(words)] == words}
        return starting.pop() if len(starting) == 1 else None

    # --- the one place that shows the current prompt again ------------------------------

    async def settle(self, outcome: Outcome) -> list[Reply]:
        if not isinstance(outcome, Aside):
            return outcome
        again = await self.resume()
        if not again and outcome.menu_if_idle:
            again = [self.turn.menu()]
        return [*outcome.replies, *again]

    async def resume(self) -> list[Reply]:
        """Where the resident is: the current step's prompt (nothing when idle)."""
        prompt = self.turn.step.prompt
        return [] if prompt is None else [await prompt(self.turn)]

    async def refused(self, key: str) -> list[Reply]:
        return await self.settle(aside(Reply(self.turn.t(key))))

    # --- dispatch -----------------------------------------------------------------------

    async def on_command(self, command: str, args: str) -> Outcome:
        handler = COMMANDS.get(command.lower())
        if handler is None:
            return aside(Reply(self.turn.t("command.unknown", command=command)))
        return await handler(self.turn, args)

    async def on_payload(self, raw: str) -> list[Reply]:
        turn = self.turn
        payload = parse(raw)
        if payload is None:
            log.info("malformed button payload from resident %s", turn.resident.id)
            return await self.refused("button.invalid")
        if isinstance(payload, GlobalPayload):
            outcome = await GLOBAL_BUTTONS[payload.action](turn, payload)
            if outcome is None:
                log.info("global button %r refused (resident %s)", raw, turn.resident.id)
                return await self.refused("button.invalid")
            return await self.settle(outcome)
        return await self.on_step_button(raw, payload)

    async def on_step_button(self, raw: str, payload: StepPayload) -> list[Reply]:
        turn = self.turn
        step = turn.step
        # Idle shows no step buttons: any there is left over from an earlier prompt.
        if payload.version != turn.state.version or step.name is StepName.IDLE:
            return await self.refused("button.stale")
        outcome = None
        if step.on_button is not None and payload.action is not None:
            outcome = await step.on_button(turn, payload)
        if outcome is None:
            log.info("button %r not offered at step %s (resident %s)", raw, step.name, turn.resident.id)
            return await self.refused("button.invalid")
        return await self.settle(outcome)

    async def on_input(self) -> Outcome:
        """Text, photos, a contact, a location, a sticker…: the current step's to take or refuse."""
        step = self.turn.step
        kind = INPUT_KINDS.get(self.turn.inbound.kind)
        if kind is not None and kind in step.accepts and step.on_input is not None:
            return await step.on_input(self.turn)
        return await step.refuse(self.turn)


def _cleaned(inbound: Inbound) -> Inbound:
    return replace(
        inbound,
        text=clean(inbound.text) if inbound.text is not None else None,
        args=clean(inbound.args),
        # Only what a command can be made of: '/start\u200b' pasted from somewhere is /start.
        command="".join(ch for ch in clean(inbound.command or "").lower() if ch.isascii() and (ch.isalnum() or ch == "_"))[:32]
        or None,
    )
