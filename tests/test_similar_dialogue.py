"""Residents on Telegram (the real python-telegram-bot Application, the fake Bot API) are
offered what a neighbour already sent in other words, support it in one press, or say in
one press that theirs is different."""

from __future__ import annotations

from storage.db import Database
from tests import flows, test_e2e_telegram
from tests.e2e import step
from tests.fakebotapi import FakeBotApi, FakeUser, SentMessage

# The real bot on the fake Bot API, as the Telegram end-to-end tests run it.
api = test_e2e_telegram.api
bot = test_e2e_telegram.bot

# The pair: the first resident writes formally (with a phone number, for the
# neighbour not to see); the neighbour, one tổ over, types without accents.
FORMAL = (
    "Đề nghị lắp đặt đèn chiếu sáng công cộng tại hẻm 48 Tân Hóa, buổi tối rất tối, "
    "người dân đi lại không an toàn. Liên hệ 0903 123 456"
)
NEIGHBOUR = "den hem 48 tan hoa bi hu, toi qua"
KP1_T2 = "Tổ dân phố 2"


async def to_summary(user: FakeUser, text: str, group: str) -> list[SentMessage]:
    """Up to the summary; returns the messages after "anonymous": the offer if any, the summary."""
    await flows.start_and_consent(user)
    await flows.open_concern(user, group=group)
    await flows.write_text(user, text)
    await flows.skip_photos(user)
    replies = await flows.anonymous_to_summary(user)
    return [r for r in replies if "tương tự" in (r.text or "") or "Xin bạn kiểm tra" in (r.text or "")]


async def test_a_paraphrase_is_offered_with_its_area_and_supported_in_one_press(
    api: FakeBotApi, bot: None, database: Database
) -> None:
    lan = api.user(7101, first_name="Lan")
    assert await flows.submit_concern(lan, FORMAL) == "TT-0001"

    minh = api.user(7102, first_name="Minh")
    offer, summary = await to_summary(minh, NEIGHBOUR, KP1_T2)
    assert "Có ý kiến tương tự" in offer.text
    # Another resident's words, their number hidden; where it was raised and by how many.
    assert "TT-0001 – Tổ dân phố 1 (hẻm 48 Tân Hóa) – 1 người đã nêu: Đề nghị lắp đặt đèn chiếu sáng" in offer.text
    assert "0903" not in offer.text and "[số điện thoại đã ẩn]" in offer.text
    labels = [label for label, _ in offer.buttons()]
    assert labels == ["👍 Ủng hộ ý kiến TT-0001", "Không, ý kiến của tôi khác"]
    assert "Xin bạn kiểm tra" in summary.text

    (thanks,) = await step(minh, lambda: minh.press("👍 Ủng hộ ý kiến TT-0001"), 1)  # with the menu under it
    assert "Cảm ơn bạn đã ủng hộ ý kiến TT-0001 (nay có 2 người cùng nêu)" in thanks.text
    followers = await database.fetch_all("SELECT role FROM followers WHERE concern_id = 1 ORDER BY role")
    assert [row["role"] for row in followers] == ["author", "supporter"]
    assert len(await database.fetch_all("SELECT id FROM concerns")) == 1


async def test_none_of_these_is_one_press_and_the_concern_goes_on_its_own(
    api: FakeBotApi, bot: None, database: Database
) -> None:
    assert await flows.submit_concern(api.user(7201), FORMAL) == "TT-0001"
    hoa = api.user(7202)
    offer, _summary = await to_summary(hoa, "Hẻm 48 Tân Hóa tối om vì bóng đèn cháy, chưa ai thay", KP1_T2)
    assert "TT-0001" in offer.text
    (summary,) = await step(hoa, lambda: hoa.press("Không, ý kiến của tôi khác"), 1)
    assert "sẽ được gửi riêng" in summary.text and "Xin bạn kiểm tra" in summary.text
    receipt = await flows.confirm(hoa)
    assert flows.tracking_code(receipt) == "TT-0002"


async def test_the_same_alley_with_another_problem_is_offered_nothing(api: FakeBotApi, bot: None) -> None:
    assert await flows.submit_concern(api.user(7301), FORMAL) == "TT-0001"
    replies = await to_summary(api.user(7302), "Hẻm 48 Tân Hóa mưa xuống là ngập, nước tràn vào nhà", KP1_T2)
    assert len(replies) == 1 and "Xin bạn kiểm tra" in replies[0].text
