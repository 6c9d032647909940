"""The resident's flow, declared: one entry per step, in the order a resident meets them.

Each step says what it asks (its prompt), what it accepts, which handlers validate the answer
and which steps can come next. The dialogue's frame (bot/resident/dialogue.py) reads this
table: it sends a pressed step button to the step's `on_button`, anything else the step
accepts to its `on_input`, what it does not accept to its `refuse`, and after any aside (a
command, a global button, a stale press) shows the current step's prompt again.

Adding a step: a `StepName`, an entry here, its handlers in bot/resident/steps/, and the
diagram regenerated: ``python -m bot.resident.flow > bot/resident/flow.md``.

Besides the edges below, /cancel (and a closed meeting) leaves any step for idle.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.messages import InboundKind, Reply
from bot.resident.payloads import StepPayload
from bot.resident.state import StepName
from bot.resident.steps import choice, confirm, consent, contact, details, idle
from bot.resident.turn import Outcome, Prompt, Turn, aside


class Accepts(StrEnum):
    BUTTONS = "buttons"
    TEXT = "text"
    PHOTO = "photo"
    LOCATION = "location"
    CONTACT = "contact"


# What a step accepts besides its buttons, by the kind of event that brings it.
INPUT_KINDS = {
    InboundKind.TEXT: Accepts.TEXT,
    InboundKind.PHOTO: Accepts.PHOTO,
    InboundKind.LOCATION: Accepts.LOCATION,
    InboundKind.CONTACT: Accepts.CONTACT,
}

ButtonHandler = Callable[[Turn, StepPayload], Awaitable[Outcome | None]]
InputHandler = Callable[[Turn], Awaitable[Outcome]]


@dataclass(frozen=True)
class Decline:
    """Input a step does not take: say `key`; then, unless that sentence already says what to
    do, the step's prompt again."""

    key: str
    reprompt: bool = True

    async def __call__(self, turn: Turn) -> Outcome:
        reply = Reply(turn.t(self.key))
        return aside(reply) if self.reprompt else [reply]


@dataclass(frozen=True)
class Step:
    name: StepName
    # For the diagram: what the step is for, in a few words.
    purpose: str
    accepts: frozenset[Accepts]
    next: tuple[StepName, ...]
    # None only for idle, which asks nothing: there is nothing to show again.
    prompt: Prompt | None
    # A press of one of the step's own buttons; None when the payload is not one it offered.
    on_button: ButtonHandler | None = None
    # What the step accepts besides buttons.
    on_input: InputHandler | None = None
    refuse: InputHandler = Decline("input.use_buttons")
    # The steps of writing a concern hold a draft; a step without its draft is idle.
    holds_draft: bool = True


def _accepts(*kinds: Accepts) -> frozenset[Accepts]:
    return frozenset(kinds)


