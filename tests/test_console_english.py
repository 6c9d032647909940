"""The console in English: every page's own words (headings, labels, buttons, column heads) are
English, whatever language the residents wrote in."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Browser

from bot.services.answers import AnswerInput
from tests.consolekit import ADMIN_ID, Console, browser, console, log_in, needs_chromium, office_pc
from tests.test_console_answers import held_meeting_with_an_agenda

pytestmark = needs_chromium
__all__ = ["browser", "console"]

VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
PAGES = ("/meetings", "/meetings/1/queue", "/concerns/TT-0001", "/meetings/1/agenda", "/meetings/1/answers",
         "/meetings/1/results", "/followup", "/audit", "/meetings/new", "/meetings/1/edit", "/welcome")
# The page's own words: not what residents wrote, not the names of places and meetings.
OWN_WORDS = """() => [...document.querySelectorAll('h1, h2, th, button, summary, .hint, .count, dt, label')].map(e => {
        const own = e.cloneNode(true);
        own.querySelectorAll('.data, .status, select, textarea, input').forEach(x => x.remove());
        return own.textContent.trim();
    }).filter(Boolean)"""


async def test_every_page_speaks_english_when_asked(console: Console, browser: Browser) -> None:
    await held_meeting_with_an_agenda(console)
    await console.services.answers.record_item(1, 1, AnswerInput("answered", "Đã thay bóng đèn.", "Chủ tịch"), "test")
    console.clock.advance(timedelta(hours=1))
    _, page = await office_pc(browser)
    await log_in(page, await console.link(ADMIN_ID))
    await page.click("text=English")
    for path in PAGES:
        await page.goto(f"{console.url}{path}")
        words = await page.evaluate(OWN_WORDS)
        assert words, path
        vietnamese = [w for w in words if VIETNAMESE.search(w)]
        assert not vietnamese, f"{path}: {vietnamese}"
