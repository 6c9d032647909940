"""A resident talks to the real Zalo channel: signed webhook events in, Zalo API calls out,
through the fake Zalo server (tests/fakezalo.py)."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from bot.app import Services
from bot.clock import ManualClock
from bot.config import Settings
from handlers.zalo import ZaloChannel
from storage.db import Database
from storage.zalo import ZaloEventRepository
from tests.fakezalo import APP_ID, FakeZalo
from tests.zalo_e2e import channel, fake, running_zalo, services, step  # noqa: F401 - fixtures

CONCERN = "Đèn chiếu sáng hẻm 48 Tân Hóa hư hơn một tháng, tối đi lại rất nguy hiểm."


async def test_a_resident_completes_the_whole_intake_on_zalo(
    fake: FakeZalo, channel: ZaloChannel, database: Database
) -> None:
    lan = fake.user("7300000000000000001", "Lan")
    # Nobody on Zalo types /start: the first message, whatever it says, greets.
    greeting, consent = await step(channel, lan, lambda: lan.send_text("Chào phường"))
    assert "Xin chào" in greeting.text and greeting.template is None
    assert [title for title, _ in consent.buttons()] == ["Tôi đồng ý", "Không đồng ý, tôi gửi ẩn danh"]
    assert consent.text.endswith("1. Tôi đồng ý\n2. Không đồng ý, tôi gửi ẩn danh")
    await step(channel, lan, lambda: lan.press("Tôi đồng ý"))
    intro, areas = await step(channel, lan, lambda: lan.press("Gửi ý kiến mới"))
    assert "Hội trường UBND phường Phú Thọ" in intro.text
    assert ("Khu phố 1", areas.buttons()[0][1]) == areas.buttons()[0]
    # The numbered choices are a fallback the dialogue accepts: "1" is Khu phố 1.
    (groups,) = await step(channel, lan, lambda: lan.send_text("1"))
    assert "Tổ dân phố 1 (hẻm 48 Tân Hóa)" in groups.text
    (topics,) = await step(channel, lan, lambda: lan.press("Tổ dân phố 1"))
    # Eleven topics: more than a Zalo template holds, so only the numbered list.
    assert topics.template is None and "\n2. Hẻm, đường sá, đèn chiếu sáng" in topics.text
    (ask_text,) = await step(channel, lan, lambda: lan.send_text("2"))
    assert "viết nội dung" in ask_text.text
    (ask_photo,) = await step(channel, lan, lambda: lan.send_text(CONCERN))
    assert ask_photo.buttons()[0][0] == "Bỏ qua"
    (more,) = await step(channel, lan, lambda: lan.send_image("https://photo.zalo.example/hem48.jpg"))
    assert "1/5" in more.text
    (ask_location,) = await step(channel, lan, lambda: lan.press("Xong"))
    # No "share location" button on Zalo: the text, and the skip button.
    assert "vị trí" in ask_location.text and [t for t, _ in ask_location.buttons()] == ["Bỏ qua vị trí"]
    skipped, form, choices = await step(channel, lan, lambda: lan.press("Bỏ qua vị trí"))
    assert skipped.text == "Không kèm vị trí."
    assert form.template_type == "request_user_info"
    element = form.template["elements"][0]  # type: ignore[index]
    assert element["title"] == "📱 Chia sẻ số điện thoại" and "số điện thoại" in element["subtitle"]
    assert choices.text == "1. Gửi ẩn danh" and choices.buttons()[0][0] == "Gửi ẩn danh"
    thanks, summary = await step(channel, lan, lambda: lan.submit_info("Nguyễn Thị Lan", "84903123456"))
    assert "+84903***456" in summary.text and "0903123456" not in summary.text
    assert "Ảnh: 1" in summary.text
    receipt, _menu = await step(channel, lan, lambda: lan.press("Gửi ý kiến"))
    assert "Mã theo dõi: TT-0001" in receipt.text

    row = await database.fetch_one("SELECT * FROM concerns")
    assert row["code"] == "TT-0001" and row["area_id"] == "kp1-t1" and row["topic_id"] == "hem-chieu-sang"
    assert row["text"] == CONCERN and row["contact_name"] == "Nguyễn Thị Lan" and row["phone_verified"] == 1
    assert row["latitude"] is None
    photo = await database.fetch_one("SELECT file_ref FROM concern_photos")
    assert photo["file_ref"] == "https://photo.zalo.example/hem48.jpg"
    resident = await database.fetch_one("SELECT channel, channel_user_id FROM residents")
    assert (resident["channel"], resident["channel_user_id"]) == ("zalo", lan.user_id)
    # Every message went to the resident, none was refused, no refresh token was used twice.
    assert all(call.error == 0 for call in fake.calls)
    assert fake.reused == []


async def test_location_with_either_coordinate_names_and_typed_labels(fake: FakeZalo, channel: ZaloChannel, database: Database) -> None:
    minh = fake.user("7300000000000000002", "Minh")
    await step(channel, minh, lambda: minh.send_text("/start"))
    await step(channel, minh, lambda: minh.send_text("Không đồng ý, tôi gửi ẩn danh"))  # a typed label works
    await step(channel, minh, lambda: minh.send_text("/new"))
    await step(channel, minh, lambda: minh.press("Chung cho cả Phường"))
    await step(channel, minh, lambda: minh.send_text("11"))
    await step(channel, minh, lambda: minh.send_text("Đề nghị có thêm buổi tiếp dân vào tối thứ Năm."))
    await step(channel, minh, lambda: minh.press("Bỏ qua"))
    (wrong,) = (await step(channel, minh, lambda: minh.send_location(95.0, 106.6)))[:1]
    assert "không hợp lệ" in wrong.text
    sent = await step(channel, minh, lambda: minh.send_location(10.7626, 106.6518))
    assert any("Đã nhận vị trí" in m.text for m in sent)
    sent = await step(channel, minh, lambda: minh.press("Gửi ẩn danh"))
    assert any("Vị trí: 10.76260, 106.65180" in m.text for m in sent)
    await step(channel, minh, lambda: minh.press("Gửi ý kiến"))
    row = await database.fetch_one("SELECT latitude, longitude, contact_phone FROM concerns")
    assert (row["latitude"], row["longitude"], row["contact_phone"]) == (10.7626, 106.6518, None)

    hoa = fake.user("7300000000000000003", "Hoa")
    await step(channel, hoa, lambda: hoa.send_text("/start"))
    await step(channel, hoa, lambda: hoa.press("Tôi đồng ý"))
    await step(channel, hoa, lambda: hoa.press("Gửi ý kiến mới"))
    await step(channel, hoa, lambda: hoa.press("Chung cho cả Phường"))
    await step(channel, hoa, lambda: hoa.send_text("5"))
    await step(channel, hoa, lambda: hoa.send_text("Nhóm thanh niên tụ tập đua xe lúc nửa đêm ở đường Lãnh Binh Thăng."))
    await step(channel, hoa, lambda: hoa.press("Bỏ qua"))
    sent = await step(channel, hoa, lambda: hoa.send_location(10.761, 106.652, short_names=True))
    assert any("Đã nhận vị trí" in m.text for m in sent)


async def test_stickers_and_files_are_refused_politely_where_text_is_expected(
    fake: FakeZalo, channel: ZaloChannel, database: Database
) -> None:
    an = fake.user("7300000000000000004", "An")
    await step(channel, an, lambda: an.send_text("alo"))
    await step(channel, an, lambda: an.press("Tôi đồng ý"))
    await step(channel, an, lambda: an.press("Gửi ý kiến mới"))
    await step(channel, an, lambda: an.press("Khu phố 3"))
    await step(channel, an, lambda: an.press("Tổ dân phố 8"))
    await step(channel, an, lambda: an.send_text("5"))
    (reply,) = await step(channel, an, an.send_sticker)
    assert "bằng chữ" in reply.text
    (reply,) = await step(channel, an, an.send_file)
    assert "bằng chữ" in reply.text
    (reply,) = await step(channel, an, lambda: an.send_text("quá " * 700))
    assert "vượt quá giới hạn 2000" in reply.text
    # A forged button payload is only a stale or invalid button to the dialogue.
    replies = await step(channel, an, lambda: an.send_text("#dt:1:c:yes"))
    assert "bước đã qua" in replies[0].text or "không hợp lệ" in replies[0].text
    assert await database.fetch_one("SELECT * FROM concerns") is None


async def test_follow_greets_and_unfollow_and_echoes_are_ignored(fake: FakeZalo, channel: ZaloChannel, database: Database) -> None:
    binh = fake.user("7300000000000000005", "Bình")
    greeting, consent = await step(channel, binh, binh.follow)
    assert "Xin chào" in greeting.text and consent.buttons()
    # The OA's own messages come back as oa_send_* events; deliveries and reads too.
    for name in ("oa_send_text", "user_seen_message", "user_received_message", "unfollow"):
        event = binh.event(name, {"text": "hello"} if name == "oa_send_text" else None)
        assert await step(channel, binh, lambda event=event: fake.post(event)) == []
    rows = await database.fetch_all("SELECT event_key FROM zalo_events")
    assert [row["event_key"].split(":")[0] for row in rows] == ["follow"]


async def test_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    fake: FakeZalo, channel: ZaloChannel, database: Database
) -> None:
    eve = fake.user("7300000000000000006", "Eve")
    event = eve.event("user_send_text", {"text": "/start"})
    raw = json.dumps(event).encode()
    good = fake.sign(raw, event["timestamp"])
    assert await fake.post(event, signature=None) == 401
    assert await fake.post(event, signature="mac=" + "0" * 64) == 401
    assert await fake.post(event, signature="mac=" + good[4:].upper()[:-1]) == 401
    assert await fake.post(event, signature=fake.sign(raw, event["timestamp"], secret="not-the-oa-secret")) == 401
    # Signed for another timestamp than the event's: refused.
    assert await fake.post(event, signature=fake.sign(raw, str(int(event["timestamp"]) + 1))) == 401
    # A valid signature over a different body: refused.
    tampered = {**event, "message": {**event["message"], "text": "/delete"}}
    assert await fake.post(tampered, signature=good) == 401
    await channel.settled()
    assert eve.inbox == []
    assert await database.fetch_one("SELECT * FROM zalo_events") is None
    assert await database.fetch_one("SELECT * FROM residents") is None
    # Zalo's empty probe when the webhook URL is registered is accepted, and does nothing.
    async with aiohttp.ClientSession() as session:
        async with session.post(fake.webhook_url, data=b"{}", headers={"Content-Type": "application/json"}) as response:
            assert response.status == 200
        async with session.post(fake.webhook_url, data=b"not json") as response:
            assert response.status == 400
    assert await database.fetch_one("SELECT * FROM zalo_events") is None
    # The same event, properly signed, goes through.
    greeting, _ = await step(channel, eve, lambda: fake.post(event))
    assert "Xin chào" in greeting.text


async def test_a_duplicate_msg_id_is_handled_once(fake: FakeZalo, channel: ZaloChannel, database: Database) -> None:
    cuong = fake.user("7300000000000000007", "Cường")
    first = cuong.event("user_send_text", {"text": "xin chào"}, msg_id="dup-1")
    statuses = await asyncio.gather(*(fake.post(first) for _ in range(3)))
    assert statuses == [200, 200, 200]
    await channel.settled()
    assert len(cuong.inbox) == 2  # the greeting and the consent, once
    assert await step(channel, cuong, lambda: fake.post(first)) == []
    rows = await database.fetch_all("SELECT event_key, handled_at, body FROM zalo_events")
    assert [(r["event_key"], r["body"]) for r in rows] == [("msg:dup-1", "")]  # handled: the words are not kept
    assert rows[0]["handled_at"] is not None


async def test_events_of_one_resident_are_handled_in_order(fake: FakeZalo, channel: ZaloChannel) -> None:
    dung = fake.user("7300000000000000008", "Dũng")
    await step(channel, dung, lambda: dung.send_text("/start"))
    await step(channel, dung, lambda: dung.press("Tôi đồng ý"))
    events = [dung.event("user_send_text", {"text": text}) for text in ("/new", "1", "1", "2")]
    for event in events:  # sent back to back, without waiting for the bot
        assert await fake.post(event) == 200
    await channel.settled()
    assert "viết nội dung" in dung.inbox[-1].text


async def test_events_not_handled_before_a_stop_are_handled_at_the_next_start(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services, meeting: object
) -> None:
    gia = fake.user("7300000000000000009", "Gia")
    event = gia.event("user_send_text", {"text": "xin chào"})
    fake.last_interaction[gia.user_id] = clock.now()
    async with database.transaction() as connection:  # received, answered 200, then the process died
        await ZaloEventRepository(connection).add("msg:" + event["message"]["msg_id"], gia.user_id, json.dumps(event), clock.now())
    async with running_zalo(settings, fake, database, clock, services.router.handle) as running:
        await running.settled()
        assert "Xin chào" in gia.inbox[0].text
    row = await database.fetch_one("SELECT handled_at FROM zalo_events")
    assert row["handled_at"] is not None


async def test_a_refused_contact_form_falls_back_to_text(fake: FakeZalo, channel: ZaloChannel) -> None:
    fake.refused_templates.add("request_user_info")
    hai = fake.user("7300000000000000010", "Hải")
    await step(channel, hai, lambda: hai.send_text("/start"))
    await step(channel, hai, lambda: hai.press("Tôi đồng ý"))
    await step(channel, hai, lambda: hai.press("Gửi ý kiến mới"))
    await step(channel, hai, lambda: hai.press("Chung cho cả Phường"))
    await step(channel, hai, lambda: hai.send_text("11"))
    await step(channel, hai, lambda: hai.send_text("Đề nghị sửa lại bảng tin của khu phố, chữ đã mờ hết."))
    await step(channel, hai, lambda: hai.press("Bỏ qua"))
    sent = await step(channel, hai, lambda: hai.press("Bỏ qua vị trí"))
    assert [m.template_type for m in sent] == [None, None, "buttons"]
    assert "Chia sẻ số điện thoại" in sent[1].text
    # Typing the name and number still works.
    await step(channel, hai, lambda: hai.send_text("Trần Văn Hải"))
    (_, summary) = await step(channel, hai, lambda: hai.send_text("0912 345 678"))
    assert "Trần Văn Hải, +84912***678" in summary.text


async def test_the_app_id_is_part_of_the_signature(fake: FakeZalo, channel: ZaloChannel) -> None:
    kim = fake.user("7300000000000000011", "Kim")
    event = kim.event("user_send_text", {"text": "xin chào"})
    raw = json.dumps(event).encode()
    from handlers.zalo.events import expected_mac

    other_app = "mac=" + expected_mac(APP_ID + "0", raw, event["timestamp"], "oa-secret-key-for-tests-0123456789")
    assert await fake.post(event, signature=other_app) == 401
