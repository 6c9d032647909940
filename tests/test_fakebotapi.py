"""Tests for the fake Bot API itself, driven by the real python-telegram-bot client.

If these fail, every end-to-end test built on the fake is suspect, so they pin the wire
format PTB depends on: envelopes, error mapping, multipart uploads and polling offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server
    # Nothing the server or the bot started may outlive the test.
    current = asyncio.current_task()
    for _ in range(50):
        leftovers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not leftovers:
            break
        await asyncio.sleep(0.01)
    assert not leftovers, f"tasks left running: {leftovers}"


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


@contextlib.asynccontextmanager
async def running_app(
    api: FakeBotApi, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text("echo: " + update.effective_message.text)


async def test_get_me(bot: Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert me.id == api.bot_id
    assert me.username == "doithoai_test_bot"
    assert me.is_bot
    assert api.calls[-1].method == "getMe" and api.calls[-1].status == 200


async def test_envelopes_for_bad_token_and_unknown_method(api: FakeBotApi) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.post(f"{api.base_url}{api.token}/noSuchMethod") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
        # JSON bodies are accepted like Telegram does; method names are case-insensitive.
        api.user(7)
        payload = {"chat_id": 7, "text": "123", "reply_markup": {"remove_keyboard": True}}
        async with session.post(f"{api.base_url}{api.token}/SENDMESSAGE", json=payload) as response:
            body = await response.json()
            assert response.status == 200 and body["ok"] is True
            assert body["result"]["text"] == "123"  # a numeric-looking text stays a string
    assert api.sent[-1].reply_markup == {"remove_keyboard": True}

    wrong = Bot("999:WRONG", base_url=api.base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong.initialize()
    finally:
        await wrong.shutdown()


async def test_echo_through_real_application(api: FakeBotApi) -> None:
    lan = api.user(1001, first_name="Lan")
    seen: list[Update] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"chào {context.args}")

    async with running_app(
        api, CommandHandler("start", start), MessageHandler(filters.TEXT & ~filters.COMMAND, echo)
    ):
        [reply] = await lan.reply_after(lambda: lan.send_text("Đường ngập nước"))
        assert reply.text == "echo: Đường ngập nước"
        assert reply.method == "sendMessage" and reply.chat_id == 1001

        [greeting] = await lan.reply_after(lambda: lan.send_text("/start abc"))
        assert greeting.text == "chào ['abc']"
        message = seen[0].effective_message
        assert message is not None and message.from_user is not None
        assert message.from_user.language_code == "vi"
        assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    assert [m.message_id for m in lan.inbox] == [2, 4]  # ids are shared with the user's messages
    assert api.updates_confirmed_up_to == 2
    assert api.pending_updates == []


async def test_inline_button_round_trip(api: FakeBotApi) -> None:
    user = api.user(2002)

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Có", callback_data="yes"),
                    InlineKeyboardButton("Không", callback_data="no"),
                ]
            ]
        )
        assert update.effective_message is not None
        await update.effective_message.reply_text("Gửi phản ánh?", reply_markup=keyboard)

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Đã gửi")
        await query.edit_message_text(f"Bạn chọn: {query.data} (tin #{query.message.message_id})")

    async with running_app(api, CommandHandler("hoi", ask), CallbackQueryHandler(answer)):
        [question] = await user.reply_after(lambda: user.send_text("/hoi"))
        assert question.buttons() == [("Có", "yes"), ("Không", "no")]
        update_id = user.press("Có")
        await api.wait_until(lambda: bool(question.edits))
        assert question.text == f"Bạn chọn: yes (tin #{question.message_id})"
        assert question.reply_markup is None  # the edit did not repeat the keyboard
        assert user.callback_answers == [user.answer_for(update_id)]
        assert user.callback_answers[0]["text"] == "Đã gửi"
        with pytest.raises(AssertionError, match="no inline button 'Không'"):
            user.press("Không")
        await user.assert_no_new_messages(within=0.05)


async def test_callback_protocol_errors(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(2003)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(user.chat_id, "x", reply_markup=markup)
    user.press("a")
    user.press_raw("forged:999", message_id=sent.message_id + 50)
    updates = await bot.get_updates()
    first, forged = (u.callback_query for u in updates)
    assert first is not None and forged is not None
    assert first.message is not None and first.message.message_id == sent.message_id
    assert forged.data == "forged:999" and forged.message is not None
    assert forged.message.date.timestamp() == 0  # InaccessibleMessage
    await first.answer()
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await first.answer()
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("x", user.chat_id, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(
            user.chat_id,
            "y",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("B", callback_data="b" * 65)]]
            ),
        )
    with pytest.raises(ValueError):
        user.press_raw("z" * 65)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_errors_map_to_ptb_exceptions(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(3003)
    other = api.user(3004)

    api.fail_next("sendMessage", status=429, retry_after=3)
    # The text depends on PTB_TIMEDELTA, which handlers.telegram.channel opts in to.
    with pytest.raises(RetryAfter, match=r"Retry in (3 seconds|0:00:03)"):
        await bot.send_message(user.chat_id, "a")
    assert api.calls[-1].status == 429

    api.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(user.chat_id, "b")

    api.fail_next("sendMessage", status=502, count=2, chat_id=other.chat_id)
    await bot.send_message(user.chat_id, "c")  # other chat: not affected
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(other.chat_id, "d")
    await bot.send_message(other.chat_id, "e")

    api.block(user.user_id)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(user.chat_id, "f")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "g")
    assert [m.text for m in api.sent] == ["c", "e"]

    api.delay_next("sendMessage", 0.2)
    started = time.monotonic()
    await bot.send_message(other.chat_id, "h")
    assert time.monotonic() - started >= 0.2
    assert other.last().text == "h"


async def test_outage_and_recovery_on_the_same_port(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(3005)
    port = api.port
    await api.stop()
    with pytest.raises(NetworkError):
        await bot.send_message(user.chat_id, "down")
    await api.start()
    assert api.port == port
    await bot.send_message(user.chat_id, "up")
    assert [m.text for m in user.inbox] == ["up"]


async def test_parse_modes(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(4004)
    await bot.send_message(
        user.chat_id,
        "  <b>Mã</b> TT-01 &amp; <a href='https://x.vn'>link</a>\n",
        parse_mode=ParseMode.HTML,
    )
    record = user.last()
    assert record.text == "Mã TT-01 & link"
    assert record.raw_text is not None and record.raw_text.startswith("  <b>")
    assert [(e["type"], e["offset"], e["length"]) for e in record.entities] == [
        ("bold", 0, 2),
        ("text_link", 11, 4),
    ]
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(user.chat_id, "giá < 5 triệu", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)reserved"):
        await bot.send_message(user.chat_id, "Xong.", parse_mode=ParseMode.MARKDOWN_V2)
    await bot.send_message(user.chat_id, r"*Xong*\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert user.last().text == "Xong."
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(user.chat_id, "a" * 4097)


async def test_send_document_keeps_uploaded_bytes(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(5005)
    content = "Biên bản hội nghị\n".encode() + bytes(range(256))
    message = await bot.send_document(
        user.chat_id, document=content, filename="bien-ban.docx", caption="Biên bản"
    )
    record = user.last()
    assert record.method == "sendDocument" and record.text == "Biên bản"
    assert record.document is not None and record.document.uploaded
    assert record.document.filename == "bien-ban.docx"
    assert record.document.content == content
    assert message.document is not None and message.document.file_name == "bien-ban.docx"

    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content

    # Re-sending by file_id is recorded as a reference, with the bytes still available.
    await bot.send_document(user.chat_id, document=message.document.file_id)
    again = user.last().document
    assert again is not None and not again.uploaded and again.content == content

    await bot.send_photo(user.chat_id, photo=b"\xff\xd8\xff fake jpeg", filename="anh.jpg")
    photo = user.last()
    assert photo.photo is not None and photo.photo.content == b"\xff\xd8\xff fake jpeg"
    await bot.send_location(user.chat_id, latitude=10.77, longitude=106.7)
    assert user.last().location == (10.77, 106.7)


async def test_user_updates_parse_in_ptb(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(6006, first_name="Minh", username="minh")
    user.send_photo(caption="Ổ gà", content=b"PHOTO")
    user.send_sticker()
    user.send_voice()
    user.send_document("don.pdf")
    user.send_location(21.0, 105.8)
    user.send_contact("+84901234567", "Minh")
    user.send_contact("+84900000000", "Hàng xóm", user_id=None)
    api.push_update({"some_future_update": {"x": 1}})
    updates = await bot.get_updates()
    messages = [u.message for u in updates[:-1] if u.message is not None]
    photo, sticker, voice, document, location, own, foreign = messages
    assert photo.caption == "Ổ gà" and len(photo.photo) == 3
    assert len({p.file_id for p in photo.photo}) == 3
    assert sticker.sticker is not None and voice.voice is not None
    assert document.document is not None and document.document.file_name == "don.pdf"
    assert location.location is not None and location.location.latitude == 21.0
    assert own.contact is not None and own.contact.user_id == 6006
    assert foreign.contact is not None and foreign.contact.user_id is None
    assert updates[-1].api_kwargs == {"some_future_update": {"x": 1}}
    assert [u.update_id for u in updates] == list(range(1, 9))

    file = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"PHOTO"


async def test_offset_semantics_survive_a_restart(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(7007)
    first = user.send_text("một")
    second = user.send_text("hai")
    # A crashed bot saw both updates but confirmed only the first.
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [second]
    assert api.updates_confirmed_up_to == first

    async with running_app(api, MessageHandler(filters.TEXT, echo)):
        [reply] = await user.wait_for_messages(1)
        assert reply.text == "echo: hai"
    assert api.updates_confirmed_up_to == second

    # Sent while no bot runs: the next Application gets it, and nothing older comes back.
    user.send_text("ba")
    async with running_app(api, MessageHandler(filters.TEXT, echo)):
        [reply] = await user.wait_for_messages(1)
        assert reply.text == "echo: ba"
        await user.assert_no_new_messages(within=0.1)
    assert [m.text for m in user.inbox] == ["echo: hai", "echo: ba"]


async def test_long_poll_returns_on_update_and_newer_poll_wins(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(8008)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    user.send_text("nhanh")
    assert [u.message.text for u in await poll if u.message] == ["nhanh"]
    assert time.monotonic() - started < 3  # well before the 5 s poll timeout

    # A second bot instance (e.g. a restarted process) takes over the long poll.
    async with Bot(api.token, base_url=api.base_url) as second:
        older = asyncio.create_task(bot.get_updates(offset=2, timeout=5))
        await asyncio.sleep(0.05)
        newer = asyncio.create_task(second.get_updates(offset=2, timeout=0))
        with pytest.raises(Conflict, match="(?i)terminated by other getupdates request"):
            await older
        assert await newer == ()


async def test_bot_in_a_subprocess(api: FakeBotApi) -> None:
    user = api.user(9009)
    user.send_text("từ tiến trình khác")
    script = """
