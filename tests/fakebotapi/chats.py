"""Chats as a test sees them: a resident's private chat and the group chats the bot is in.

A chat view sends what a person would send (through :mod:`tests.fakebotapi.builders`) and
reads what the bot sent to that chat, waiting for exactly the expected number of messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tests.fakebotapi import builders
from tests.fakebotapi.builders import OWN_ID, _Own
from tests.fakebotapi.records import SentMessage
from tests.fakebotapi.wire import JSONDict

if TYPE_CHECKING:
    from tests.fakebotapi.server import FakeBotApi


def find_button(records: Iterable[SentMessage], label: str, where: str) -> tuple[SentMessage, str]:
    seen: list[str] = []
    for record in records:
        if record.deleted:
            continue
        for text, data in record.inline_buttons:
            if data is not None and (text == label or data == label):
                return record, data
        if record.buttons():
            seen.append(f"  #{record.message_id}: {record.buttons()}")
    hint = "\n".join(seen[-8:]) or "  (no message with a keyboard)"
    raise AssertionError(f"no inline button {label!r} in {where}; keyboards seen:\n{hint}")


class ChatView:
    """What one chat shows: shared by private chats (FakeUser) and groups (FakeGroup)."""

    def __init__(self, api: FakeBotApi, chat_id: int) -> None:
        self.api = api
        self.chat_id = chat_id
        self._mark = 0

    @property
    def inbox(self) -> list[SentMessage]:
        """Every message the bot sent to this chat, deleted ones included (flagged)."""
        return [record for record in self.api.sent if record.chat_id == self.chat_id]

    def last(self) -> SentMessage:
        inbox = self.inbox
        if not inbox:
            raise AssertionError(
                f"the bot has sent nothing to chat {self.chat_id}\n{self.api.describe()}"
            )
        return inbox[-1]

    @property
    def current_keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard the user currently sees (latest keyboard/remove_keyboard wins)."""
        for record in reversed(self.inbox):
            markup = record.reply_markup or {}
            if "keyboard" in markup:
                return markup
            if "remove_keyboard" in markup:
                return None
        return None

    def _mark_now(self) -> None:
        self._mark = len(self.inbox)

    async def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Waits for exactly ``count`` messages after the mark and moves the mark past them.

        Returning exactly ``count`` (not "everything so far") keeps tests deterministic when the
        bot sends several messages in a burst; later messages are returned by the next wait.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            inbox = self.inbox
            if len(inbox) - self._mark >= count:
                new = inbox[self._mark : self._mark + count]
                self._mark += count
                return new
            if loop.time() >= deadline:
                got = inbox[self._mark :]
                shown = "\n".join(f"  {record}" for record in got) or "  (none)"
                raise AssertionError(
                    f"chat {self.chat_id}: expected {count} new message(s) within {timeout}s, "
                    f"got {len(got)}:\n{shown}\n{self.api.describe()}"
                )
            await asyncio.sleep(0.01)

    async def reply_after(
        self, send: Callable[[], int], count: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        self._mark_now()
        send()
        return await self.wait_for_messages(count, timeout)

    async def assert_no_new_messages(self, within: float = 0.3) -> None:
        """Silence can only be checked by waiting; keep ``within`` short."""
        await asyncio.sleep(within)
        new = self.inbox[self._mark :]
        if new:
            shown = "\n".join(f"  {record}" for record in new)
            raise AssertionError(f"chat {self.chat_id}: unexpected new message(s):\n{shown}")


class FakeUser(ChatView):
    """A Telegram user in a private chat with the bot (chat_id == user_id)."""

    def __init__(
        self,
        api: FakeBotApi,
        user_id: int,
        first_name: str,
        last_name: str | None,
        language_code: str | None,
        username: str | None,
    ) -> None:
        super().__init__(api, user_id)
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username
        self.callback_answers: list[dict[str, Any]] = []
        self._answers_by_update: dict[int, dict[str, Any]] = {}

    @property
    def user_dict(self) -> JSONDict:
        user: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat_dict(self) -> JSONDict:
        chat: JSONDict = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    # -- what the user sends ------------------------------------------------------------------

    def _send(self, fields: JSONDict) -> int:
        self._mark_now()
        return self.api._user_message(self, self.chat_id, fields)

    def send_text(self, text: str) -> int:
        return self._send(builders.text_fields(text))

    def send_photo(self, caption: str | None = None, content: bytes | None = None) -> int:
        return self._send(builders.photo_fields(self.api.files, caption, content))

    def send_sticker(self, emoji: str = "👍") -> int:
        return self._send(builders.sticker_fields(self.api.files, emoji))

    def send_voice(self, duration: int = 3, content: bytes | None = None) -> int:
        return self._send(builders.voice_fields(self.api.files, duration, content))

    def send_document(
        self,
        file_name: str = "giay-to.pdf",
        content: bytes | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        return self._send(
            builders.document_fields(self.api.files, file_name, content, mime_type, caption)
        )

    def send_location(self, latitude: float, longitude: float) -> int:
        return self._send(builders.location_fields(latitude, longitude))

    def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | _Own | None = OWN_ID,
    ) -> int:
        """``user_id`` defaults to the sender: that is how Telegram marks a verified own number."""
        return self._send(
            builders.contact_fields(self.user_id, phone_number, first_name, last_name, user_id)
        )

    def press(self, label_or_data: str, message: SentMessage | None = None) -> int:
        records = [message] if message is not None else list(reversed(self.inbox))
        where = f"message #{message.message_id}" if message else f"chat {self.chat_id}"
        record, data = find_button(records, label_or_data, where)
        self._mark_now()
        return self.api._press(self, record.chat_id, record.message_id, data)

    def press_raw(self, data: str, message_id: int | None = None) -> int:
        """Stale or forged callbacks: any data, any (even deleted or never existing) message."""
        if not 1 <= len(data.encode()) <= 64:
            raise ValueError("Telegram only delivers callback data of 1-64 bytes")
        if message_id is None:
            alive = [record for record in self.inbox if not record.deleted]
            message_id = alive[-1].message_id if alive else None
        self._mark_now()
        return self.api._press(self, self.chat_id, message_id, data)

    def answer_for(self, update_id: int) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for the press that produced ``update_id``."""
        return self._answers_by_update.get(update_id)

    def record_answer(self, update_id: int, answer: dict[str, Any]) -> None:
        """Called by the server when the bot answers one of this user's presses."""
        self.callback_answers.append(answer)
        self._answers_by_update[update_id] = answer

    def block(self, notify: bool = False) -> None:
        self.api.block(self.user_id, notify=notify)

    def unblock(self, notify: bool = False) -> None:
        self.api.unblock(self.user_id, notify=notify)


class FakeGroup(ChatView):
    """A group/supergroup the bot is in, e.g. the staff chat; members are FakeUsers."""

    def __init__(self, api: FakeBotApi, chat_id: int, title: str, chat_type: str) -> None:
        super().__init__(api, chat_id)
        self.title = title
        self.chat_type = chat_type

    @property
    def chat_dict(self) -> JSONDict:
        return {"id": self.chat_id, "type": self.chat_type, "title": self.title}

    def send_text(self, user: FakeUser, text: str) -> int:
        self._mark_now()
        return self.api._user_message(user, self.chat_id, builders.text_fields(text))

    def press(self, user: FakeUser, label_or_data: str, message: SentMessage | None = None) -> int:
        records = [message] if message is not None else list(reversed(self.inbox))
        where = f"message #{message.message_id}" if message else f"chat {self.chat_id}"
        record, data = find_button(records, label_or_data, where)
        self._mark_now()
        return self.api._press(user, record.chat_id, record.message_id, data)
