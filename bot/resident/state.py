"""A resident's conversation as stored: the step, its version, the draft concern, what is pending.

Stored as JSON in one row per resident (storage/conversations.py), so a half-finished concern
survives a restart. Field names are the stored format: renaming one loses drafts in flight.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class StepName(StrEnum):
    """Where a conversation is; the values are stored in `Conversation.step`."""

    IDLE = "idle"
    CONSENT = "consent"
    MEETING = "meeting"
    AREA = "area"
    TOPIC = "topic"
    TEXT = "text"
    PHOTOS = "photos"
    LOCATION = "location"
    CONTACT = "contact"
    PHONE = "phone"
    PROXY_NAME = "proxy_name"
    PROXY_PHONE = "proxy_phone"
    CONFIRM = "confirm"


@dataclass
class Draft:
    key: str
    meeting_id: int | None = None
    meeting_area: str | None = None
    area_node: str | None = None
    area_id: str | None = None
    topic_id: str | None = None
    text: str | None = None
    photos: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    phone_verified: bool = False
    # Back from the summary to rewrite the text: the other answers stay.
    editing: bool = False
    # A head of a residential group submitting for a resident without a smartphone.
    proxy: bool = False


@dataclass
class Conversation:
    step: str = StepName.IDLE.value
    version: int = 0
    draft: Draft | None = None
    # The buttons of the last prompt, so a typed label or its number works like a press.
    choices: list[list[str]] = field(default_factory=list)
    # The buttons of the turn's earlier prompts (the similar concerns above the summary): taken
    # by their label, not by number (the numbers are the last prompt's).
    other_choices: list[list[str]] = field(default_factory=list)
    delete_pending: bool = False
    withdraw_pending: int | None = None
    # A concern the resident said they were not satisfied with: the next text is their comment.
    comment_pending: int | None = None
    # What the last event produced, sent again if the channel delivers that event twice.
    last_event: str | None = None
    last_replies: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> Conversation:
        if not raw:
            return cls()
        data = json.loads(raw)
        draft = data.pop("draft", None)
        return cls(draft=Draft(**draft) if draft else None, **data)
