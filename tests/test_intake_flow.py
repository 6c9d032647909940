"""The resident dialogue on its own: no platform, a fixed clock, a real SQLite file."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from bot.clock import ManualClock
from bot.resident.dialogue import Intake
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting


async def test_happy_path_gives_receipt_with_code_date_and_place(lan: Chat, meeting, database: Database) -> None:
    code = await submit_concern(lan)
    assert code == "TT-0001"
    receipt = lan.history[-2].text
    assert "16/03/2026 09:00" in receipt and "Hội trường UBND phường Phú Thọ" in receipt
    row = await database.fetch_one("SELECT * FROM concerns WHERE code = ?", (code,))
    assert (row["area_id"], row["topic_id"], row["status"]) == ("kp1-t1", "hem-chieu-sang", "open")
    assert row["contact_phone"] is None and row["contact_name"] is None
    follower = await database.fetch_one("SELECT role FROM followers WHERE concern_id = ?", (row["id"],))
    assert follower["role"] == "author"


async def test_consent_is_stored_with_time_version_and_text(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    row = await database.fetch_one("SELECT * FROM consents")
    assert row["given"] == 1 and row["text_version"] == "2026-01" and row["purpose"] == "contact"
    assert row["at"].startswith("2026-03-02T02:00")
    assert "họ tên và số điện thoại" in row["text_shown"]


async def test_photos_location_and_verified_contact_are_kept(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 2")
    await lan.press("Tổ dân phố 5")
    await lan.press("Giao thông")
    await lan.text("Xe tải đậu trên vỉa hè đường Hàn Hải Nguyên gây kẹt xe giờ tan trường.")
    await lan.photo("ph-a")
    await lan.photo("ph-b")
    await lan.press("Xong")
    replies = await lan.location(10.7626, 106.6518)
    assert replies[0].remove_keyboard
    assert replies[-1].ask == "contact"
    await lan.contact("0903 123 456", "Lan")
    assert "+84903***456" in lan.last.text
    await lan.press("Gửi ý kiến")
    row = await database.fetch_one("SELECT * FROM concerns")
    assert row["contact_phone"] == "+84903123456" and row["phone_verified"] == 1 and row["contact_name"] == "Lan"
    assert (row["latitude"], row["longitude"]) == (10.7626, 106.6518)
    photos = await database.fetch_all("SELECT file_ref FROM concern_photos ORDER BY position")
    assert [p["file_ref"] for p in photos] == ["ph-a", "ph-b"]


async def test_typed_name_and_phone_are_unverified(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("Môi trường")
    await lan.text("Rác tồn đọng ở góc chợ Thiếc nhiều ngày không ai thu gom.")
    await lan.press("Bỏ qua")
    await lan.text("Bỏ qua vị trí")  # a reply-keyboard button arrives as its label
    await lan.text("Nguyễn Thị Lan")
    await lan.text("090 312 3456")
    await lan.press("Gửi ý kiến")
    row = await database.fetch_one("SELECT * FROM concerns")
    assert row["area_id"] == "phu-tho"
    assert (row["contact_name"], row["contact_phone"], row["phone_verified"]) == ("Nguyễn Thị Lan", "+84903123456", 0)


async def test_without_consent_only_anonymous_is_offered(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Không đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 3")
    await lan.press("Tổ dân phố 8")
    await lan.press("An ninh")
    await lan.text("Tụ tập đua xe lúc nửa đêm trên đường Lãnh Binh Thăng.")
    await lan.press("Bỏ qua")
    replies = await lan.press("Bỏ qua vị trí")
    assert replies[-1].ask is None
    # Someone else's contact, sent anyway, is not stored without consent.
    await lan.contact("0903123456", "Lan")
    await lan.press("Gửi ẩn danh")
    await lan.press("Gửi ý kiến")
    row = await database.fetch_one("SELECT * FROM concerns")
    assert row["contact_phone"] is None


async def test_one_open_meeting_is_chosen_without_asking(lan: Chat, meeting) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    replies = await lan.press("Gửi ý kiến mới")
    assert meeting.title in replies[0].text
    assert "Khu phố 1" in [b.label for b in replies[1].all_buttons()]


async def test_several_open_meetings_are_offered(lan: Chat, database: Database, clock: ManualClock) -> None:
    await create_meeting(database, clock.now(), title="Đối thoại quý I")
    await create_meeting(database, clock.now(), title="Đối thoại khu phố 2", area_id="kp2")
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    replies = await lan.press("Gửi ý kiến mới")
    assert len(replies[0].all_buttons()) == 2
    replies = await lan.press("Đối thoại khu phố 2")
    labels = [b.label for b in replies[-1].all_buttons()]
    assert "Tổ dân phố 5 (đường Hàn Hải Nguyên)" in labels
    assert "⬅️ Quay lại" not in labels  # never above the meeting's own area


async def test_area_back_button_climbs_one_level(lan: Chat, meeting) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 1")
    replies = await lan.press("Quay lại")
    assert "Khu phố 4" in [b.label for b in replies[-1].all_buttons()]


async def test_no_open_meeting_says_so(lan: Chat) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    replies = await lan.press("Gửi ý kiến mới")
    assert "chưa có hội nghị" in replies[0].text


async def test_submission_after_intake_closed_is_refused(lan: Chat, meeting, clock: ManualClock, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("Vấn đề khác")
    await lan.text("Đề nghị bố trí thêm giờ tiếp dân buổi tối cho người đi làm.")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.press("Gửi ẩn danh")
    clock.advance(timedelta(days=11))
    replies = await lan.press("Gửi ý kiến")
    assert "hết hạn nhận ý kiến" in replies[0].text
    assert await database.fetch_one("SELECT * FROM concerns") is None


async def test_half_done_conversation_survives_a_new_process(settings, database: Database, clock, meeting) -> None:
    first = Chat(Intake(settings, database, clock), "2002")
    await first.text("/start")
    await first.press("Tôi đồng ý")
    await first.press("Gửi ý kiến mới")
    await first.press("Khu phố 4")
    # A new Intake on the same database is what a restarted process has.
    second = Chat(Intake(settings, database, clock), "2002")
    second.history = list(first.history)
    await second.press("Tổ dân phố 10")
    await second.press("Thoát nước")
    await second.text("Mưa lớn là nước ngập tới đầu gối ở đường Ông Ích Khiêm.")
    await second.press("Bỏ qua")
    await second.press("Bỏ qua vị trí")
    await second.press("Gửi ẩn danh")
    await second.press("Gửi ý kiến")
    row = await database.fetch_one("SELECT area_id, topic_id FROM concerns")
    assert (row["area_id"], row["topic_id"]) == ("kp4-t10", "thoat-nuoc")


async def test_edit_from_summary_returns_to_summary(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("Vấn đề khác")
    await lan.text("Nội dung ban đầu có lỗi chính tả.")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.press("Gửi ẩn danh")
    await lan.press("Sửa nội dung")
    replies = await lan.text("Nội dung đã sửa lại cho đúng và đầy đủ.")
    assert "Nội dung đã sửa lại" in replies[-1].text and replies[-1].all_buttons()[0].label == "✅ Gửi ý kiến"
    await lan.press("Gửi ý kiến")
    row = await database.fetch_one("SELECT text FROM concerns")
    assert row["text"] == "Nội dung đã sửa lại cho đúng và đầy đủ."


async def test_my_status_and_withdraw(lan: Chat, meeting, database: Database) -> None:
    code = await submit_concern(lan)
    replies = await lan.text("/my")
    assert code in replies[0].text
    replies = await lan.text(f"/status {code.lower().replace('-', ' ')}")
    assert "đang chờ hội nghị" in replies[0].text
    await lan.press(f"Rút ý kiến {code}")
    replies = await lan.press("Rút ý kiến")
    assert f"Đã rút ý kiến {code}" in replies[0].text
    row = await database.fetch_one("SELECT status, withdrawn_at FROM concerns")
    assert row["status"] == "withdrawn" and row["withdrawn_at"]


async def test_withdraw_after_intake_closed_is_refused(lan: Chat, meeting, clock: ManualClock, database: Database) -> None:
    code = await submit_concern(lan)
    clock.advance(timedelta(days=11))
    replies = await lan.text(f"/withdraw {code}")
    assert "không thể rút" in replies[0].text
    assert (await database.fetch_one("SELECT status FROM concerns"))["status"] == "open"


async def test_cannot_see_or_withdraw_someone_elses_concern(intake: Intake, meeting, database: Database) -> None:
    lan, minh = Chat(intake, "3001"), Chat(intake, "3002")
    code = await submit_concern(lan)
    concern_id = (await database.fetch_one("SELECT id FROM concerns"))["id"]
    replies = await minh.text(f"/status {code}")
    assert "Không tìm thấy" in replies[0].text
    replies = await minh.payload(f"g:wd:{concern_id}")
    assert "chính mình gửi" in replies[0].text
    replies = await minh.payload(f"g:wdy:{concern_id}")
    assert (await database.fetch_one("SELECT status FROM concerns"))["status"] == "open"


async def test_delete_erases_name_and_phone_but_keeps_the_text(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("An sinh")
    await lan.text("Hộ cận nghèo ở tổ 3 chưa được nhận hỗ trợ bảo hiểm y tế năm nay.")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.contact("0912345678", "Lan")
    await lan.press("Gửi ý kiến")
    await lan.text("/delete")
    replies = await lan.press("Xóa")
    assert "1 ý kiến" in replies[0].text
    row = await database.fetch_one("SELECT text, contact_name, contact_phone FROM concerns")
    assert row["contact_name"] is None and row["contact_phone"] is None and "bảo hiểm y tế" in row["text"]
    consent = await database.fetch_one("SELECT given FROM consents ORDER BY id DESC LIMIT 1")
    assert consent["given"] == 0


async def test_privacy_shows_consent_time(lan: Chat) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    replies = await lan.text("/privacy")
    assert "02/03/2026 09:00" in replies[0].text


async def test_language_switch_to_english_and_back(lan: Chat, meeting) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    replies = await lan.text("/language en")
    assert replies[0].text == "Switched to English."
    replies = await lan.press("Send a new concern")
    assert "Which quarter" in replies[-1].text
    assert "Quarter 1" in [b.label for b in replies[-1].all_buttons()]
    replies = await lan.payload("g:lang:vi")
    assert replies[0].text == "Đã chuyển sang Tiếng Việt."
    assert "Khu phố 1" in [b.label for b in replies[-1].all_buttons()]


async def test_cancel_at_any_step_discards_the_draft(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 1")
    replies = await lan.text("/cancel")
    assert "Đã hủy" in replies[0].text
    replies = await lan.text("/cancel")
    assert "không có thao tác" in replies[0].text.lower()


async def test_nfd_input_is_stored_nfc(lan: Chat, meeting, database: Database) -> None:
    text = "Đèn hẻm 48 Tân Hóa bị hư, đề nghị sửa gấp."
    await submit_concern(lan, unicodedata.normalize("NFD", text))
    row = await database.fetch_one("SELECT text FROM concerns")
    assert row["text"] == text


async def test_mydata_gives_everything_stored(lan: Chat, meeting, database: Database) -> None:
    import json

    code = await submit_concern(lan)
    replies = await lan.text("/mydata")
    document = replies[0].document
    assert document is not None and document.filename.endswith(".json")
    data = json.loads(document.content)
    assert data["concerns"][0]["code"] == code and data["concerns"][0]["role"] == "author"
    assert [(c["given"], c["version"]) for c in data["consents"]] == [(True, "2026-01")]
    assert data["account"]["id"] == "1001"
