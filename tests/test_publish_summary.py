"""After /publish the staff chat hears how the sending went as soon as the last answer is out,
not at the schedule's next periodic rebuild (issue 16, item 9): publishing reschedules at once,
and so does the outbox once it has sent what it had. The whole runtime, through the fake Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.clock import ManualClock, SystemClock
from bot.config import Secrets, Settings
from bot.resident.dialogue import Intake
from bot.services.answers import AnswerInput
from bot.services.schedule import REBUILD_MINUTES
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting
from tests.e2e import settings_for
from tests.fakebotapi import FakeBotApi

STAFF_CHAT = -1001000000001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def test_the_sent_summary_follows_the_last_answer_at_once(
    settings: Settings, api: FakeBotApi, tmp_path: Path
) -> None:
    database = await Database.open(tmp_path / "publish.db")
    # The outbox paces itself by the real clock: the meeting was held yesterday, relative to it.
    now = datetime.now(UTC)
    written = now - timedelta(days=5)
    meeting = await create_meeting(database, written, days_ahead=4, intake_days=2)
    residents = [api.user(9201, first_name="Lan"), api.user(9202, first_name="Minh")]
    # Their concerns were sent while the intake was open.
    intake = Intake(settings, database, ManualClock(written + timedelta(hours=1)))
    codes = [
        await submit_concern(Chat(intake, "9201", "telegram"), "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay."),
        await submit_concern(Chat(intake, "9202", "telegram"), "Rác thải ứ đọng ở chợ Phú Thọ nhiều ngày không ai thu gom."),
    ]
    running = Runtime(settings_for(settings, api), Secrets(api.token, None), database, SystemClock())
    await running.start()
    try:
        for code in codes:
            await running.services.answers.record(
                code, AnswerInput("answered", "Phường đã xử lý xong.", "Chủ tịch UBND phường"), "cli:test"
            )
        staff_chat = api.group(STAFF_CHAT, "Cán bộ phường Phú Thọ", chat_type="supergroup")
        officer = api.user(100000002, first_name="Cán bộ")
        # The close of the intake, missed while the bot was down, is reported first.
        (closed,) = await staff_chat.wait_for_messages(1, timeout=20)
        assert "hết hạn nhận ý kiến" in (closed.text or "")
        (queued,) = await staff_chat.reply_after(lambda: staff_chat.send_text(officer, f"/publish {meeting.id}"), 1)
        assert "đã xếp 2 tin trả lời" in (queued.text or "")
        for resident in residents:
            (answer,) = await resident.wait_for_messages(1, timeout=20)
            assert "Phường đã xử lý xong." in (answer.text or "")
        sent_at = time.monotonic()
        (summary,) = await staff_chat.wait_for_messages(1, timeout=30)
        waited = time.monotonic() - sent_at
        assert f"Đã gửi xong trả lời của hội nghị #{meeting.id}: gửi được 2" in (summary.text or "")
        # Far from the periodic rebuild: what the outbox does when it is done, not a timer.
        assert waited < REBUILD_MINUTES * 60 / 10
    finally:
        await running.stop()
        await database.close()


async def test_a_listener_of_the_idle_outbox_that_fails_does_not_stop_the_sending(
    settings: Settings, database: Database
) -> None:
    from bot.outbox.dispatcher import OutboxDispatcher

    told: list[str] = []

    async def broken() -> None:
        told.append("broken")
        raise RuntimeError("listener on fire")

    async def fine() -> None:
        told.append("fine")

    dispatcher = OutboxDispatcher(database, {}, SystemClock(), settings.notify)
    dispatcher.on_idle.extend([broken, fine])
    await dispatcher._went_idle()
    assert told == ["broken", "fine"]
    await asyncio.sleep(0)
