"""The Zalo walk-through, to watch by hand: `.venv/bin/python -m tests.zalo_walkthrough`.

Against the fake Zalo (tests/fakezalo.py) and the real Zalo channel, with config.example.toml
and the answer template of the README: a resident writes to the OA, three weeks pass, the
meeting is held, the answer is recorded and published (by template: the window is shut), the
resident comes back to the OA through the template's button and receives the full answer.
It prints what the resident receives and what goes to Zalo. tests/test_zalo_walkthrough.py runs
the same and checks each step.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.domain.records import Meeting
from bot.outbox.dispatcher import OutboxDispatcher
from bot.push_templates import ZaloTemplate, ZaloTemplateParam, ZaloTemplates
from bot.services.answers import AnswerInput
from handlers.zalo import ZaloChannel
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG, START, create_meeting
from tests.fakezalo import FakeTemplate, FakeZalo, FakeZaloUser, SentTemplate, SentZalo
from tests.test_zalo_outbox import ClockSleep
from tests.zalo_e2e import running_zalo, step

CONCERN = "Cống thoát nước hẻm 48 Tân Hóa bị nghẹt, mỗi lần mưa lớn nước ngập tới đầu gối, đề nghị phường cho nạo vét."
ANSWER = "Phường đã giao Công ty Thoát nước nạo vét cống hẻm 48 trong tháng Tư; tổ dân phố sẽ theo dõi."
# The README's `answer` template, as the ward registered it: each parameter's source field and length.
TEMPLATE_ID = "402118"
PARAMS = {"ma_y_kien": ("code", 30), "noi_dung": ("text", 40), "ket_qua": ("disposition", 30), "han_tra_loi": ("due", 20)}


def with_answer_template(settings: Settings) -> Settings:
    answer = ZaloTemplate(template_id=TEMPLATE_ID, params={
        name: ZaloTemplateParam(field=field, max_length=limit) for name, (field, limit) in PARAMS.items()
    })
    zalo = settings.zalo.model_copy(update={"templates": ZaloTemplates(answer=answer)})
    return settings.model_copy(update={"zalo": zalo})


@dataclass(frozen=True)
class Walked:
    code: str
    written: int           # messages the resident had received once the concern was sent
    template: SentTemplate  # the answer, by template
    calls_at_publish: list[str]  # what the publish sent to Zalo
    full: list[SentZalo]   # the full answer, once she came back


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


async def walk(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services, meeting: Meeting,
    say: Callable[[str], None] = lambda line: None,
) -> Walked:
    fake.templates[TEMPLATE_ID] = FakeTemplate({name: limit for name, (_, limit) in PARAMS.items()})
    lan = fake.user("7800000000000000001", "Lan")
    async with running_zalo(with_answer_template(settings), fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        code = await submit_on_zalo(channel, lan, CONCERN)
        written = len(lan.inbox)
        say(f"Lan wrote to the OA: concern {code}; the bot sent her {written} messages")

        clock.advance(timedelta(days=21))
        say("three weeks later: the meeting was held last week")
        await services.answers.record(code, AnswerInput("answered", ANSWER, "Chủ tịch UBND phường"), "test")
        queued = (await services.publishing.publish(meeting.id, "test")).queued
        before = len(fake.calls)
        await dispatcher.drain()
        calls = [call.path for call in fake.calls[before:]]
        template = fake.templated[-1]
        say(f"published ({queued} message): Zalo got {calls}; template {template.template_id} to "
            f"user id {template.user_id}: {template.data}")

        await step(channel, lan, lambda: lan.send_text("Xem trả lời"))
        say("Lan pressed the template's button and wrote in the OA chat: “Xem trả lời”")
        await dispatcher.drain()
        full = [m for m in lan.inbox[written:] if ANSWER in m.text]
        for message in full:
            say(f"she received:\n{message.text}\nbuttons: {[title for title, _ in message.buttons()]}")
        await step(channel, lan, lambda: lan.press("Hài lòng"))
        say("she pressed “Hài lòng”")
    return Walked(code, written, template, calls, full)


async def main() -> None:
    settings = load_settings(EXAMPLE_CONFIG)
    clock = ManualClock(START)
    with tempfile.TemporaryDirectory() as folder:
        database = await Database.open(Path(folder) / "walk.db")
        try:
            meeting = await create_meeting(database, clock.now())
            async with FakeZalo(clock) as fake:
                await walk(settings, fake, database, clock, build_services(settings, database, clock), meeting, print)
        finally:
            await database.close()


if __name__ == "__main__":
    asyncio.run(main())
