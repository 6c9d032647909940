"""The Telegram-side state the server keeps: chats, their messages, and pending button presses.

Messages are kept twice on purpose: as the Telegram ``Message`` JSON the bot gets back (and
that replies, forwards and edits work on), and as the :class:`SentMessage` record tests read.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tests.fakebotapi.records import SentMessage
from tests.fakebotapi.wire import ApiError, JSONDict, as_int, as_json, bad, truthy

if TYPE_CHECKING:
    from tests.fakebotapi.chats import FakeGroup, FakeUser


class RecordBotMessage(Protocol):
    """How method handlers store a message the bot sent (the server's overridable hook)."""

    def __call__(
        self,
        chat: JSONDict,
        method: str,
        params: dict[str, Any],
        fields: JSONDict,
        *,
        markup: dict[str, Any] | None,
        raw_text: str | None = None,
        reply_to: int | None = None,
        **extra: Any,
    ) -> JSONDict: ...


@dataclass
class Callback:
    """A button press waiting for the bot's answerCallbackQuery."""

    user_id: int
    update_id: int
    answered: bool = False


class ChatState:
    def __init__(self, bot_user: JSONDict) -> None:
        self._bot_user = bot_user
        self.chats: dict[int, JSONDict] = {}
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], JSONDict] = {}
        self.records: dict[tuple[int, int], SentMessage] = {}
        self.sent: list[SentMessage] = []
        self.callbacks: dict[str, Callback] = {}
        self._next_message_id: dict[int, int] = {}
        self._callback_counter = 0

    def bot_user(self) -> JSONDict:
        """The bot as a User; a fresh dict each time, as each message carries its own copy."""
        return dict(self._bot_user)

    # -- chats --------------------------------------------------------------------------------

    def resolve_chat(self, chat_id: Any) -> JSONDict:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for known in self.chats.values():
                if known.get("username", "").lower() == chat_id[1:].lower():
                    return known
            raise bad("chat not found")
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        try:
            key = as_int(chat_id, "chat_id")
        except ApiError:
            raise bad("chat not found") from None
        chat = self.chats.get(key)
        if chat is None:
            raise bad("chat not found")
        return chat

    def target_chat(self, params: dict[str, Any]) -> JSONDict:
        """Resolves the chat of a send/edit; a blocked chat answers 403 like Telegram."""
        chat = self.resolve_chat(params.get("chat_id"))
        if chat["id"] in self.blocked:
            if chat["type"] == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
        return chat

    def get_chat(self, params: dict[str, Any], files: object) -> JSONDict:
        """The getChat method: the chat plus the fields a full ChatFullInfo must have."""
        chat = self.resolve_chat(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # -- messages -----------------------------------------------------------------------------

    def new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def reply_to(self, chat_id: int, params: dict[str, Any]) -> int | None:
        """The message a send replies to; 400 when it is gone, unless the bot allows that."""
        reply = params.get("reply_parameters")
        allow = truthy(params.get("allow_sending_without_reply"))
        if reply not in (None, ""):
            reply = as_json(reply, "reply_parameters")
            if not isinstance(reply, dict):
                raise bad("can't parse reply parameters JSON object")
            message_id = reply.get("message_id")
            allow = allow or truthy(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
        if message_id in (None, ""):
            return None
        mid = as_int(message_id, "message_id")
        if (chat_id, mid) not in self.messages:
            if allow:
                return None
            raise bad("message to be replied not found")
        return mid

    def record_bot_message(
        self,
        chat: JSONDict,
        method: str,
        params: dict[str, Any],
        fields: JSONDict,
        *,
        markup: dict[str, Any] | None,
        raw_text: str | None = None,
        reply_to: int | None = None,
        **extra: Any,
    ) -> JSONDict:
        """Creates the Telegram Message for a bot send and the SentMessage tests look at."""
        chat_id = chat["id"]
        message_id = self.new_message_id(chat_id)
        now = int(time.time())
        message: JSONDict = {
            "message_id": message_id,
            "from": self.bot_user(),
            "chat": dict(chat),
            "date": now,
        }
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(self.messages[(chat_id, reply_to)])
            message["reply_to_message"].pop("reply_to_message", None)
        message.update(fields)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        text = fields.get("text", fields.get("caption"))
        entities = fields.get("entities", fields.get("caption_entities", []))
        record = SentMessage(
            message_id=message_id,
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            method=method,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=list(entities or []),
            params=dict(params),
            date=now,
            reply_to_message_id=reply_to,
            **extra,
        )
        self.sent.append(record)
        self.records[(chat_id, message_id)] = record
        return message

    def add_user_message(self, sender: JSONDict, chat_id: int, fields: JSONDict) -> JSONDict:
        """A message a person sent in a chat; kept so the bot can reply to or forward it."""
        chat = self.chats[chat_id]
        message: JSONDict = {
            "message_id": self.new_message_id(chat_id),
            "from": sender,
            "chat": dict(chat),
            "date": int(time.time()),
            **fields,
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    # -- button presses -----------------------------------------------------------------------

    def new_callback_id(self) -> str:
        self._callback_counter += 1
        return str(4_200_000_000_000_000_000 + self._callback_counter * 7919)

    def pressed_message(self, chat_id: int, message_id: int | None) -> JSONDict:
        """The message under a pressed keyboard, or Telegram's InaccessibleMessage if gone."""
        message = self.messages.get((chat_id, message_id)) if message_id is not None else None
        if message is None:
            # date 0 tells PTB the message is gone.
            message = {"message_id": message_id or 0, "chat": dict(self.chats[chat_id]), "date": 0}
        return message
