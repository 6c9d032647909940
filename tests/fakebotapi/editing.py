"""The Bot API methods that act on a message already in a chat: edits, deletion, and the
answer to a button pressed under it.

Telegram's rules copied here: an edit without ``reply_markup`` removes the inline keyboard; an
edit that changes nothing answers 400 "message is not modified"; a second
``answerCallbackQuery`` for the same press answers 400.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakebotapi.formatting import caption, message_text
from tests.fakebotapi.markup import parse_markup
from tests.fakebotapi.records import FileUpload, SentMessage
from tests.fakebotapi.state import ChatState
from tests.fakebotapi.wire import (
    NOT_MODIFIED,
    QUERY_INVALID,
    ApiError,
    Handler,
    JSONDict,
    as_int,
    bad,
)

# What makes two versions of a message different to Telegram.
_CONTENT = ("text", "entities", "caption", "caption_entities", "reply_markup")


class EditingMethods:
    def __init__(self, state: ChatState, bot_id: int) -> None:
        self.state = state
        self.bot_id = bot_id

    def handlers(self) -> dict[str, Handler]:
        return {
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
        }

    def _editable(self, params: dict[str, Any]) -> tuple[JSONDict, SentMessage]:
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self.state.target_chat(params)
        if params.get("message_id") in (None, ""):
            raise bad("message identifier is not specified")
        message_id = as_int(params.get("message_id"), "message_id")
        message = self.state.messages.get((chat["id"], message_id))
        if message is None:
            raise bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise bad("message can't be edited")
        return message, self.state.records[(chat["id"], message_id)]

    def _apply_edit(
        self,
        method: str,
        params: dict[str, Any],
        message: JSONDict,
        record: SentMessage,
        fields: JSONDict,
        markup: dict[str, Any] | None,
        raw_text: str | None,
    ) -> JSONDict:
        """Telegram drops the inline keyboard unless the edit repeats it; reply keyboards stay.

        ``fields`` replaces text/caption together with their entities; a ``None`` value removes
        the key (an emptied caption).
        """
        edited = dict(message)
        for key in ("text", "caption"):
            if key in fields:
                edited.pop("entities" if key == "text" else "caption_entities", None)
        for key, value in fields.items():
            if value is None:
                edited.pop(key, None)
            else:
                edited[key] = value
        new_inline = markup if markup is not None and "inline_keyboard" in markup else None
        if new_inline is None:
            edited.pop("reply_markup", None)
        else:
            edited["reply_markup"] = new_inline
        if all(edited.get(key) == message.get(key) for key in _CONTENT):
            raise ApiError(400, NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        message.clear()
        message.update(edited)
        if "text" in fields or "caption" in fields:
            record.text = message.get("text", message.get("caption"))
            record.raw_text = raw_text
            record.parse_mode = params.get("parse_mode")
            record.entities = list(message.get("entities") or message.get("caption_entities") or [])
        if record.reply_markup is None or "inline_keyboard" in record.reply_markup:
            record.reply_markup = new_inline
        record.edits.append({"method": method, **params})
        return message

    def edit_message_text(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        message, record = self._editable(params)
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        fields, raw = message_text(params)
        markup = parse_markup(params)
        return self._apply_edit("editMessageText", params, message, record, fields, markup, raw)

    def edit_message_caption(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> JSONDict:
        message, record = self._editable(params)
        if "text" in message or "location" in message:
            raise bad("there is no caption in the message to edit")
        caption_fields, raw = caption(params)
        fields: JSONDict = {
            "caption": caption_fields.get("caption"),
            "caption_entities": caption_fields.get("caption_entities"),
        }
        markup = parse_markup(params)
        return self._apply_edit("editMessageCaption", params, message, record, fields, markup, raw)

    def edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> JSONDict:
        message, record = self._editable(params)
        markup = parse_markup(params)
        return self._apply_edit(
            "editMessageReplyMarkup", params, message, record, {}, markup, record.raw_text
        )

    def delete_message(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        chat = self.state.resolve_chat(params.get("chat_id"))
        message_id = as_int(params.get("message_id"), "message_id")
        if self.state.messages.pop((chat["id"], message_id), None) is None:
            raise bad("message to delete not found")
        record = self.state.records.get((chat["id"], message_id))
        if record is not None:
            record.deleted = True
        return True

    def answer_callback_query(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        callback = self.state.callbacks.get(str(params.get("callback_query_id", "")))
        if callback is None or callback.answered:
            raise ApiError(400, QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad("MESSAGE_TOO_LONG")
        callback.answered = True
        user = self.state.users.get(callback.user_id)
        if user is not None:
            user.record_answer(callback.update_id, dict(params))
        return True
