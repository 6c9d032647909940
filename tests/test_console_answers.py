"""After the meeting, in the console: answers by the form per item or concern, or by the filled
agenda sheet with every row's problem listed first; then publishing and its progress."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from playwright.async_api import Browser, Page, expect

from bot.documents.answer_sheet import AGENDA_COLUMNS
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.consolekit import STAFF_ID, Console, browser, console, log_in, needs_chromium, office_pc, screenshot

pytestmark = needs_chromium
__all__ = ["browser", "console"]

DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập cả đoạn đường."
COLUMN = {key: number for number, (key, _) in enumerate(AGENDA_COLUMNS, start=1)}


async def held_meeting_with_an_agenda(console: Console) -> None:
    await submit_concern(Chat(console.services.intake, "9002", channel="telegram"), DRAIN)
    await console.services.agenda.build(1, "test")
    console.clock.advance(timedelta(days=15))  # the meeting has been held


async def answers_page(console: Console, browser: Browser) -> Page:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.click("text=Trả lời")
    return page


async def test_an_answer_per_item_by_the_form_then_publishing(console: Console, browser: Browser, database: Database) -> None:
    await held_meeting_with_an_agenda(console)
    page = await answers_page(console, browser)
    item = page.locator("#answer-item-1 > form.answer-form")
    await item.locator("select[name=disposition]").select_option("forwarded")
    await item.locator("textarea[name=answer]").fill("Chuyển Công ty Chiếu sáng công cộng thay bóng đèn.")
    await item.locator("button").click()
    await expect(page.locator(".banner.problem")).to_contain_text("cơ quan")  # forwarded: to whom, by when?
    assert (await database.fetch_one("SELECT count(*) FROM answers"))[0] == 0

    item = page.locator("#answer-item-1 > form.answer-form")
    await item.locator("select[name=disposition]").select_option("answered")
    await item.locator("textarea[name=answer]").fill("Phường đã thay bóng đèn hẻm 48 Tân Hóa ngày 20/3.")
    await item.locator("button").click()
    await expect(page.locator(".banner.done")).to_contain_text("Đã ghi câu trả lời cho cả mục")
    assert "Đã trả lời tại hội nghị" in (await page.text_content("#answer-item-1 .members") or "")
    row = await database.fetch_one("SELECT disposition, answered_by, recorded_by FROM answers")
    assert tuple(row) == ("answered", console.settings.unit.chair_title, "web:telegram:100000002")

    await page.click("#publish")
    await expect(page.locator(".banner.done")).to_contain_text("Đã bắt đầu gửi")
    await expect(page.locator("#progress [data-step=pending] strong")).to_have_text("1")  # no bot sends in this test
    await screenshot(page, "console-answers")


async def test_the_filled_sheet_is_checked_whole_before_anything_is_recorded(
    console: Console, browser: Browser, database: Database
) -> None:
    await held_meeting_with_an_agenda(console)
    exported = await console.services.exports.agenda_file(1, "xlsx", "test")
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    table = book.worksheets[0]
    table.cell(2, COLUMN["disposition"], "Đã trả lời tại hội nghị")
    table.cell(2, COLUMN["answer"], "Phường đã thay bóng đèn.")
    table.cell(2, COLUMN["answered_by"], "Chủ tịch UBND phường")
    table.cell(3, COLUMN["disposition"], "Chuyển cơ quan chức năng")  # no agency, no date
    table.cell(3, COLUMN["answer"], "Chuyển Công ty thoát nước.")
    table.cell(3, COLUMN["answered_by"], "Chủ tịch UBND phường")
    page = await answers_page(console, browser)

    async def upload() -> None:
        content = io.BytesIO()
        book.save(content)
        await page.set_input_files("#sheet input[type=file]", files=[{
            "name": "chuong-trinh.xlsx", "buffer": content.getvalue(),
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
        await page.click("#sheet button")

    await upload()
    problems = page.locator("#sheet-problems tr")
    await expect(problems).to_have_count(2)
    assert "3" in (await problems.nth(0).text_content() or "")  # the row, as the spreadsheet numbers it
    assert (await database.fetch_one("SELECT count(*) FROM answers"))[0] == 0
    table.cell(3, COLUMN["forwarded_to"], "Công ty TNHH MTV Thoát nước đô thị")
    table.cell(3, COLUMN["due_date"], (console.clock.now() + timedelta(days=30)).strftime("%d/%m/%Y"))
    await upload()
    await expect(page.locator(".banner.done")).to_contain_text("Đã ghi câu trả lời từ tệp (2 ý kiến)")
    assert (await database.fetch_one("SELECT count(*) FROM answers"))[0] == 2
