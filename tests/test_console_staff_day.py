"""A staff morning in the console, in a real Chromium, with the whole bot running: residents send
concerns on Telegram (the fake Bot API), an officer asks the bot for a login link, logs in,
finds the concerns in the queue, rejects one with a reason and merges two — and the residents
are told, on Telegram."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.app import Runtime
from bot.clock import SystemClock
from bot.config import Secrets, Settings
from bot.domain.identity import Identity
from storage.db import Database
from tests.conftest import create_meeting
from tests.consolekit import PHONE, browser, link_in, log_in, needs_chromium, office_pc, screenshot, with_console
from tests.e2e import settings_for
from tests.fakebotapi import FakeBotApi, FakeUser
from tests.flows import (
    PHOTOS_DONE, anonymous_to_summary, confirm, open_concern, start_and_consent, step, submit_concern, tracking_code,
    write_text,
)

pytestmark = needs_chromium
__all__ = ["browser"]

OFFICER = 100000002
LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay, gọi tôi 0903123456."
SAME_LAMP = "den duong hem 48 tan hoa hu lau roi, toi lam"
DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập cả đoạn."


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small real PNG, as a phone's photo would be (the browser must be able to show it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def submit_with_a_photo(user: FakeUser, text: str, photo: bytes) -> str:
    await start_and_consent(user)
    await open_concern(user)
    await write_text(user, text)
    await step(user, lambda: user.send_photo(content=photo), 1)
    await step(user, lambda: user.press(PHOTOS_DONE), 1)
    await anonymous_to_summary(user)
    return tracking_code(await confirm(user))


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def runtime(settings: Settings, api: FakeBotApi, tmp_path: Path, unused_tcp_port: int) -> AsyncIterator[Runtime]:
    database = await Database.open(tmp_path / "console.db")
    # The outbox paces itself by the clock, so this runtime lives on the real one (as in
    # test_e2e_staff); the meeting is placed relative to it.
    await create_meeting(database, datetime.now(UTC))
    running = Runtime(with_console(settings_for(settings, api), unused_tcp_port), Secrets(api.token, None),
                      database, SystemClock())
    await running.start()
    yield running
    await running.stop()
    await database.close()


async def codes_shown(page: Page) -> list[str]:
    return [code for code in await page.locator("tr.concern-row").evaluate_all("rows => rows.map(r => r.dataset.code)")]


async def test_a_staff_morning_in_the_console(api: FakeBotApi, runtime: Runtime, browser: Browser) -> None:
    lan, minh, hoa = api.user(9001, first_name="Lan"), api.user(9002, first_name="Minh"), api.user(9003, first_name="Hoa")
    lamp = await submit_with_a_photo(lan, LAMP, png(64, 48, (200, 120, 40)))
    drain = await submit_concern(minh, DRAIN)
    same_lamp = await submit_concern(hoa, SAME_LAMP)

    officer = api.user(OFFICER, first_name="Cán bộ")
    (answer,) = await officer.reply_after(lambda: officer.send_text("/web"), 1)
    context, page = await office_pc(browser)
    await log_in(page, link_in(answer.text or ""))
    await screenshot(page, "console-meetings")

    await page.click("text=Xem ý kiến")
    assert await codes_shown(page) == [lamp, drain, same_lamp]
    assert "[số điện thoại đã ẩn]" in (await page.text_content("#results") or "")
    await page.fill("#q", "tan hoa")  # htmx asks again as the officer types
    await expect(page.locator("tr.concern-row")).to_have_count(2)
    assert await codes_shown(page) == [lamp, same_lamp]
    assert re.search(r"[?&]q=tan\+hoa|q=tan%20hoa", page.url)
    await page.check("input[name=duplicates]")
    await expect(page).to_have_url(re.compile(r"duplicates=1"))
    assert await codes_shown(page) == [lamp, same_lamp]
    await screenshot(page, "console-queue")
    thumbnail = page.locator(f"tr[data-code='{lamp}'] .thumbs img")
    await expect(thumbnail).to_have_count(1)
    assert await thumbnail.evaluate("img => img.complete && img.naturalWidth") == 64  # fetched through the bot
    assert api.token not in (await thumbnail.get_attribute("src") or "")
    assert len(api.calls_of("getFile")) == 1

    await page.goto(page.url.split("/meetings/")[0] + f"/concerns/{drain}")
    await page.fill("#reject textarea", "Đường Ông Ích Khiêm do Công ty thoát nước quản lý; phường đã chuyển kiến nghị.")
    await page.click("#reject button")
    assert "người dân đã được báo" in (await page.text_content(".banner") or "")
    assert (await page.text_content("#status") or "").strip() == "không được tiếp nhận"
    (told,) = await minh.wait_for_messages(1, timeout=10)
    assert drain in (told.text or "") and "Công ty thoát nước" in (told.text or "")

    await page.goto(page.url.replace(drain, same_lamp).split("?")[0])
    assert "0903123456" not in (await page.text_content("#merge") or "")  # the suggestion is masked
    await screenshot(page, "console-concern")
    await page.click("#merge button")
    assert (await page.text_content("#status") or "").strip() == "đã gộp với ý kiến khác"
    (merged,) = await hoa.wait_for_messages(1, timeout=10)
    assert same_lamp in (merged.text or "") and lamp in (merged.text or "")
    assert "Gộp vào ý kiến khác" in (await page.text_content(".history") or "")

    actions = await runtime.services.database.fetch_all(
        "SELECT action, actor FROM audit_log WHERE action LIKE 'concern.%' ORDER BY id")
    assert [tuple(r) for r in actions] == [("concern.reject", f"web:telegram:{OFFICER}"),
                                           ("concern.merge", f"web:telegram:{OFFICER}")]

    phone = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                      storage_state=await context.storage_state())
    small = await phone.new_page()
    await small.goto(page.url.split("/concerns/")[0] + "/meetings/1/queue?status=all")
    assert len(await codes_shown(small)) == 3
    assert await small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(small, "console-queue-phone")


async def test_a_resident_asking_for_a_link_on_telegram_is_refused(api: FakeBotApi, runtime: Runtime) -> None:
    lan = api.user(9004, first_name="Lan")
    (refusal,) = await lan.reply_after(lambda: lan.send_text("/web"), 1)
    assert "chỉ dành cho cán bộ" in (refusal.text or "")
    assert "/login/" not in (refusal.text or "")
    row = await runtime.services.database.fetch_one("SELECT actor, action, outcome FROM audit_log ORDER BY id DESC")
    assert tuple(row) == ("telegram:9004", "web", "forbidden")


async def hold_the_meeting_now(runtime: Runtime) -> None:
    """The days pass: the meeting's intake and start are moved into the past (the bot runs on the real clock)."""
    now = datetime.now(UTC)
    times = [(now - timedelta(minutes=m)).isoformat() for m in (30, 20, 10)]
    async with runtime.services.database.transaction() as connection:
        await connection.execute(
            "UPDATE meetings SET intake_opens_at = ?, intake_closes_at = ?, starts_at = ? WHERE id = 1", times)