import asyncio, sys
from telegram import Bot
async def main():
    async with Bot(sys.argv[1], base_url=sys.argv[2], base_file_url=sys.argv[3]) as bot:
        updates = await bot.get_updates(timeout=1)
        for u in updates:
            await bot.send_message(u.effective_chat.id, "nhận: " + u.message.text)
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
asyncio.run(main())
"""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, api.token, api.base_url, api.base_file_url
    )
    assert await asyncio.wait_for(process.wait(), 20) == 0
    assert user.last().text == "nhận: từ tiến trình khác"
    assert api.pending_updates == [] and api.updates_confirmed_up_to == 1


async def test_commands_and_chat_actions(bot: Bot, api: FakeBotApi) -> None:
    user = api.user(1111, language_code="en")
    await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")])
    await bot.set_my_commands([("start", "Start")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert api.my_commands(language_code="en") == [{"command": "start", "description": "Start"}]
    await bot.delete_my_commands(language_code="en")
    assert api.my_commands(language_code="en") == []
    await bot.send_chat_action(user.chat_id, "typing")
    assert api.chat_actions == [(1111, "typing")]
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    group = api.group(-100123, title="Tổ công tác")
    await bot.send_message(group.chat_id, "Phản ánh mới")
    assert group.last().text == "Phản ánh mới"
    chat = await bot.get_chat(group.chat_id)
    assert chat.title == "Tổ công tác"