FLOW: tuple[Step, ...] = (
    Step(
        StepName.IDLE, "between concerns, the menu; a comment on an answer if one was asked",
        _accepts(Accepts.TEXT), (StepName.CONSENT, StepName.MEETING, StepName.AREA, StepName.TOPIC),
        prompt=None, on_input=idle.on_text, refuse=idle.refuse, holds_draft=False,
    ),
    Step(
        StepName.CONSENT, "consent to keep contact details (first /start)",
        _accepts(Accepts.BUTTONS), (StepName.IDLE, StepName.MEETING, StepName.AREA, StepName.TOPIC),
        prompt=consent.prompt, on_button=consent.on_button, holds_draft=False,
    ),
    Step(
        StepName.MEETING, "which meeting, when several take concerns",
        _accepts(Accepts.BUTTONS), (StepName.AREA, StepName.TOPIC, StepName.IDLE),
        prompt=choice.meeting_prompt, on_button=choice.on_meeting_button,
    ),
    Step(
        StepName.AREA, "where, walking the area tree down from the meeting's area",
        _accepts(Accepts.BUTTONS), (StepName.AREA, StepName.TOPIC),
        prompt=choice.area_prompt, on_button=choice.on_area_button,
    ),
    Step(
        StepName.TOPIC, "what about",
        _accepts(Accepts.BUTTONS), (StepName.TEXT,),
        prompt=choice.topic_prompt, on_button=choice.on_topic_button,
    ),
    Step(
        StepName.TEXT, "the concern in the resident's words (a photo's caption will do)",
        _accepts(Accepts.TEXT, Accepts.PHOTO), (StepName.PHOTOS, StepName.LOCATION, StepName.CONFIRM),
        prompt=details.text_prompt, on_input=details.on_text, refuse=Decline("text.not_text", reprompt=False),
    ),
    Step(
        StepName.PHOTOS, "optional photos",
        _accepts(Accepts.BUTTONS, Accepts.PHOTO), (StepName.LOCATION,),
        prompt=details.photos_prompt, on_button=details.on_photos_button, on_input=details.on_photo,
        refuse=Decline("photos.not_photo"),
    ),
    Step(
        StepName.LOCATION, "optional location",
        _accepts(Accepts.BUTTONS, Accepts.LOCATION), (StepName.CONTACT, StepName.PROXY_NAME),
        prompt=details.location_prompt, on_button=details.on_location_button, on_input=details.on_location,
        refuse=Decline("location.not_location"),
    ),
    Step(
        StepName.CONTACT, "the resident's contact (shared or a typed name), or anonymous",
        _accepts(Accepts.BUTTONS, Accepts.CONTACT, Accepts.TEXT), (StepName.PHONE, StepName.CONFIRM),
        prompt=contact.contact_prompt, on_button=contact.on_contact_button, on_input=contact.on_contact,
        refuse=contact.refuse_contact,
    ),
    Step(
        StepName.PHONE, "the phone number after a typed name",
        _accepts(Accepts.BUTTONS, Accepts.CONTACT, Accepts.TEXT), (StepName.CONFIRM,),
        prompt=contact.phone_prompt, on_button=contact.on_phone_button, on_input=contact.on_phone,
        refuse=Decline("phone.not_phone"),
    ),
    Step(
        StepName.PROXY_NAME, "on behalf of someone, their name",
        _accepts(Accepts.TEXT), (StepName.PROXY_PHONE,),
        prompt=contact.proxy_name_prompt, on_input=contact.on_proxy_name, refuse=contact.refuse_proxy_name,
    ),
    Step(
        StepName.PROXY_PHONE, "on behalf of someone, their phone",
        _accepts(Accepts.BUTTONS, Accepts.TEXT), (StepName.CONFIRM,),
        prompt=contact.proxy_phone_prompt, on_button=contact.on_proxy_phone_button, on_input=contact.on_proxy_phone,
        refuse=Decline("contact.bad_phone"),
    ),
    Step(
        StepName.CONFIRM, "similar concerns offered (+1 instead), the summary, send",
        _accepts(Accepts.BUTTONS), (StepName.IDLE, StepName.TEXT),
        prompt=confirm.summary, on_button=confirm.on_confirm_button,
    ),
)

STEPS: dict[str, Step] = {step.name: step for step in FLOW}
# The steps of writing a concern, in order.
FLOW_STEPS: tuple[str, ...] = tuple(step.name.value for step in FLOW if step.holds_draft)


def reachable(start: StepName = StepName.IDLE, steps: Sequence[Step] = FLOW) -> set[StepName]:
    table = {step.name: step for step in steps}
    seen: set[StepName] = set()
    waiting = [start]
    while waiting:
        name = waiting.pop()
        if name in seen or name not in table:
            continue
        seen.add(name)
        waiting.extend(table[name].next)
    return seen


def mermaid(steps: Sequence[Step] = FLOW) -> str:
    """The flow as a Mermaid state diagram, in a Markdown page (bot/resident/flow.md)."""
    lines = [
        "# The resident's flow",
        "",
        "Generated from the table in `bot/resident/flow.py` by",
        "`python -m bot.resident.flow > bot/resident/flow.md`; a test fails when they differ.",
        "/cancel, and a meeting that closes meanwhile, lead from any step back to idle.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {StepName.IDLE}",
    ]
    for step in steps:
        accepts = ", ".join(kind.value for kind in Accepts if kind in step.accepts)
        lines.append(f"    {step.name} : {step.purpose}")
        lines.append(f"    {step.name} : accepts {accepts}")
    for step in steps:
        lines.extend(f"    {step.name} --> {target}" for target in step.next)
    lines.append("```")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(mermaid())
