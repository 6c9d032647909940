"""What the bot did, as tests read it: every request it made and every message it sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FileUpload:
    """A file as the bot handed it over: bytes for uploads, the reference for re-sends.

    ``content`` is also filled for a re-send by file_id when the server knows that file, so a
    test can check the bytes no matter how the bot chose to send them.
    """

    filename: str | None
    content: bytes | None
    mime_type: str | None = None
    file_id: str | None = None  # server-assigned id for uploads; the given id/URL otherwise
    uploaded: bool = False  # True when the bytes travelled in this request (multipart)


@dataclass
class ApiCall:
    """One HTTP request to the Bot API; ``status`` stays 0 while the answer is still pending."""

    method: str
    params: dict[str, Any]
    status: int
    time: float
    answered_at: float | None = None
    description: str | None = None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class SentMessage:
    """A message the bot produced, kept up to date with later edits and deletion."""

    message_id: int
    chat_id: int
    text: str | None  # what the user sees: text or caption after parse_mode parsing
    reply_markup: dict[str, Any] | None  # decoded JSON as sent (inline, reply or remove keyboard)
    method: str
    document: FileUpload | None = None  # sendDocument (and document items of sendMediaGroup)
    edits: list[dict[str, Any]] = field(default_factory=list)
    photo: FileUpload | None = None  # sendPhoto (and photo items of sendMediaGroup)
    file: FileUpload | None = None  # the file of any media method, photo/document included
    location: tuple[float, float] | None = None
    raw_text: str | None = None  # text/caption exactly as sent, markup included
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    date: int = 0
    reply_to_message_id: int | None = None
    deleted: bool = False

    def buttons(self) -> list[tuple[str, str | None]]:
        """Flattened keyboard so tests can assert on labels without walking nested rows."""
        markup = self.reply_markup or {}
        if "inline_keyboard" in markup:
            return [
                (str(button.get("text", "")), button.get("callback_data"))
                for row in markup["inline_keyboard"]
                for button in row
            ]
        if "keyboard" in markup:
            return [
                (button if isinstance(button, str) else str(button.get("text", "")), None)
                for row in markup["keyboard"]
                for button in row
            ]
        return []

    @property
    def inline_buttons(self) -> list[tuple[str, str | None]]:
        """Only buttons that can be pressed (callback buttons); URL buttons give ``None``."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.buttons()
        return []

    def __str__(self) -> str:
        text = (self.text or "").replace("\n", " / ")
        if len(text) > 120:
            text = text[:117] + "..."
        extra = f" buttons={[b[0] for b in self.buttons()]}" if self.buttons() else ""
        gone = " [deleted]" if self.deleted else ""
        return f"#{self.message_id} {self.method}: {text!r}{extra}{gone}"
