"""One event's context: who sent it, their conversation, this transaction's repositories.

Every step, command and button handler of the dialogue takes a `Turn`. It lives for one event
and one database transaction; what it changes in `state` is saved when the event is done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.domain.messages import Button, Inbound, Reply
from bot.domain.records import Resident
from bot.domain.redaction import Masks
from bot.domain.textnorm import cut_at_word
from bot.resident.payloads import GlobalAction, StepAction, global_payload, step_payload
from bot.resident.state import Conversation, Draft, StepName
from bot.services.duplicates import DuplicatePairs
from storage.agenda import AgendaRepository
from storage.answers import AnswerRepository, SatisfactionRepository
from storage.concerns import ConcernRepository
from storage.conversations import ConversationRepository
from storage.meetings import MeetingRepository
from storage.residents import ResidentRepository
from storage.subscriptions import SubscriptionRepository

if TYPE_CHECKING:
    from bot.resident.dialogue import Intake
    from bot.resident.flow import Step

CONTACT_PURPOSE = "contact"
# Agreeing to get answers as a (paid) Zalo template message by phone number, asked on Zalo only.
PHONE_NOTICES_PURPOSE = "phone_notices"


@dataclass(frozen=True)
class Aside:
    """Replies said beside the flow (help, /my, a stale button…): the frame then shows the
    current step's prompt again, so the resident always sees where they are."""

    replies: tuple[Reply, ...]
    # When there is no step to show again, end with the menu so the resident has buttons.
    menu_if_idle: bool = False


def aside(*replies: Reply, menu_if_idle: bool = False) -> Aside:
    return Aside(replies, menu_if_idle)


# What a handler answers: the replies as they are, or an aside to be followed by the prompt.
Outcome = list[Reply] | Aside
# A step's prompt, shown on entering the step and again after every aside.
Prompt = Callable[["Turn"], Awaitable[Reply]]


class Turn:
    def __init__(
        self,
        intake: Intake,
        connection: aiosqlite.Connection,
        inbound: Inbound,
        resident: Resident,
        state: Conversation,
        now: datetime,
        steps: Mapping[str, Step],
    ) -> None:
        self.intake = intake
        self.settings = intake.settings
        self.inbound = inbound
        self.resident = resident
        self.state = state
        self.now = now
        self.language = resident.language
        # The flow table by step name (given by the dialogue: the table's handlers take a Turn).
        self.steps = steps
        # Set when this turn erased personal data: the dialogue then empties SQLite's log.
        self.erased = False
        unit = intake.unit_id
        self.residents = ResidentRepository(connection, unit)
        self.meetings = MeetingRepository(connection, unit)
        self.concerns = ConcernRepository(connection, unit)
        self.conversations = ConversationRepository(connection)
        self.subscriptions = SubscriptionRepository(connection)
        self.answers = AnswerRepository(connection, unit)
        self.agenda = AgendaRepository(connection)
        self.satisfaction = SatisfactionRepository(connection, unit)
        self.duplicates = DuplicatePairs(connection, unit, intake.lexicon)

    # --- text ---------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return self.intake.catalog.t(self.language, key, **values)

    def masks(self) -> Masks:
        """What stands in for a hidden phone number or e-mail address, in this resident's language."""
        return Masks(phone=self.t("redaction.phone"), email=self.t("redaction.email"))

    def topic_label(self, topic_id: str) -> str:
        topic = self.intake.topics.get(topic_id)
        return topic.label(self.language) if topic else topic_id

    def area_label(self, area_id: str) -> str:
        return self.intake.areas.path_label(area_id, self.language)

    # --- moving through the flow ----------------------------------------------------------

    @property
    def step(self) -> Step:
        """The step the conversation is at; idle if its stored name is unknown or its draft is gone."""
        step = self.steps.get(self.state.step)
        if step is None or (step.holds_draft and self.state.draft is None):
            return self.steps[StepName.IDLE]
        return step

    @property
    def in_flow(self) -> bool:
        """Writing a concern: a draft exists and the conversation is at one of its steps."""
        return self.step.holds_draft

    @property
    def draft(self) -> Draft:
        assert self.state.draft is not None
        return self.state.draft

    def advance(self, step: str) -> None:
        self.state.step = step
        self.state.version += 1

    def reissue(self) -> None:
        """A new version without moving: the buttons of the prompt shown before are stale now."""
        self.state.version += 1

    async def enter(self, step: str) -> Reply:
        """Move to `step` and return its prompt."""
        self.advance(step)
        prompt = self.steps[step].prompt
        assert prompt is not None, f"step {step} has nothing to ask"
        return await prompt(self)

    def leave_flow(self) -> None:
        """Back to idle; the draft is dropped."""
        self.state.draft = None
        self.advance(StepName.IDLE)

    def step_button(self, label: str, action: StepAction, arg: str = "") -> Button:
        return Button(label, step_payload(self.state.version, action, arg))

    def global_button(self, label: str, action: GlobalAction, arg: str | int = "") -> Button:
        return Button(label, global_payload(action, arg))

    def menu(self) -> Reply:
        proxy = ((self.global_button(self.t("menu.proxy"), GlobalAction.PROXY),),) if self.is_head else ()
        return Reply(
            self.t("menu.text"),
            buttons=(
                (self.global_button(self.t("menu.new"), GlobalAction.NEW),),
                *proxy,
                (
                    self.global_button(self.t("menu.my"), GlobalAction.MY),
                    self.global_button(self.t("menu.help"), GlobalAction.HELP),
                ),
                (self.global_button(self.t("menu.language"), GlobalAction.LANGUAGE),),
            ),
        )

    # --- who the resident is ------------------------------------------------------------

    @property
    def is_head(self) -> bool:
        return bool(self.intake.roles.head_areas(self.inbound.channel, self.inbound.user_id))

    def consent_text(self) -> str:
        return self.t(
            "consent.ask",
            controller=self.settings.privacy.controller,
            version=self.settings.privacy.consent_version,
        )

    async def record_consent(self, given: bool) -> None:
        await self.residents.record_consent(
            self.resident.id,
            CONTACT_PURPOSE,
            self.settings.privacy.consent_version,
            self.consent_text(),
            given,
            self.now,
        )

    async def record_phone_notices(self, given: bool) -> None:
        await self.residents.record_consent(
            self.resident.id, PHONE_NOTICES_PURPOSE, self.settings.privacy.consent_version,
            self.t("phone_notices.ask"), given, self.now,
        )

    def offers_phone_notices(self) -> bool:
        return self.settings.zalo.asks_phone_notices(self.resident.channel)

    async def has_consent(self) -> bool:
        consent = await self.residents.latest_consent(self.resident.id, CONTACT_PURPOSE)
        return consent is not None and consent.given


def shorten(text: str, limit: int) -> str:
    return cut_at_word(text, limit)
