"""Before confirming, similar concerns are offered to support (+1); heads of groups send on behalf."""

from __future__ import annotations

import unicodedata

import pytest

from bot.app import Services, build_services
from storage.db import Database
from tests.chat import Chat, submit_concern, to_summary
from tests.staffchat import HEAD


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)



@pytest.mark.parametrize(
    "typed",
    [
        "den hem 48 tan hoa bi hu",
        unicodedata.normalize("NFD", "Đèn hẻm 48 Tân Hóa bị hư, tối lắm"),
        "HẺM 48 TÂN HÓA ĐÈN BỊ HƯ",
    ],
)
async def test_similar_concern_is_offered_and_support_makes_a_follower(
    services: Services, meeting, database: Database, typed: str
) -> None:
    await submit_concern(Chat(services.intake, "901"), "Đèn hẻm 48 Tân Hóa bị hư")
    await submit_concern(Chat(services.intake, "902"), "Rác thải ở hẻm 48 Tân Hóa không ai thu gom")
    minh = Chat(services.intake, "903")
    replies = await to_summary(minh, typed)
    offer = replies[1]
    assert "• TT-0001 – tổ dân phố của bạn – 1 người đã nêu: Đèn hẻm 48 Tân Hóa bị hư" in offer.text
    assert "TT-0002" not in offer.text
    replies = await minh.press("Ủng hộ ý kiến TT-0001")
    assert "Cảm ơn bạn đã ủng hộ ý kiến TT-0001 (nay có 2 người" in replies[0].text
    followers = await database.fetch_all("SELECT resident_id, role FROM followers WHERE concern_id = 1 ORDER BY role")
    assert [r["role"] for r in followers] == ["author", "supporter"]
    assert len(await database.fetch_all("SELECT * FROM concerns")) == 2
    replies = await minh.text("/my")
    assert "TT-0001" in replies[0].text and "bạn ủng hộ" in replies[0].text


async def test_unrelated_concern_gets_no_offer(services: Services, meeting) -> None:
    await submit_concern(Chat(services.intake, "904"), "Đèn hẻm 48 Tân Hóa bị hư")
    lan = Chat(services.intake, "905")
    replies = await to_summary(lan, "Cần thêm ghế đá ở công viên khu phố 1 cho người cao tuổi.")
    assert len(replies) == 2 and replies[1].text.startswith("Xin bạn kiểm tra")


async def test_forged_support_of_a_concern_not_offered(services: Services, meeting, database: Database) -> None:
    await submit_concern(Chat(services.intake, "906"), "Rác thải ở hẻm 48 Tân Hóa không ai thu gom")
    lan = Chat(services.intake, "907")
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 2")
    await lan.press("Tổ dân phố 4")
    await lan.press("Hẻm, đường sá")
    await lan.text("Đèn hẻm 48 Tân Hóa bị hư")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.press("Gửi ẩn danh")
    version = lan.button("Gửi ý kiến").payload.split(":")[0]
    replies = await lan.payload(f"{version}:sup:1")  # TT-0001 is about rubbish: never offered for a lamp
    assert "không hợp lệ" in replies[0].text
    assert len(await database.fetch_all("SELECT * FROM followers WHERE concern_id = 1")) == 1


async def test_group_head_sends_for_a_resident(services: Services, meeting, database: Database) -> None:
    head = Chat(services.intake, HEAD, channel="telegram")
    await head.text("/start")
    replies = await head.press("Tôi đồng ý")
    assert any("Gửi thay người dân" in b.label for b in replies[-1].all_buttons())
    replies = await head.press("Gửi thay người dân")
    # Bà Hoa heads only tổ dân phố 1: the area step is skipped.
    assert "lĩnh vực" in replies[-1].text and "Tổ dân phố 1" in replies[-1].text
    await head.press("Hẻm, đường sá")
    await head.text("Cụ Năm ở hẻm 48 Tân Hóa phản ánh nắp cống trước nhà bị vỡ, rất nguy hiểm.")
    await head.press("Bỏ qua")
    replies = await head.press("Bỏ qua vị trí")
    assert "họ tên người dân" in replies[-1].text
    await head.text("Nguyễn Văn Năm")
    replies = await head.text("0912 345 678")
    assert "do tổ trưởng gửi thay" in replies[-1].text
    replies = await head.press("Gửi ý kiến")
    assert "gửi tới bạn để bạn chuyển lại" in replies[0].text
    row = await database.fetch_one("SELECT * FROM concerns")
    assert (row["proxy"], row["contact_name"], row["contact_phone"], row["phone_verified"]) == (1, "Nguyễn Văn Năm", "+84912345678", 0)
    author = await database.fetch_one("SELECT channel_user_id FROM residents WHERE id = ?", (row["author_id"],))
    assert author["channel_user_id"] == HEAD  # the head receives the answer


async def test_residents_cannot_send_on_behalf(services: Services, meeting) -> None:
    lan = Chat(services.intake, "908", channel="telegram")
    replies = await lan.text("/proxy")
    assert "chỉ dành cho tổ trưởng" in replies[0].text
    replies = await lan.payload("g:proxy:")
    assert "chỉ dành cho tổ trưởng" in replies[0].text


async def test_head_cannot_pick_an_area_outside_their_own(services: Services, meeting, settings) -> None:
    head = Chat(services.intake, HEAD, channel="telegram")
    await head.text("/start")
    await head.press("Tôi đồng ý")
    await head.press("Gửi thay người dân")
    version = head.button("Giao thông").payload.split(":")[0]
    replies = await head.payload(f"{int(version) - 1}:a:kp3-t7")
    assert "bước đã qua" in replies[0].text or "không hợp lệ" in replies[0].text
