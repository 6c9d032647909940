"""What a newcomer trips over in the resident dialogue (issue 16), tried on Telegram through the
fake Bot API as a resident would: help, codes that are not theirs, short text, the fifth photo,
the location prompt and its button typed without accents, Vietnamese name order, a rejection's
reason under /status."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.resident.dialogue import Intake
from storage.db import Database
from tests import flows
from tests.chat import Chat, submit_concern, to_summary
from tests.e2e import running_channel, step
from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def test_a_newcomer_walks_the_dialogue_without_tripping(
    settings: Settings, api: FakeBotApi, database: Database, clock: ManualClock, meeting
) -> None:
    services = build_services(settings, database, clock)
    async with running_channel(settings, api, services.router.handle):
        cuong = api.user(7601, first_name="Cường", last_name="Lê Văn")
        await flows.start_and_consent(cuong)

        (help_text,) = await step(cuong, lambda: cuong.send_text("/help"), 1)
        assert "/mydata" in help_text.text and "/unsubscribe" in help_text.text

        # A code that is no concern of theirs is said to be so, not asked for again.
        (withdraw,) = await step(cuong, lambda: cuong.send_text("/withdraw TT-0099"), 1)
        assert "TT-0099" in withdraw.text and "Xin gõ kèm mã" not in withdraw.text

        await flows.open_concern(cuong)
        (short,) = await step(cuong, lambda: cuong.send_text("hu"), 1)
        assert "hơi ngắn" in short.text and "cần có chữ" not in short.text
        await flows.write_text(cuong, "Đèn chiếu sáng hẻm 48 Tân Hóa hư hơn một tháng, tối đi lại rất nguy hiểm.")

        prompts = []
        for _ in range(settings.limits.photos_max):
            (prompt,) = await step(cuong, lambda: cuong.send_photo(caption=None), 1)
            prompts.append(prompt.text or "")
        assert "Bạn gửi tiếp ảnh khác" in prompts[-2]
        assert "5/5" in prompts[-1] and "gửi tiếp" not in prompts[-1]
        assert "“Xong, sang bước tiếp”" in prompts[-1]

        (location,) = await step(cuong, lambda: cuong.press(flows.PHOTOS_DONE), 1)
        assert "“Bỏ qua vị trí”" in location.text and "“Bỏ qua”" not in location.text
        # Typed without accents, in capitals, spaced oddly: the button all the same.
        (contact,) = await step(cuong, lambda: cuong.send_text("BO QUA  vi tri"), 1)
        assert "Không kèm vị trí" in contact.text and "Chia sẻ số điện thoại" in contact.text

        summary = await step(cuong, lambda: cuong.send_contact("0903123456", "Cường", "Lê Văn"), 2)
        assert "Liên hệ: Lê Văn Cường," in summary[-1].text
        (receipt,) = await step(cuong, lambda: cuong.press(flows.CONFIRM), 1)
        code = flows.tracking_code(receipt)

        await services.triage.reject(code, "Không thuộc thẩm quyền của phường", "cli:test")
        (status,) = await step(cuong, lambda: cuong.send_text(f"/status {code}"), 1)
        assert "không được tiếp nhận" in status.text
        assert "Lý do không tiếp nhận: Không thuộc thẩm quyền của phường" in status.text


async def test_an_english_speaker_keeps_the_given_name_first(
    settings: Settings, api: FakeBotApi, database: Database, clock: ManualClock, meeting
) -> None:
    services = build_services(settings, database, clock)
    async with running_channel(settings, api, services.router.handle):
        john = api.user(7602, first_name="John", last_name="Smith")
        await flows.start_and_consent(john)
        await step(john, lambda: john.send_text("/language en"), 1)
        await step(john, lambda: john.press("📝 Send a new concern"), 1)
        await step(john, lambda: john.press("Quarter 1"), 1)
        await step(john, lambda: john.press("Residential group 1 (alley 48 Tan Hoa)"), 1)
        await step(john, lambda: john.press("Alleys, roads, street lights"), 1)
        await step(john, lambda: john.send_text("The street light in alley 48 Tan Hoa has been broken for a month."), 1)
        await step(john, lambda: john.press("Skip"), 1)
        await step(john, lambda: john.send_text("skip location"), 1)
        summary = await step(john, lambda: john.send_contact("0903123456", "John", "Smith"), 2)
        assert "Contact: John Smith," in summary[-1].text


async def test_the_similar_offer_names_the_units_own_level(
    settings: Settings, database: Database, clock: ManualClock, meeting
) -> None:
    # A commune calls its lowest level "thôn": the offer says so, not "tổ dân phố".
    unit = settings.unit.model_copy(update={"levels": ["xã", "ấp", "thôn"]})
    intake = Intake(settings.model_copy(update={"unit": unit}), database, clock)
    await submit_concern(Chat(intake, "7611"), "Đèn hẻm 48 Tân Hóa bị hư, tối đi lại rất nguy hiểm")
    replies = await to_summary(Chat(intake, "7612"), "Đèn hẻm 48 Tân Hóa bị hư")
    offer = replies[1].text
    assert "TT-0001 – thôn của bạn –" in offer and "tổ dân phố" not in offer
