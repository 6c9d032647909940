"""The console's inputs in the page's language, whatever the browser's: in a Chromium set to
English, a Vietnamese page shows no "Choose file", "No file chosen" or mm/dd/yyyy — dates and
times are typed as the ward writes them (dd/mm/yyyy), read on the server with a clear sentence
when wrong, and file buttons are labels in the page's words."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Browser, Page, expect

from bot.services.answers import AnswerInput
from tests.consolekit import ADMIN_ID, OFFICE_PC, Console, browser, console, log_in, needs_chromium
from tests.test_console_answers import held_meeting_with_an_agenda

pytestmark = needs_chromium
__all__ = ["browser", "console"]

ENGLISH = re.compile(r"choose file|no file chosen|mm/dd/yyyy|dd/mm/yyyy|browse", re.IGNORECASE)


async def english_browser(browser: Browser) -> Page:
    context = await browser.new_context(viewport=OFFICE_PC, locale="en-US", extra_http_headers={"Accept-Language": "en-US"})
    return await context.new_page()


async def no_english_inputs(page: Page) -> None:
    """No input the browser words itself, and every file button is this page's label."""
    native = await page.locator("input[type=date], input[type=time], input[type=datetime-local], input[type=month]").count()
    assert native == 0
    files = page.locator("input[type=file]")
    for index in range(await files.count()):
        box = await files.nth(index).bounding_box()
        assert box is not None and box["width"] <= 1 and box["height"] <= 1  # the browser's own button is hidden
        label = page.locator(f"label[for='{await files.nth(index).get_attribute('id')}']")
        await expect(label).to_have_count(1)  # (some are in a closed <details>: there, but not shown yet)
        assert (await label.text_content() or "").startswith("Chọn tệp")
    shown = await page.locator("main").inner_text()
    placeholders = await page.locator("input[placeholder]").evaluate_all("inputs => inputs.map(i => i.placeholder)")
    assert not ENGLISH.search(shown + " ".join(placeholders)), shown


async def test_a_vietnamese_page_in_an_english_browser_shows_no_english_inputs(console: Console, browser: Browser) -> None:
    await held_meeting_with_an_agenda(console)
    forwarded = AnswerInput("forwarded", "Chuyển Công ty thoát nước.", "Chủ tịch UBND phường", "Công ty thoát nước",
                            (console.clock.now() + timedelta(days=30)).date())
    await console.services.answers.record("TT-0002", forwarded, "test")
    page = await english_browser(browser)
    await log_in(page, await console.link(ADMIN_ID))
    assert await page.evaluate("navigator.language") == "en-US"

    await page.goto(f"{console.url}/meetings/new")
    await no_english_inputs(page)
    assert await page.get_attribute("input[name=starts]", "placeholder") == "ngày/tháng/năm giờ:phút"
    await page.fill("input[name=title]", "Hội nghị đối thoại chuyên đề")
    await page.fill("input[name=place]", "Hội trường khu phố 2")
    await page.fill("input[name=starts]", "31/02/2026 08:00")  # the form's pattern takes it; no such day
    await page.click("#meeting-form button[type=submit]")
    await expect(page.locator(".banner.problem")).to_contain_text("“31/02/2026 08:00” không phải ngày giờ hợp lệ")
    assert await page.input_value("input[name=starts]") == "31/02/2026 08:00"  # kept for correcting

    await page.goto(f"{console.url}/meetings/1/answers")
    await no_english_inputs(page)
    form = page.locator("#answer-item-1 > form.answer-form")
    await form.locator("select[name=disposition]").select_option("forwarded")
    await form.locator("textarea[name=answer]").fill("Chuyển Công ty Chiếu sáng công cộng.")
    await form.locator("input[name=agency]").fill("Công ty Chiếu sáng công cộng")
    await form.locator("input[name=due_date]").fill("30/02/2026")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".banner.problem")).to_contain_text("“30/02/2026” không phải ngày hợp lệ")
    # The label is the button: pressing it opens the browser's file chooser.
    async with page.expect_file_chooser() as chooser:
        await page.click("#answer-item-1 > form.answer-form label.file-button")
    assert (await chooser.value).is_multiple()

    await page.goto(f"{console.url}/followup")
    await expect(page.locator("tr.followup-row")).to_have_count(1)
    await no_english_inputs(page)
    await page.goto(f"{console.url}/audit")
    await no_english_inputs(page)