async def test_answers_recorded_in_the_console_reach_the_residents(api: FakeBotApi, runtime: Runtime, browser: Browser) -> None:
    lan = api.user(9005, first_name="Lan")
    await submit_concern(lan, LAMP)
    link = (await runtime.services.web_login.issue(Identity("telegram", str(OFFICER)), "test")).url
    await hold_the_meeting_now(runtime)
    _, page = await office_pc(browser)
    await log_in(page, link)
    await page.goto(link.split("/login/")[0] + "/meetings/1/agenda")
    await page.click("#build")
    await page.click("text=Hội nghị")
    await page.click("#meeting-1 >> text=Trả lời")
    form = page.locator("#answer-item-1 > form.answer-form")
    await form.locator("textarea[name=answer]").fill("Phường đã thay bóng đèn hẻm 48 Tân Hóa.")
    await form.locator("button").click()
    await page.click("#publish")
    (answer,) = await lan.wait_for_messages(1, timeout=15)
    assert "Phường đã thay bóng đèn hẻm 48 Tân Hóa" in (answer.text or "")
    # The progress asks again by itself (htmx) until everything is sent.
    await expect(page.locator("#progress .step-done")).to_be_visible(timeout=15_000)
    assert (await page.text_content("#progress [data-step=sent] strong") or "").strip() == "1"
