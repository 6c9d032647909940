"""A `Reply` as Telegram messages: text split to Telegram's length, buttons as keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import MessageLimit

from bot.domain.evidence import EvidenceKind
from bot.domain.messages import Reply
from bot.domain.textnorm import split_text


def as_messages(replies: Sequence[Reply]) -> list[Reply]:
    """The replies of one turn in as few Telegram messages as say the same.

    Each message is a round trip the resident waits for before the next one is sent, so a
    plain sentence ("Không kèm vị trí.") goes on top of the message after it. What needs a
    message of its own stays one: a file, a message with buttons, and a keyboard removal
    followed by inline buttons (a message carries one keyboard; a new reply keyboard
    replaces the old one by itself).
    """
    messages: list[Reply] = []
    for reply in replies:
        if messages and _joinable(messages[-1], reply):
            first = messages[-1]
            removes = first.remove_keyboard and reply.ask is None
            messages[-1] = replace(reply, text=f"{first.text}\n\n{reply.text}", remove_keyboard=reply.remove_keyboard or removes)
        else:
            messages.append(reply)
    return messages


def _joinable(first: Reply, second: Reply) -> bool:
    if first.document is not None or second.document is not None or first.evidence or second.evidence or first.buttons or first.ask is not None:
        return False
    if first.remove_keyboard and second.buttons and second.ask is None:
        return False
    return len(first.text) + 2 + len(second.text) <= MessageLimit.MAX_TEXT_LENGTH


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    if reply.evidence is not None:  # a photo or document with an answer: uploaded, the text its caption
        upload = InputFile(reply.evidence_content, filename=reply.evidence.filename)
        caption = reply.text[: MessageLimit.CAPTION_LENGTH] or None
        if reply.evidence.kind == EvidenceKind.PHOTO:
            await bot.send_photo(chat_id, upload, caption=caption)
        else:
            await bot.send_document(chat_id, upload, caption=caption)
        return
    if reply.document is not None:
        document = InputFile(reply.document.content, filename=reply.document.filename)
        await bot.send_document(chat_id, document, caption=reply.text[: MessageLimit.CAPTION_LENGTH] or None)
        return
    chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
    for index, chunk in enumerate(chunks):
        markup = to_markup(reply) if index == len(chunks) - 1 else None
        await bot.send_message(chat_id, chunk, reply_markup=markup)


def to_markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if reply.ask is not None:
        # Telegram can ask for a contact or a location only from a reply keyboard; the other
        # choices go on it as plain buttons, whose label the dialogue recognises when typed.
        request = KeyboardButton(
            reply.ask_label or reply.ask,
            request_contact=reply.ask == "contact",
            request_location=reply.ask == "location",
        )
        rows = [[request]] + [[KeyboardButton(b.label) for b in row] for row in reply.buttons]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.buttons:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in reply.buttons]
        )
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None
