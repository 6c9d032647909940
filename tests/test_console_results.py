"""Follow-up of forwarded concerns and a meeting's results in the console: overdue marked, the
agency's final answer recorded in place and pushed, the 10-day deadline counted down, the
report downloaded, the statistics shown."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from bot.services.answers import AnswerInput
from storage.db import Database
from tests.consolekit import STAFF_ID, Console, browser, console, log_in, needs_chromium, office_pc, screenshot
from tests.test_console_answers import held_meeting_with_an_agenda
from tests.test_statistics import seed

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
    assert await page.locator("#chart-disposition svg g.chart-bar").count() == 1
    await screenshot(page, "console-results")
    async with page.expect_download() as downloading:
        await page.click("text=Tải DOCX")
    assert Path(await (await downloading.value).path()).read_bytes().startswith(b"PK")
    await page.reload()
    await expect(page.locator("#deadline .banner")).to_contain_text("Đã xuất báo cáo kết quả")


async def bars(page: Page, chart: str) -> dict[str, int]:
    """What a chart's SVG draws, label by count, and the same read from its table."""
    drawn = page.locator(f"#chart-{chart} svg g.chart-bar")
    found = {await g.get_attribute("data-label") or "": int(await g.get_attribute("data-count") or -1)
             for g in await drawn.all()}
    for label, count in found.items():
        await expect(page.locator(f"#chart-{chart} svg g.chart-bar[data-label='{label}'] text.value")).to_contain_text(str(count))
    rows = page.locator(f"#chart-{chart} table.chart-data tbody tr")
    tabled = {(await r.locator("th").text_content() or "").strip(): int(await r.locator("td").first.text_content() or -1)
              for r in await rows.all()}
    assert tabled == found
    return found


async def test_the_statistics_are_charts_of_one_meeting_or_of_all(console: Console, browser: Browser, database: Database) -> None:
    # Meetings 2 and 3 hold the concerns counted by hand in tests/test_statistics.py; meeting 1 the console's one.
    first, _second = await seed(database, console.settings, console.clock)
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.click("text=Thống kê")
    await page.select_option("#meeting", str(first.id))
    await expect(page.locator("#scope-said")).to_contain_text(f"Hội nghị #{first.id}")
    assert await bars(page, "topic") == {"Hẻm, đường sá, đèn chiếu sáng": 2, "An ninh trật tự": 1,
                                         "Môi trường, rác thải, vệ sinh": 1, "Thoát nước, ngập úng": 1}
    assert await bars(page, "area") == {"Tổ dân phố 1 (hẻm 48 Tân Hóa), Khu phố 1, Phường Phú Thọ": 3,
                                        "Tổ dân phố 2, Khu phố 1, Phường Phú Thọ": 1, "Khu phố 2, Phường Phú Thọ": 1}
    assert await bars(page, "disposition") == {"Chuyển cơ quan chức năng giải quyết": 3, "Đã trả lời tại hội nghị": 1,
                                               "Lãnh đạo phường giải thích, trả lời": 1}
    assert await bars(page, "on-time") == {"Đã trả lời đúng hạn": 1, "Đã trả lời nhưng trễ hạn": 1,
                                           "Chưa trả lời, chưa đến hạn": 0, "Chưa trả lời, đã quá hạn": 1}
    assert await bars(page, "satisfaction") == {"Hài lòng": 2, "Chưa hài lòng": 1}
    await expect(page.locator("#on-time-rate")).to_have_text("50%")
    await expect(page.locator("#in-numbers")).to_contain_text("8 ý kiến: 4 đang giải quyết, 1 đã gộp vào ý kiến khác")
    svg = page.locator("#chart-satisfaction svg")
    assert await svg.get_attribute("role") == "img"
    await expect(svg.locator("title")).to_have_text("Mức độ hài lòng của người dân")
    await expect(svg.locator("desc")).to_contain_text("Hài lòng: 2 (67%)")
    await screenshot(page, "console-statistics")

    # Every meeting of the unit: the console's own concern (meeting 1) counts too.
    await page.select_option("#meeting", "all")
    await expect(page.locator("#scope-said")).to_contain_text("Tất cả các hội nghị")
    assert (await bars(page, "topic"))["Hẻm, đường sá, đèn chiếu sáng"] == 3
    assert (await bars(page, "topic"))["Thoát nước, ngập úng"] == 2
    assert await bars(page, "on-time") == {"Đã trả lời đúng hạn": 1, "Đã trả lời nhưng trễ hạn": 1,
                                           "Chưa trả lời, chưa đến hạn": 1, "Chưa trả lời, đã quá hạn": 1}
    assert "meeting=all" in page.url
    await page.click("text=English")
    await expect(page.locator("#chart-topic h2")).to_have_text("Concerns by subject")
    assert (await bars(page, "satisfaction")) == {"Satisfied": 2, "Not satisfied": 1}
    await expect(page.locator("#scope-said")).to_contain_text("Every meeting of")
