"""A resident talks to the real python-telegram-bot Application through the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Secrets, Settings
from bot.domain.messages import Inbound, Reply
from bot.resident.dialogue import Intake
from handlers.telegram.channel import TelegramChannel
from storage.db import Database
from tests import flows
from tests.e2e import running_channel, settings_for, step
from tests.fakebotapi import FakeBotApi, FakeUser


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(settings: Settings, api: FakeBotApi, database: Database, clock: ManualClock, meeting) -> AsyncIterator[None]:
    services = build_services(settings, database, clock)
    async with running_channel(settings, api, services.router.handle):
        yield


async def start_and_consent(user: FakeUser) -> None:
    # The greeting and the consent question come as one message, as do the thanks and the menu.
    welcome = await flows.start(user)
    assert "Xin chào" in welcome.text and "dữ liệu cá nhân" in welcome.text
    assert [label for label, _ in welcome.buttons()] == ["Tôi đồng ý", "Không đồng ý, tôi gửi ẩn danh"]
    menu = await flows.agree(user)
    assert "Cảm ơn" in menu.text and menu.buttons()


async def test_whole_flow_with_photo_location_and_contact(api: FakeBotApi, bot: None, database: Database) -> None:
    lan = api.user(7001, first_name="Lan", last_name="Nguyễn")
    await start_and_consent(lan)
    areas = await flows.new_concern(lan)
    assert "Hội trường UBND phường Phú Thọ" in areas.text
    assert areas.reply_markup and "inline_keyboard" in areas.reply_markup
    await flows.choose_area_and_topic(lan, "Khu phố 1", "Tổ dân phố 1 (hẻm 48 Tân Hóa)", "Hẻm, đường sá, đèn chiếu sáng")
    await flows.write_text(lan, "Đèn chiếu sáng hẻm 48 Tân Hóa hư hơn một tháng, tối đi lại rất nguy hiểm.")
    (more,) = await step(lan, lambda: lan.send_photo(caption=None), 1)
    assert "1/5" in more.text
    (location_prompt,) = await step(lan, lambda: lan.press("Xong, sang bước tiếp"), 1)
    keyboard = lan.current_keyboard
    assert keyboard is not None and keyboard["keyboard"][0][0].get("request_location") is True
    # The thanks for the location tops the contact question, whose keyboard replaces the old one.
    (contact_prompt,) = await step(lan, lambda: lan.send_location(10.7626, 106.6518), 1)
    assert "số điện thoại" in contact_prompt.text
    assert lan.current_keyboard is not None and lan.current_keyboard["keyboard"][0][0].get("request_contact")
    assert contact_prompt.reply_markup["keyboard"][0][0].get("request_contact") is True
    _, summary = await step(lan, lambda: lan.send_contact("+84 903 123 456", "Lan", "Nguyễn"), 2)
    assert "+84903***456" in summary.text and "0903123456" not in summary.text
    receipt = await flows.confirm(lan)
    assert "Mã theo dõi: TT-0001" in receipt.text

    row = await database.fetch_one("SELECT * FROM concerns")
    assert row["code"] == "TT-0001" and row["area_id"] == "kp1-t1" and row["phone_verified"] == 1
    assert row["contact_name"] == "Nguyễn Lan" and row["latitude"] == 10.7626
    photo = await database.fetch_one("SELECT file_ref FROM concern_photos")
    assert photo["file_ref"]  # Telegram's file_id of the largest size
    # Every pressed button was answered and its keyboard taken off the message.
    assert all(call.status == 200 for call in api.calls_of("answerCallbackQuery"))
    assert len(lan.callback_answers) == 7
    assert len(api.calls_of("editMessageReplyMarkup")) == 7


async def test_reply_keyboard_label_typed_as_text_works(api: FakeBotApi, bot: None) -> None:
    minh = api.user(7002, first_name="Minh")
    await start_and_consent(minh)
    await flows.open_concern(minh, "Chung cho cả Phường Phú Thọ", group=None, topic="Vấn đề khác")
    await flows.write_text(minh, "Đề nghị có thêm buổi tiếp dân vào tối thứ Năm.")
    await flows.skip_photos(minh)
    # "Bỏ qua vị trí" is a reply-keyboard button: Telegram sends its label as text.
    (contact_prompt,) = await step(minh, lambda: minh.send_text("Bỏ qua vị trí"), 1)
    assert "số điện thoại" in contact_prompt.text


async def test_bad_input_through_telegram(api: FakeBotApi, bot: None, database: Database) -> None:
    hoa = api.user(7003, first_name="Hoa")
    await start_and_consent(hoa)
    await flows.new_concern(hoa)
    await step(hoa, lambda: hoa.press("Khu phố 3"), 1)
    stale_area = hoa.last()
    stale_data = stale_area.buttons()[0][1] or ""
    await step(hoa, lambda: hoa.press("Tổ dân phố 8"), 1)
    await step(hoa, lambda: hoa.press("An ninh trật tự"), 1)
    (reply,) = await step(hoa, hoa.send_sticker, 1)
    assert "bằng chữ" in reply.text
    (reply,) = await step(hoa, hoa.send_voice, 1)
    assert "bằng chữ" in reply.text
    (reply,) = await step(hoa, hoa.send_document, 1)
    assert "bằng chữ" in reply.text
    (reply,) = await step(hoa, lambda: hoa.send_text("quá " * 700), 1)
    assert "vượt quá giới hạn 2000" in reply.text
    (reply,) = await step(hoa, lambda: hoa.send_text("🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂"), 1)
    assert "cần có chữ" in reply.text
    # Each refusal tops the step's prompt, shown again in the same message.
    (stale,) = await step(hoa, lambda: hoa.press_raw(stale_data, stale_area.message_id), 1)
    assert "bước đã qua" in stale.text and "viết nội dung" in stale.text
    (forged,) = await step(hoa, lambda: hoa.press_raw("g:wdy:1"), 1)
    assert "bước đã qua" in forged.text or "không hợp lệ" in forged.text
    (junk,) = await step(hoa, lambda: hoa.press_raw("\u00ff" * 32), 1)
    assert "không hợp lệ" in junk.text
    (helped,) = await step(hoa, lambda: hoa.send_text("/help"), 1)
    assert "/status" in helped.text and "viết nội dung" in helped.text
    (reply,) = await step(hoa, lambda: hoa.send_text("Nhóm thanh niên tụ tập đua xe lúc nửa đêm."), 1)
    assert "ảnh" in reply.text
    assert await database.fetch_one("SELECT * FROM concerns") is None


async def test_flood_gets_one_polite_answer(
    api: FakeBotApi, settings: Settings, database: Database, clock: ManualClock, meeting
) -> None:
    # The lowest flood limit: its replies stay within a private chat's burst, which
    # handlers/telegram/limits.py would otherwise pace at one a second.
    limit = 5
    settings = settings.model_copy(update={"limits": settings.limits.model_copy(update={"messages_per_minute": limit})})
    services = build_services(settings, database, clock)
    async with running_channel(settings, api, services.router.handle):
        tuan = api.user(7004, first_name="Tuấn")
        for _ in range(limit + 10):
            tuan.send_text("alo alo")
        expected = limit + 1  # a hint with the menu for each accepted message, and one warning
        await api.wait_until(lambda: len(tuan.inbox) >= expected, timeout=30)
        await asyncio.sleep(0.3)
    texts = [m.text or "" for m in tuan.inbox]
    assert len(texts) == expected
    assert sum("quá nhanh" in t for t in texts) == 1


async def test_unknown_error_is_logged_with_update_id_and_user_gets_an_apology(
    api: FakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(inbound: Inbound) -> list[Reply]:
        raise RuntimeError("database on fire")

    async with running_channel(settings, api, broken):
        an = api.user(7005, first_name="An")
        sent: list[int] = []
        with caplog.at_level(logging.ERROR):
            (apology,) = await step(an, lambda: sent.append(an.send_text("xin chào")) or sent[-1], 1)
    assert "Xin lỗi" in apology.text
    record = next(r for r in caplog.records if "error while handling update" in r.getMessage())
    assert record.getMessage() == f"error while handling update {sent[0]}"
    assert record.exc_info and "database on fire" in str(record.exc_info[1])


async def test_commands_menu_is_published_in_both_languages(api: FakeBotApi, bot: None) -> None:
    await api.wait_until(lambda: len(api.calls_of("setMyCommands")) == 2)
    vi = api.my_commands()
    en = api.my_commands(language_code="en")
    assert [c["command"] for c in vi][:2] == ["new", "my"]
    assert vi[0]["description"] == "Gửi ý kiến mới" and en[0]["description"] == "Send a new concern"
    # What /help lists, the menu offers too.
    assert {"mydata", "unsubscribe"} <= {c["command"] for c in vi}


async def test_group_chats_are_ignored(api: FakeBotApi, bot: None) -> None:
    group = api.group(-100555, "Nhóm cư dân")
    member = api.user(7006, first_name="Bình")
    group.send_text(member, "/start")
    await group.assert_no_new_messages(0.5)


async def test_english_resident(api: FakeBotApi, bot: None) -> None:
    john = api.user(7007, first_name="John", language_code="en")
    await start_and_consent(john)
    (menu,) = await step(john, lambda: john.send_text("/language en"), 1)
    assert menu.text.startswith("Switched to English.")
    assert ("📝 Send a new concern", "g:new:") in menu.buttons()


async def test_manual_clock_is_what_the_bot_uses(api: FakeBotApi, bot: None, clock: ManualClock, database: Database) -> None:
    an = api.user(7008, first_name="An")
    await start_and_consent(an)
    row = await database.fetch_one("SELECT at FROM consents")
    assert row["at"] == clock.now().isoformat()


def message_update(user: FakeUser, update_id: int, text: str) -> dict[str, object]:
    message: dict[str, object] = {"message_id": update_id, "date": 1_700_000_000, "chat": user.chat_dict, "from": user.user_dict, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


async def test_hostile_and_unknown_updates_never_crash(api: FakeBotApi, bot: None, database: Database) -> None:
    eve = api.user(7010, first_name="Eve")
    edited = message_update(eve, 0, "sửa tin")
    api.push_update({"edited_message": edited["message"]})
    api.push_update({"channel_post": {"message_id": 5, "date": 1_700_000_000, "chat": {"id": -100777, "type": "channel", "title": "Kênh"}, "text": "tin kênh"}})
    api.push_update({"poll": {"id": "p1", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}})
    eve.press_raw("\u0000\u00ff" * 16, message_id=999_999)
    eve.send_text("\u202e\u200b\u2066" + "ư" * 4000)
    eve.send_text("\u200b" * 50)
    eve.send_text("/" + "x" * 300)
    eve.send_text("/start@doithoai_test_bot")
    await api.wait_until(lambda: any("Xin chào" in (m.text or "") for m in eve.inbox), timeout=15)
    assert api.server_errors == []
    assert await database.fetch_one("SELECT * FROM concerns") is None


async def test_webhook_refuses_calls_without_the_secret(
    api: FakeBotApi, settings: Settings, intake: Intake, meeting, unused_tcp_port: int
) -> None:
    webhook = settings.telegram.webhook.model_copy(update={"listen": "127.0.0.1", "port": unused_tcp_port, "path": "tg"})
    configured = settings_for(settings, api, mode="webhook", webhook=webhook)
    channel = TelegramChannel(configured, Secrets(api.token, "a-long-webhook-secret"), intake.handle)
    await channel.start()
    try:
        (set_webhook,) = api.calls_of("setWebhook")
        assert set_webhook.params["secret_token"] == "a-long-webhook-secret"
        assert set_webhook.params["url"] == configured.telegram.webhook.url
        lan = api.user(7011, first_name="Lan")
        url = f"http://127.0.0.1:{unused_tcp_port}/tg"
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(url, json=message_update(lan, 1, "/start"), headers=headers) as response:
                    assert response.status == 403
            await asyncio.sleep(0.3)
            assert lan.inbox == []
            good = {"X-Telegram-Bot-Api-Secret-Token": "a-long-webhook-secret"}
            async with session.post(url, json=message_update(lan, 2, "/start"), headers=good) as response:
                assert response.status == 200
        await lan.wait_for_messages(1)
        assert "Xin chào" in (lan.inbox[0].text or "")
    finally:
        await channel.stop()
