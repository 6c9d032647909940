"""What a resident's phone sends: the fields of the Message (or the update) Telegram builds.

The builders only shape JSON; :class:`~tests.fakebotapi.server.FakeBotApi` gives the message
its id, chat and sender and queues the update.
"""

from __future__ import annotations

import enum
import mimetypes
import re
from typing import Final

from tests.fakebotapi.files import FileStore
from tests.fakebotapi.wire import JSONDict, u16


class _Own(enum.Enum):
    """Sentinel type so that ``send_contact(user_id=None)`` can mean "no Telegram account"."""

    OWN = "own"


OWN_ID: Final = _Own.OWN

_COMMAND: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")


def text_fields(text: str) -> JSONDict:
    """A typed text; a leading /command gets the bot_command entity Telegram clients add."""
    if not text.strip():
        raise ValueError("Telegram clients cannot send an empty message; use push_update")
    if u16(text) > 4096:
        raise ValueError("Telegram clients split texts over 4096 characters; use push_update")
    fields: JSONDict = {"text": text}
    match = _COMMAND.match(text)
    if match:
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": u16(match[0])}]
    return fields


def photo_fields(files: FileStore, caption: str | None, content: bytes | None) -> JSONDict:
    fields: JSONDict = {"photo": files.photo_sizes(content)}
    if caption:
        fields["caption"] = caption
    return fields


def sticker_fields(files: FileStore, emoji: str) -> JSONDict:
    stored = files.store(
        b"RIFF\x00\x00\x00\x00WEBPVP8 fake", "sticker.webp", "image/webp", "stickers"
    )
    return {
        "sticker": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.content),
        }
    }


def voice_fields(files: FileStore, duration: int, content: bytes | None) -> JSONDict:
    data = content if content is not None else b"OggS\x00fake-voice" + bytes(64)
    stored = files.store(data, None, "audio/ogg", "voice")
    return {
        "voice": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
    }


def document_fields(
    files: FileStore,
    file_name: str,
    content: bytes | None,
    mime_type: str | None,
    caption: str | None,
) -> JSONDict:
    data = content if content is not None else b"%PDF-1.4\n% fake document\n" + bytes(32)
    mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    stored = files.store(data, file_name, mime, "documents")
    fields: JSONDict = {
        "document": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(data),
        }
    }
    if caption:
        fields["caption"] = caption
    return fields


def location_fields(latitude: float, longitude: float) -> JSONDict:
    return {"location": {"latitude": latitude, "longitude": longitude}}


def contact_fields(
    sender_id: int,
    phone_number: str,
    first_name: str,
    last_name: str | None,
    user_id: int | _Own | None,
) -> JSONDict:
    """``user_id`` OWN_ID is the sender: that is how Telegram marks a verified own number."""
    contact: JSONDict = {"phone_number": phone_number, "first_name": first_name}
    if last_name:
        contact["last_name"] = last_name
    if user_id is OWN_ID:
        contact["user_id"] = sender_id
    elif isinstance(user_id, int):
        contact["user_id"] = user_id
    return {"contact": contact}


def callback_query(
    callback_id: str, sender: JSONDict, chat_id: int, message: JSONDict, data: str
) -> JSONDict:
    """A button press; ``message`` is the message under the keyboard (or what is left of it)."""
    return {
        "id": callback_id,
        "from": sender,
        "chat_instance": str(-(abs(chat_id) * 1_000_003 + 17)),
        "data": data,
        "message": message,
    }


def member_change(
    chat: JSONDict, sender: JSONDict, bot: JSONDict, old: str, new: str, date: int
) -> JSONDict:
    """The my_chat_member update Telegram sends when a user blocks or unblocks the bot."""
    return {
        "my_chat_member": {
            "chat": chat,
            "from": sender,
            "date": date,
            "old_chat_member": {"status": old, "user": bot}
            | ({"until_date": 0} if old == "kicked" else {}),
            "new_chat_member": {"status": new, "user": bot}
            | ({"until_date": 0} if new == "kicked" else {}),
        }
    }
