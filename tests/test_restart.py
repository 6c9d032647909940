"""The bot as a process: killed with SIGKILL mid-conversation and mid-confirm, restarted, nothing lost or doubled."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import Database
from tests.conftest import create_meeting
from tests.e2e import BotProcess, step, write_config
from tests.fakebotapi import FakeBotApi, FakeUser
from tests.flows import (
    CONFIRM,
    PHOTOS_DONE,
    anonymous_to_summary,
    confirm,
    open_concern,
    skip_photos,
    start_and_consent,
    write_text,
)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "bot.db"
    database = await Database.open(path)
    # The process runs on the real clock; the meeting is placed relative to it.
    await create_meeting(database, datetime.now(UTC))
    await database.close()
    return path


@pytest.fixture
async def process(tmp_path: Path, api: FakeBotApi, db_path: Path) -> AsyncIterator[BotProcess]:
    bot = BotProcess(write_config(tmp_path, api, db_path), api, tmp_path / "bot.log")
    await bot.start()
    yield bot
    await bot.stop()
    assert api.token not in bot.log(), "the token leaked into the log"


async def concerns(db_path: Path) -> list[dict[str, object]]:
    database = await Database.open(db_path)
    try:
        return [dict(row) for row in await database.fetch_all("SELECT * FROM concerns")]
    finally:
        await database.close()


async def to_text_step(user: FakeUser) -> None:
    await start_and_consent(user)
    await open_concern(user, "Khu phố 2", "Tổ dân phố 5 (đường Hàn Hải Nguyên)", "Giao thông, trật tự đô thị, vỉa hè")


async def test_killed_mid_conversation_resumes_where_it_stopped(
    api: FakeBotApi, process: BotProcess, db_path: Path
) -> None:
    lan = api.user(8001, first_name="Lan")
    await to_text_step(lan)
    await process.kill()
    # Written while the bot is down: Telegram keeps it until the bot asks again.
    lan.send_text("Xe tải đậu trên vỉa hè Hàn Hải Nguyên cả ngày, người đi bộ phải xuống lòng đường.")
    await process.start()
    (photos,) = await lan.wait_for_messages(1, timeout=30)
    assert "ảnh" in photos.text
    await step(lan, lambda: lan.send_photo(), 1)
    await process.kill()
    await process.start()
    await step(lan, lambda: lan.press(PHOTOS_DONE), 1)
    await anonymous_to_summary(lan)
    receipt = await confirm(lan)
    assert "TT-0001" in receipt.text
    rows = await concerns(db_path)
    assert len(rows) == 1
    assert rows[0]["area_id"] == "kp2-t5" and "Hàn Hải Nguyên" in str(rows[0]["text"])
    assert process.starts == 3


async def test_killed_after_confirm_before_telegram_heard_back_stores_one_concern(
    api: FakeBotApi, process: BotProcess, db_path: Path
) -> None:
    hoa = api.user(8002, first_name="Hoa")
    await to_text_step(hoa)
    await write_text(hoa, "Đèn đường Hàn Hải Nguyên tắt từ 22 giờ, đề nghị kiểm tra.")
    await skip_photos(hoa)
    await anonymous_to_summary(hoa)
    # Hold back the poll that would confirm the press, so the kill lands before Telegram
    # forgets the update: the restarted bot receives the same confirm again.
    api.delay_next("getUpdates", 3.0, count=2)
    confirm_update = hoa.press(CONFIRM)
    (receipt,) = await hoa.wait_for_messages(1, timeout=20)
    assert "TT-0001" in receipt.text
    assert api.updates_confirmed_up_to < confirm_update
    await process.kill()
    await process.start()
    (again,) = await hoa.wait_for_messages(1, timeout=30)
    assert again.text == receipt.text  # the receipt is repeated, the concern is not
    rows = await concerns(db_path)
    assert len(rows) == 1


async def test_database_file_is_private(process: BotProcess, db_path: Path) -> None:
    mode = stat.S_IMODE(os.stat(db_path).st_mode)
    assert mode == 0o600, oct(mode)


async def test_sigterm_stops_cleanly(process: BotProcess) -> None:
    assert await process.stop() == 0
