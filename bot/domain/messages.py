"""Channel-neutral messages: what a resident sent (`Inbound`) and what the bot answers (`Reply`).

Adapters (Telegram, console, later Zalo) only translate to and from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.domain.evidence import EvidenceFile


class InboundKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    PHOTO = "photo"
    CONTACT = "contact"
    LOCATION = "location"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Contact:
    phone: str
    first_name: str
    last_name: str | None = None
    # The channel's id of the person the contact belongs to: equal to the sender's own id
    # only when it was shared with the "share my number" button, which is what verifies it.
    owner_id: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Inbound:
    channel: str
    user_id: str
    kind: InboundKind
    event_id: str | None = None
    text: str | None = None
    command: str | None = None
    args: str = ""
    payload: str | None = None
    contact: Contact | None = None
    location: Location | None = None
    photos: tuple[str, ...] = ()
    unsupported: str | None = None
    # Where it was said: a private chat with the bot (chat_id == user_id) or a group chat.
    chat_id: str | None = None
    group: bool = False
    # A file sent to the staff chat (an answers sheet); residents' files are never downloaded.
    attachment: Document | None = None
    # The channel's journal entry for this event (Telegram: its update_id), when the channel
    # keeps one: the dialogue marks it handled in the same transaction as the event's effects,
    # so that a restart neither replays a handled event nor loses an unhandled one.
    journal_id: int | None = None

    @property
    def reply_to(self) -> str:
        return self.chat_id or self.user_id


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class Push:
    """What a pushed notice says, as data: the catalog key it was written with and its values
    as the resident reads them. A channel that may only send pre-approved templates (Zalo,
    after its window) fills one from these instead of sending the text."""

    kind: str
    fields: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # Ask the channel for something only it can give (a verified phone number, a GPS point).
    ask: Literal["contact", "location"] | None = None
    ask_label: str | None = None
    remove_keyboard: bool = False
    document: Document | None = None
    # Only on pushes queued by Notices.to_resident; replies have none.
    push: Push | None = None
    # A file staff attached to an answer, pushed after the answer's text (`text` is its caption).
    # The outbox row names the stored file; its bytes are read into `evidence_content` just
    # before the send, so rows stay small and a file is stored once for all its followers.
    evidence: EvidenceFile | None = None
    evidence_content: bytes = b""

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]
