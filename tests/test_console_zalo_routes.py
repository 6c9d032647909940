"""The console's publishing progress says how the answers went on Zalo: free and charged
consultation messages, templates by Zalo id and by phone number, and how many are held."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from bot.services.answers import AnswerInput
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.consolekit import (
    STAFF_ID,
    Console,
    browser,
    console,
    log_in,
    needs_chromium,
    office_pc,
)

pytestmark = needs_chromium
__all__ = ["browser", "console"]

ROUTES = ("consultation", "consultation_charged", "template", "template", "template_phone")


async def test_the_answers_page_counts_each_zalo_route(console: Console, browser: Browser, database: Database) -> None:
    # Five more residents, then the meeting is held and every concern is answered and published.
    for number in range(5):
        await submit_concern(Chat(console.services.intake, f"91{number:02d}", channel="telegram"), f"Ý kiến số {number}: hẻm 48 ngập khi mưa lớn.")
    console.clock.advance(timedelta(days=15))
    codes = [row["code"] for row in await database.fetch_all("SELECT code FROM concerns ORDER BY id")]
    for code in codes:
        await console.services.answers.record(code, AnswerInput("answered", "Phường cho nạo vét cống.", "Chủ tịch UBND phường"), "test")
    assert (await console.services.publishing.publish(1, "test")).queued == 6
    # As the Zalo sender would have recorded them: five routes, and one held.
    rows = await database.fetch_all("SELECT id FROM outbox WHERE dedupe_key LIKE 'answer:%' ORDER BY id")
    async with database.transaction() as connection:
        for row, route in zip(rows, (*ROUTES, "held"), strict=True):
            status = "held" if route == "held" else "sent"
            await connection.execute("UPDATE outbox SET status = ?, route = ? WHERE id = ?", (status, route, row["id"]))

    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.goto(f"{console.url}/meetings/1/answers")
    await expect(page.locator("#progress [data-routes]")).to_have_text(
        "Trên Zalo: 1 tin tư vấn miễn phí, 1 tin tư vấn tính phí, 2 tin mẫu theo tài khoản Zalo, "
        "1 tin mẫu theo số điện thoại, 1 tin đang giữ lại.")
