"""Follow-up of forwarded concerns and a meeting's results in the console: overdue marked, the
agency's final answer recorded in place and pushed, the 10-day deadline counted down, the
report downloaded, the statistics shown."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, expect

from bot.services.answers import AnswerInput
from storage.db import Database
from tests.consolekit import STAFF_ID, Console, browser, console, log_in, needs_chromium, office_pc, screenshot
from tests.test_console_answers import held_meeting_with_an_agenda

pytestmark = needs_chromium
__all__ = ["browser", "console"]


async def test_a_forwarded_concern_is_followed_until_its_final_answer(console: Console, browser: Browser, database: Database) -> None:
    await held_meeting_with_an_agenda(console)
    due = (console.clock.now() + timedelta(days=5)).astimezone(console.settings.zone).date()
    forwarded = AnswerInput("forwarded", "Chuyển Công ty Chiếu sáng công cộng.", "Chủ tịch UBND phường",
                            "Công ty Chiếu sáng công cộng", due)
    await console.services.answers.record_item(1, 1, forwarded, "test")
    console.clock.advance(timedelta(days=6))
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.click("text=Theo dõi")
    row = page.locator("tr.followup-row[data-code='TT-0001']")
    await expect(row.locator(".badge.late")).to_have_text("quá hạn")
    await screenshot(page, "console-followup")
    await row.locator("textarea").fill("Công ty đã thay bóng đèn ngày 28/3.")
    await row.locator("button").click()
    await expect(page.locator(".banner.done")).to_contain_text("TT-0001")
    assert await page.locator("tr.followup-row").count() == 0
    pushed = await database.fetch_one("SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'final:1:1:%'")
    assert pushed[0] == 1
    audited = await database.fetch_one("SELECT actor FROM audit_log WHERE action = 'answers.final'")
    assert audited["actor"] == "web:telegram:100000002"


async def test_the_results_deadline_is_counted_down_until_the_report_is_exported(console: Console, browser: Browser) -> None:
    await held_meeting_with_an_agenda(console)
    await console.services.answers.record_item(1, 1, AnswerInput("answered", "Đã thay bóng đèn.", "Chủ tịch"), "test")
    console.clock.advance(timedelta(days=6))  # the meeting was a week ago
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.click("#meeting-1 >> text=Kết quả")
    await expect(page.locator("#deadline .banner")).to_contain_text("Còn 3 ngày")
    assert await page.locator("table.bars meter").count() >= 3
    await screenshot(page, "console-results")
    async with page.expect_download() as downloading:
        await page.click("text=Tải DOCX")
    assert Path(await (await downloading.value).path()).read_bytes().startswith(b"PK")
    await page.reload()
    await expect(page.locator("#deadline .banner")).to_contain_text("Đã xuất báo cáo kết quả")
