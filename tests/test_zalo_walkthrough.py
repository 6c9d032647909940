"""The walk-through a ward tries before going live, against the fake Zalo: a resident writes on
Zalo, three weeks pass, the meeting is held, the answer is recorded and published. Zalo's window
is long shut, so the answer goes as the approved template, by the resident's Zalo id; the
resident follows its button back to the OA, and the full answer then arrives as an ordinary
(consultation) message, with its buttons."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import Meeting
from bot.outbox.dispatcher import OutboxDispatcher
from bot.services.answers import AnswerInput
from handlers.zalo import ZaloChannel
from storage.db import Database
from tests.fakezalo import FakeTemplate, FakeZalo, FakeZaloUser
from tests.test_zalo_outbox import ClockSleep
from tests.test_zalo_routes import (
    ANSWER_PARAMS,
    ANSWER_TEMPLATE,
    answer_template,
    with_templates,
)
from tests.zalo_e2e import fake, running_zalo, services, step  # noqa: F401 - fixtures

CONCERN = "Cống thoát nước hẻm 48 Tân Hóa bị nghẹt, mỗi lần mưa lớn nước ngập tới đầu gối, đề nghị phường cho nạo vét."
ANSWER = "Phường đã giao Công ty Thoát nước nạo vét cống hẻm 48 trong tháng Tư; tổ dân phố sẽ theo dõi."


async def submit_on_zalo(channel: ZaloChannel, resident: FakeZaloUser, text: str) -> str:
    """A new resident's whole intake, as they would do it in Zalo; the code they are given."""
    await step(channel, resident, lambda: resident.send_text("Chào phường"))
    await step(channel, resident, lambda: resident.press("Tôi đồng ý"))
    await step(channel, resident, lambda: resident.press("Gửi ý kiến mới"))
    await step(channel, resident, lambda: resident.press("Khu phố 1"))
    await step(channel, resident, lambda: resident.press("Tổ dân phố 1"))
    await step(channel, resident, lambda: resident.send_text("2"))  # the numbered topic
    await step(channel, resident, lambda: resident.send_text(text))
    await step(channel, resident, lambda: resident.press("Bỏ qua"))  # no photo
    await step(channel, resident, lambda: resident.press("Bỏ qua vị trí"))
    await step(channel, resident, lambda: resident.submit_info("Nguyễn Thị Lan", "84903123456"))
    receipt, *_ = await step(channel, resident, lambda: resident.press("Gửi ý kiến"))
    code = receipt.text.split("Mã theo dõi: ", 1)[1].split()[0].rstrip(".")
    assert code.startswith("TT-"), receipt.text
    return code


async def test_a_resident_who_wrote_three_weeks_before_the_meeting_receives_the_answer(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services, meeting: Meeting
) -> None:
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    configured = with_templates(settings, answer=answer_template())
    lan = fake.user("7800000000000000001", "Lan")
    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        code = await submit_on_zalo(channel, lan, CONCERN)
        written = len(lan.inbox)

        clock.advance(timedelta(days=21))  # the meeting (two weeks after she wrote) was held last week
        await services.answers.record(code, AnswerInput("answered", ANSWER, "Chủ tịch UBND phường"), "test")
        assert (await services.publishing.publish(meeting.id, "test")).queued == 1
        before = len(fake.calls)
        await dispatcher.drain()

        # Zalo's window shut two weeks ago: not a consultation message, the approved template by her id.
        assert len(lan.inbox) == written
        assert [c.path for c in fake.calls[before:]] == ["message/template"]
        [template] = fake.templated
        assert (template.user_id, template.phone, template.data["ma_y_kien"]) == (lan.user_id, None, code)
        assert template.data["noi_dung"] == "Cống thoát nước hẻm 48 Tân Hóa bị…"  # 40 characters at most, cut at a word
        row = await database.fetch_one("SELECT status, route FROM outbox WHERE dedupe_key LIKE 'answer:%'")
        assert tuple(row) == ("sent", "template")

        # The template's button brings her back to the OA's chat; what she writes there opens
        # Zalo's window again, and the full answer follows as an ordinary message.
        await step(channel, lan, lambda: lan.send_text("Xem trả lời"))
        await dispatcher.drain()
        # Her "satisfied" on the full answer is the ward's record of how the answer was received.
        assert await step(channel, lan, lambda: lan.press("Hài lòng"))
    full = [m for m in lan.inbox[written:] if ANSWER in m.text]
    assert len(full) == 1 and code in full[0].text
    assert [title.split(" ", 1)[1] for title, _ in full[0].buttons()] == ["Hài lòng", "Chưa hài lòng"]
    row = await database.fetch_one("SELECT status, route FROM outbox WHERE dedupe_key LIKE 'zalo-full:%'")
    assert tuple(row) == ("sent", "consultation")
    assert tuple(await database.fetch_one("SELECT count(*) FROM satisfaction")) == (1,)
    assert fake.reused == []
