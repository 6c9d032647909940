"""A `Reply` as Telegram messages: text split to Telegram's length, buttons as keyboards."""

from __future__ import annotations

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

from bot.domain.messages import Reply
from bot.domain.textnorm import split_text


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
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
