"""Bad input gets a clear answer; nothing crashes; nothing partial or duplicated is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.domain.messages import Inbound, InboundKind
from bot.resident.dialogue import Intake
from storage.db import Database
from tests.chat import Chat, submit_concern


async def reach_text_step(chat: Chat) -> None:
    await chat.text("/start")
    await chat.press("Tôi đồng ý")
    await chat.press("Gửi ý kiến mới")
    await chat.press("Chung cho cả")
    await chat.press("Vấn đề khác")


async def test_sticker_where_text_is_expected(lan: Chat, meeting) -> None:
    await reach_text_step(lan)
    replies = await lan.sticker()
    assert "bằng chữ" in replies[0].text
    replies = await lan.text("Bây giờ tôi viết bằng chữ đàng hoàng.")
    assert "ảnh" in replies[0].text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x" * 2001, "vượt quá giới hạn 2000"),
        ("ngắn", "hơi ngắn"),
        ("   \u200b\u200b   \t ", "cần có chữ"),
        ("😡😡😡😡😡😡😡😡😡😡😡", "cần có chữ"),
        ("12345678901234", "cần có chữ"),
    ],
)
async def test_text_limits_get_a_friendly_message(lan: Chat, meeting, text: str, fragment: str) -> None:
    await reach_text_step(lan)
    replies = await lan.text(text)
    assert fragment in replies[0].text
    assert replies[0].buttons == ()


async def test_commands_mid_flow_keep_the_draft(lan: Chat, meeting) -> None:
    await reach_text_step(lan)
    for command in ("/help", "/my", "/privacy", "/status", "/nonsense", "/new", "/start"):
        replies = await lan.text(command)
        assert "viết nội dung ý kiến" in replies[-1].text, command
    replies = await lan.text("Nội dung vẫn tiếp tục được sau các lệnh.")
    assert "ảnh" in replies[0].text


async def test_stale_button_from_an_earlier_step(lan: Chat, meeting) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    old = lan.button("Khu phố 2")
    await lan.press("Khu phố 1")
    replies = await lan.payload(old.payload)
    assert "bước đã qua" in replies[0].text
    assert "Tổ dân phố 1 (hẻm 48 Tân Hóa)" in [b.label for b in replies[-1].all_buttons()]


@pytest.mark.parametrize(
    "payload",
    ["", "garbage", "a:b:c:d", "9999:a:kp1", "g:wd:abc", "g:nope:", "x" * 64, "\x00\x01\x02", "g:lang:fr"],
)
async def test_forged_payloads_get_a_polite_refusal(lan: Chat, meeting, payload: str, database: Database) -> None:
    await reach_text_step(lan)
    replies = await lan.payload(payload)
    assert replies and replies[0].text
    assert await database.fetch_one("SELECT * FROM concerns") is None


async def test_forged_child_area_with_current_version_is_refused(lan: Chat, meeting) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    version = lan.button("Khu phố 1").payload.split(":")[0]
    # kp2-t5 exists, but is not a child of the ward root: not offered here.
    replies = await lan.payload(f"{version}:a:kp2-t5")
    assert "không hợp lệ" in replies[0].text


async def test_confirm_pressed_twice_stores_one_concern(lan: Chat, meeting, database: Database) -> None:
    await submit_concern(lan)
    await lan.press("Gửi ý kiến")  # the same summary's button again
    rows = await database.fetch_all("SELECT * FROM concerns")
    assert len(rows) == 1


async def test_redelivered_event_is_handled_once(lan: Chat, meeting, database: Database) -> None:
    await reach_text_step(lan)
    await lan.text("Một nội dung đủ dài để được nhận.")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.press("Gửi ẩn danh")
    confirm = lan.button("Gửi ý kiến").payload
    first = await lan._send(InboundKind.BUTTON, payload=confirm, event_id="same-event")
    again = await lan._send(InboundKind.BUTTON, payload=confirm, event_id="same-event")
    assert [r.text for r in again] == [r.text for r in first]  # the receipt is sent again, not a new concern
    assert len(await database.fetch_all("SELECT * FROM concerns")) == 1


async def test_flood_gets_one_warning_then_silence(settings, database: Database, clock: ManualClock, meeting) -> None:
    intake = Intake(settings, database, clock)
    chat = Chat(intake, "4004")
    answers = [await chat.text("xin chào") for _ in range(settings.limits.messages_per_minute + 5)]
    warnings = [a for a in answers if a and "quá nhanh" in a[0].text]
    assert len(warnings) == 1
    assert answers[-1] == []
    clock.advance(timedelta(minutes=1, seconds=1))
    assert await chat.text("xin chào") != []


async def test_unsupported_and_text_when_idle_point_to_the_menu(lan: Chat) -> None:
    replies = await lan.sticker()
    assert any("Gửi ý kiến mới" in b.label for b in replies[-1].all_buttons())
    replies = await lan.text("alo")
    assert "/new" in replies[0].text


async def test_contact_of_someone_else_is_refused(lan: Chat, meeting) -> None:
    await reach_text_step(lan)
    await lan.text("Nội dung đủ dài để sang bước sau.")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    replies = await lan.contact("0987654321", "Người khác", owner="99999")
    assert "của chính mình" in replies[0].text


async def test_bad_phone_and_bad_location(lan: Chat, meeting) -> None:
    await reach_text_step(lan)
    await lan.text("Nội dung đủ dài để sang bước sau.")
    await lan.press("Bỏ qua")
    replies = await lan.location(123.0, 500.0)
    assert "không hợp lệ" in replies[0].text
    await lan.press("Bỏ qua vị trí")
    await lan.text("Trần Văn Minh")
    replies = await lan.text("12345")
    assert "chưa đúng" in replies[0].text


async def test_too_many_photos(settings, database, clock, meeting) -> None:
    chat = Chat(Intake(settings, database, clock), "5005")
    await reach_text_step(chat)
    await chat.text("Nội dung đủ dài để sang bước ảnh.")
    for n in range(settings.limits.photos_max):
        await chat.photo(f"p{n}")
    replies = await chat.photo("one-too-many")
    assert "đủ 5 ảnh" in replies[0].text


async def test_unreadable_state_starts_over(lan: Chat, meeting, database: Database) -> None:
    await reach_text_step(lan)
    async with database.transaction() as connection:
        await connection.execute("UPDATE conversations SET state = '{broken'")
    replies = await lan.text("/new")
    assert "Khu phố 1" in [b.label for b in replies[-1].all_buttons()]


async def test_hostile_text_never_crashes(intake: Intake, meeting) -> None:
    hostile = ["\u202eevil\u202c", "\x00\x07\x1b[31m", "\ufeff" * 100, "'; DROP TABLE concerns; --", "a" * 100_000]
    for text in hostile:
        for kind in (InboundKind.TEXT, InboundKind.COMMAND):
            replies = await intake.handle(Inbound(channel="test", user_id="6006", kind=kind, text=text, command=text, args=text))
            assert replies
