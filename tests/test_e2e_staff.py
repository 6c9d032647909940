"""Staff in their Telegram group and residents in private chats, through the fake Bot API, with the
whole runtime: channels, schedule and outbox."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import docx
from docx.oxml.ns import qn
import openpyxl
import pytest

from bot.app import Runtime
from bot.clock import SystemClock
from bot.config import Secrets, Settings
from storage.db import Database
from tests.conftest import create_meeting
from tests.e2e import settings_for
from tests.fakebotapi import FakeBotApi
from tests.flows import submit_concern

STAFF_CHAT = -1001000000001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Runtime]:
    database = await Database.open(tmp_path / "e2e.db")
    # The outbox paces itself by the clock, so this runtime lives on the real one; the meeting is
    # placed relative to it, which depends on no particular date.
    await create_meeting(database, datetime.now(UTC))
    running = Runtime(settings_for(settings, api), Secrets(api.token, None), database, SystemClock())
    await running.start()
    yield running
    await running.stop()
    await database.close()


async def test_staff_triage_merge_agenda_and_export_in_the_staff_chat(api: FakeBotApi, runtime: Runtime) -> None:
    lan, minh = api.user(9001, first_name="Lan"), api.user(9002, first_name="Minh")
    first = await submit_concern(lan, "Đèn đường hẻm 48 Tân Hóa bị hư cả tháng nay.")
    second = await submit_concern(minh, "Cống hẻm 48 Tân Hóa bị vỡ nắp, rất nguy hiểm cho trẻ em.")
    staff_chat = api.group(STAFF_CHAT, "Cán bộ phường Phú Thọ", chat_type="supergroup")
    officer = api.user(100000002, first_name="Cán bộ")

    (queue,) = await staff_chat.reply_after(lambda: staff_chat.send_text(officer, "/queue"), 1)
    assert "2 ý kiến" in (queue.text or "") and first in (queue.text or "")
    (view,) = await staff_chat.reply_after(lambda: staff_chat.press(officer, "s:c:2"), 1)
    assert "Nội dung: Cống hẻm 48" in (view.text or "")
    (reply,) = await staff_chat.reply_after(lambda: staff_chat.send_text(officer, f"/reject {second} Đã chuyển Công ty thoát nước xử lý ngay"), 1)
    assert "người dân đã được báo" in (reply.text or "")
    (told,) = await minh.wait_for_messages(1, timeout=10)  # through the outbox
    assert second in (told.text or "") and "Công ty thoát nước" in (told.text or "")

    (built,) = await staff_chat.reply_after(lambda: staff_chat.send_text(officer, "/agenda_build"), 1)
    assert "Đã thêm 1 mục" in (built.text or "") and "Chương trình hội nghị" in (built.text or "")
    (exported,) = await staff_chat.reply_after(lambda: staff_chat.press(officer, "⬇️ DOCX"), 1)
    assert exported.method == "sendDocument" and exported.document is not None
    assert exported.document.filename.endswith(".docx")
    body = docx.Document(io.BytesIO(exported.document.content)).element.body
    text = "".join(t.text or "" for t in body.iter(qn("w:t")))  # the agenda table too
    assert "Đèn đường hẻm 48 Tân Hóa" in text and "Cống hẻm" not in text
    (xlsx,) = await staff_chat.reply_after(lambda: staff_chat.send_text(officer, "/export xlsx"), 1)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.document.content)).worksheets[0]
    assert sheet.max_row == 2 and sheet.cell(2, 1).value in (1, "1")


async def test_forged_staff_button_from_a_resident_through_telegram(api: FakeBotApi, runtime: Runtime, tmp_path: Path) -> None:
    lan = api.user(9003, first_name="Lan")
    code = await submit_concern(lan, "Đèn đường hẻm 48 Tân Hóa bị hư cả tháng nay.")
    (refusal,) = await lan.reply_after(lambda: lan.press_raw("s:mg:1:1"), 1)
    assert "chỉ dành cho cán bộ" in (refusal.text or "")
    (refusal,) = await lan.reply_after(lambda: lan.send_text(f"/reject {code} không thích"), 1)
    assert "chỉ dành cho cán bộ" in (refusal.text or "")
    database = runtime.services.database
    assert (await database.fetch_one("SELECT status FROM concerns"))["status"] == "open"
    forbidden = await database.fetch_all("SELECT action FROM audit_log WHERE outcome = 'forbidden' ORDER BY id")
    assert [r["action"] for r in forbidden] == ["button:mg", "reject"]
