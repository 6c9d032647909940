"""Meetings and the agenda in the console, in a real Chromium: an admin creates a meeting and is
warned before saving one at short notice; staff build the agenda, reorder it by the buttons and
by dragging, set minutes, leave an item out, and download it."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import docx
from docx.oxml.ns import qn
from playwright.async_api import Browser, Page, expect

from bot.app import Services
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.consolekit import (
    ADMIN_ID, STAFF_ID, Console, browser, console, heading, log_in, needs_chromium, office_pc, screenshot,
)

pytestmark = needs_chromium
__all__ = ["browser", "console"]

DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập cả đoạn đường."


def local(console: Console, days: float) -> str:
    """A time `days` from the test's clock, as the form's time fields take it (dd/mm/yyyy HH:MM)."""
    return (console.clock.now() + timedelta(days=days)).astimezone(console.settings.zone).strftime("%d/%m/%Y %H:%M")


async def test_a_meeting_at_short_notice_is_saved_only_after_the_warning(console: Console, browser: Browser, database: Database) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(ADMIN_ID))
    await page.click("#new-meeting")
    await page.fill("input[name=title]", "Hội nghị đối thoại chuyên đề thoát nước")
    await page.fill("input[name=place]", "Hội trường khu phố 2")
    await page.select_option("select[name=format]", "hybrid")
    await page.fill("input[name=starts]", local(console, 3))
    await page.click("#meeting-form button[type=submit]")
    assert "chưa đủ 7 ngày" in (await page.text_content("#short-notice") or "")
    assert (await database.fetch_one("SELECT count(*) FROM meetings"))[0] == 1  # nothing saved yet
    await screenshot(page, "console-meeting-short-notice")
    await page.click("#meeting-form button:has-text(\"Vẫn lưu\")")
    await expect(page.locator(".banner")).to_contain_text("Đã tạo hội nghị #2")
    row = await database.fetch_one("SELECT title, format, status FROM meetings WHERE id = 2")
    assert tuple(row) == ("Hội nghị đối thoại chuyên đề thoát nước", "hybrid", "announced")

    await page.click("#meeting-2 >> text=Sửa")
    await page.fill("input[name=place]", "Hội trường UBND phường")
    await page.click("#meeting-form button[type=submit]")  # the date did not change: no warning again
    await expect(page.locator(".banner")).to_contain_text("Đã cập nhật hội nghị #2")
    audited = await database.fetch_all("SELECT action, actor FROM audit_log WHERE subject = 'meeting:2' ORDER BY id")
    assert [tuple(r) for r in audited] == [("meeting.create", "web:telegram:100000001"), ("meeting.edit", "web:telegram:100000001")]


async def test_a_meeting_two_weeks_ahead_is_saved_at_once_and_a_bad_one_says_why(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(ADMIN_ID))
    await page.goto(f"{console.url}/meetings/new")
    await page.fill("input[name=title]", "Hội nghị đối thoại năm 2026")
    await page.fill("input[name=place]", "Hội trường UBND phường")
    await page.fill("input[name=starts]", local(console, 14))
    await page.fill("input[name=closes]", local(console, 20))
    await page.click("#meeting-form button[type=submit]")
    assert await page.locator(".banner.problem").count() == 1  # the intake would close after the meeting
    await page.fill("input[name=closes]", "")
    await page.click("#meeting-form button[type=submit]")
    await expect(page.locator(".banner")).to_contain_text("Đã tạo hội nghị #2")


async def test_staff_cannot_open_the_meeting_form(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    assert await page.locator("#new-meeting").count() == 0
    await page.goto(f"{console.url}/meetings/new")
    assert await heading(page) == "Chỉ dành cho quản trị viên"


async def concerns(services: Services) -> None:
    await submit_concern(Chat(services.intake, "9002", channel="telegram"), DRAIN)
    await submit_concern(Chat(services.intake, "9003", channel="telegram"), "den duong hem 48 tan hoa hu lau roi, toi lam")


async def titles(page: Page) -> list[str]:
    return [v.strip() for v in await page.locator("form.rename input[name=title]").evaluate_all("els => els.map(e => e.value)")]


async def test_the_agenda_is_built_ordered_timed_and_downloaded(console: Console, browser: Browser, database: Database) -> None:
    await concerns(console.services)
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.click("text=Chương trình")
    await page.click("#build")
    await expect(page.locator(".banner")).to_contain_text("Đã lập")
    first, second = await titles(page)
    assert "Tân Hóa" in first and "Ông Ích Khiêm" in second
    await page.click("#item-1 >> text=Xuống")
    assert await titles(page) == [second, first]
    async with page.expect_navigation():
        await page.drag_and_drop("#item-2", "#item-1")  # the mouse's way back
    assert await titles(page) == [first, second]

    await page.fill("#item-1 input[name=minutes]", "12")
    await page.click("#item-1 form.minutes button")
    await expect(page.locator(".banner.done")).to_contain_text("Đã lưu số phút")
    await page.click("#item-2 button:text-is('Bỏ ra')")
    await expect(page.locator(".banner.done")).to_contain_text("Đã bỏ mục")
    assert "12/120 phút cho 1 mục" in (await page.text_content("#total") or "")
    await page.click("#item-2 button:text-is('Đưa vào')")
    await expect(page.locator(".banner.done")).to_contain_text("Đã đưa mục vào")
    await page.fill("#item-1 input[name=minutes]", "118")
    await page.click("#item-1 form.minutes button")
    await expect(page.locator(".banner.done")).to_contain_text("Đã lưu số phút")
    assert "Vượt 3 phút" in (await page.text_content("#total") or "")  # 118 + 5 of 120
    await page.click("#item-2 button:text-is('Bỏ ra')")
    await expect(page.locator(".banner.done")).to_contain_text("Đã bỏ mục")
    await screenshot(page, "console-agenda")
    async with page.expect_download() as downloading:
        await page.click("text=Tải DOCX")
    download = await downloading.value
    content = Path(await download.path()).read_bytes()
    text = "".join(t.text or "" for t in docx.Document(io.BytesIO(content)).element.body.iter(qn("w:t")))  # the table too
    assert "Tân Hóa" in text and "Ông Ích Khiêm" not in text
    actions = [r["action"] for r in await database.fetch_all("SELECT action FROM audit_log WHERE actor LIKE 'web:%' AND action LIKE 'agenda.%' ORDER BY id")]
    assert actions[:1] == ["agenda.build"] and "agenda.minutes" in actions and "agenda.exclude" in actions
    assert actions[-1] == "agenda.export.docx"
