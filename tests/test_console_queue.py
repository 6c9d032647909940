"""The console's queue: every concern of a meeting, filtered, searched without accents, paged."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import Meeting
from bot.domain.vocabulary import ConcernStatus
from bot.services.meetings import MeetingError
from bot.services.web_queue import QueueFilter
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.consolekit import STAFF_ID, Console, browser, console, log_in, needs_chromium, office_pc

__all__ = ["browser", "console"]

LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay."
SAME_LAMP = "den duong hem 48 tan hoa hu lau roi, toi lam"
DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập."


@pytest.fixture
async def services(settings: Settings, database: Database, clock: ManualClock, meeting: Meeting) -> Services:
    services = build_services(settings, database, clock)
    for user, text in (("801", LAMP), ("802", DRAIN), ("803", SAME_LAMP)):
        await submit_concern(Chat(services.intake, user, channel="telegram"), text)
    await services.triage.reject("TT-0002", "Không thuộc thẩm quyền", "test")
    return services


async def codes(services: Services, page_size: int | None = None, **wanted: object) -> list[str]:
    result = await services.queue_search.search(1, QueueFilter(**wanted), page_size)  # type: ignore[arg-type]
    return [row.concern.code for row in result.rows]


async def test_filters_search_and_pages(services: Services) -> None:
    assert await codes(services) == ["TT-0001", "TT-0003"]  # open ones, by default
    assert await codes(services, status=None) == ["TT-0001", "TT-0002", "TT-0003"]
    assert await codes(services, status=ConcernStatus.REJECTED) == ["TT-0002"]
    assert await codes(services, status=None, search="TÂN HÓA") == ["TT-0001", "TT-0003"]
    assert await codes(services, status=None, search="hoa tan 48") == ["TT-0001", "TT-0003"]  # word order too
    assert await codes(services, status=None, search="tt-0002") == ["TT-0002"]
    assert await codes(services, duplicates_only=True) == ["TT-0001", "TT-0003"]
    assert await codes(services, topic_id="an-ninh") == []
    assert await codes(services, area_id="kp1") == ["TT-0001", "TT-0003"]  # an area takes in the ones below it
    assert await codes(services, area_id="kp2") == []
    assert await codes(services, page_size=1, page=2) == ["TT-0003"]
    assert await codes(services, page_size=1, page=99) == ["TT-0003"]  # past the end: the last page
    with pytest.raises(MeetingError):
        await services.queue_search.search(42, QueueFilter())


@needs_chromium
async def test_the_pages_of_the_queue(console: Console, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.services.web_queue.PAGE_SIZE", 1)
    await submit_concern(Chat(console.services.intake, "804", channel="telegram"), DRAIN)
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    await page.goto(f"{console.url}/meetings/1/queue?q=&status=open")
    assert "trang 1/2" in (await page.text_content(".count") or "")
    await page.click("text=Trang sau")
    assert "trang 2/2" in (await page.text_content(".count") or "") and "status=open" in page.url
    assert [await page.text_content("tr.concern-row td.code a")] == ["TT-0002"]
