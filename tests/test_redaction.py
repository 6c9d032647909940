"""Nothing a resident wrote leaks: numbers and e-mail addresses are masked wherever others read
their text (pushes, the staff group), and /delete leaves no number of theirs in the database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.outbox.codec import decode_body
from bot.services.answers import AnswerInput
from storage.db import Database
from tests.chat import Chat, submit_concern, to_summary
from tests.staffchat import STAFF, StaffChat

NUMBER = "0903123456"
WITH_NUMBER = f"Đèn hẻm 48 Tân Hóa hư cả tháng, xin gọi tôi {NUMBER} hoặc lan.nguyen@example.com để dẫn đường."


async def file_bytes(database: Database) -> bytes:
    """Everything SQLite keeps on disk: the file and its write-ahead log, as they are."""
    path = Path(database.path)
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_delete_leaves_no_number_of_theirs_anywhere_in_the_file(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("An sinh")
    await lan.text(WITH_NUMBER)
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.contact("0903 123 456", "Lan")
    await lan.press("Gửi ý kiến")
    assert NUMBER.encode() in await file_bytes(database)
    await lan.text("/delete")
    replies = await lan.press("Xóa")
    assert "1 ý kiến" in replies[0].text
    row = await database.fetch_one("SELECT text, text_folded FROM concerns")
    assert "[số điện thoại đã ẩn]" in row["text"] and "[địa chỉ e-mail đã ẩn]" in row["text"]
    assert "hem 48 tan hoa" in row["text_folded"] and "903123456" not in row["text_folded"]
    on_disk = await file_bytes(database)
    for trace in (b"0903123456", b"903123456", b"lan.nguyen@example.com", b"lan.nguyen"):
        assert trace not in on_disk


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


async def test_a_published_answer_quotes_the_concern_with_its_number_masked(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    lan = Chat(services.intake, "701", channel="telegram")
    minh = Chat(services.intake, "703", channel="telegram")
    await submit_concern(lan, WITH_NUMBER)
    await submit_concern(minh, "Den hem 48 Tan Hoa bi hu, toi lam")
    await minh.text("/language en")  # he reads the answer in English: the masks are in English too
    await services.triage.merge("TT-0002", "TT-0001", "cli:test")
    clock.advance(timedelta(days=15))  # the meeting has been held
    await services.answers.record("TT-0001", AnswerInput("answered", "Đã thay bóng đèn.", "Chủ tịch UBND phường"), "cli:test")
    assert (await services.publishing.publish(1, "cli:test")).queued == 2
    rows = await database.fetch_all("SELECT address, body FROM outbox WHERE dedupe_key LIKE 'answer:%' ORDER BY address")
    texts = {row["address"]: decode_body(row["body"]).text for row in rows}
    assert "Đèn hẻm 48 Tân Hóa" in texts["701"] and "[số điện thoại đã ẩn]" in texts["701"]
    assert "[phone number hidden]" in texts["703"] and "[e-mail address hidden]" in texts["703"]
    for text in texts.values():
        assert NUMBER not in text and "lan.nguyen@example.com" not in text


async def test_the_staff_group_sees_no_number_and_the_contact_only_in_private(services: Services, meeting) -> None:
    lan = Chat(services.intake, "701", channel="telegram")
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("An sinh")
    await lan.text(WITH_NUMBER)
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.contact("0912 345 678", "Lan")
    await lan.press("Gửi ý kiến")
    group = StaffChat(services.router, STAFF)  # in the staff chat, a group
    queue = (await group.command("/queue"))[0]
    shown = [queue.text, *(button.label for button in queue.all_buttons())]
    detail = (await group.command("/c TT-0001"))[0].text
    for text in (*shown, detail):
        assert NUMBER not in text and "lan.nguyen@example.com" not in text
        assert "912" not in text and "Lan " not in text
    assert "[số điện thoại đã ẩn]" in queue.text and "[số điện thoại đã ẩn]" in detail
    assert "chỉ xem được khi nhắn riêng với bot" in detail
    private = (await StaffChat(services.router, STAFF, chat_id=STAFF).command("/c TT-0001"))[0].text
    assert "+84912345678" in private and "Lan" in private and NUMBER in private


async def test_my_concerns_masks_the_number_in_a_concern_someone_else_wrote(services: Services, meeting) -> None:
    lan = Chat(services.intake, "701", channel="telegram")
    minh = Chat(services.intake, "703", channel="telegram")
    await submit_concern(lan, WITH_NUMBER)
    replies = await to_summary(minh, "Đèn hẻm 48 Tân Hóa hư cả tháng, xin gọi tôi hoặc để dẫn đường.")
    assert any("Có ý kiến tương tự" in reply.text for reply in replies), [r.text for r in replies]
    await minh.press("Ủng hộ ý kiến TT-0001")
    mine = "\n".join(reply.text for reply in await lan.text("/my"))
    theirs = "\n".join(reply.text for reply in await minh.text("/my"))
    assert NUMBER in mine
    assert "Đèn hẻm 48 Tân Hóa" in theirs and NUMBER not in theirs and "[số điện thoại đã ẩn]" in theirs
