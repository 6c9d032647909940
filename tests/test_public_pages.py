"""The public pages in a real Chromium, as a resident on a phone or a journalist sees them: a
meeting's notice the moment it is announced (never a draft), its results the moment they are
published — masked, searchable without accents, updating themselves — a concern by its code,
and the console's links to them. No name or phone number of a resident who shared them."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from playwright.async_api import Browser, Page, expect

from bot.domain.vocabulary import Phase
from storage.meetings import MeetingRepository
from tests.consolekit import PHONE, STAFF_ID, browser, log_in, needs_chromium, office_pc, screenshot
from tests.publickit import API_KEY, SECRETS, TELEGRAM_BOT, ZALO_OA, Site, site

pytestmark = needs_chromium
__all__ = ["browser", "site"]


async def phone(browser: Browser) -> Page:
    context = await browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True)
    return await context.new_page()


async def nothing_personal(page: Page) -> None:
    shown = await page.content()
    for secret in SECRETS:
        assert secret not in shown, secret


async def draft_meeting(site: Site) -> int:
    now = site.clock.now()
    async with site.database.transaction() as connection:
        meeting = await MeetingRepository(connection).create(
            title="Hội nghị đối thoại quý II/2026", area_id="phu-tho", starts_at=now + timedelta(days=40),
            place="Nhà văn hóa khu phố 2", format="hybrid", intake_opens_at=now + timedelta(days=5),
            intake_closes_at=now + timedelta(days=35), now=now, status=Phase.DRAFT,
        )
    return meeting.id


async def test_a_meeting_page_exists_once_announced_and_opens_the_bot(site: Site, browser: Browser) -> None:
    page = await phone(browser)
    response = await page.goto(f"{site.url}/public/meetings/1")
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "public, no-cache" and response.headers["etag"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    await expect(page.locator("h1")).to_have_text("Hội nghị đối thoại quý I/2026")
    await expect(page.locator("#place")).to_have_text("Hội trường UBND phường Phú Thọ")
    await expect(page.locator("#format")).to_have_text("Trực tiếp")
    await expect(page.locator("#intake")).to_contain_text("Từ ")
    await expect(page.locator("#open-telegram")).to_have_attribute("href", f"https://t.me/{TELEGRAM_BOT}")
    await expect(page.locator("#open-zalo")).to_have_attribute("href", f"https://zalo.me/{ZALO_OA}")
    # Readable on a phone: nothing wider than the screen.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await screenshot(page, "public-meeting")
    # Printed, the buttons give way to the notice itself.
    await page.emulate_media(media="print")
    await expect(page.locator("#open-telegram")).to_be_hidden()
    await expect(page.locator("#when")).to_be_visible()
    await page.emulate_media(media="screen")

    draft = await draft_meeting(site)
    assert (await page.goto(f"{site.url}/public/meetings/{draft}")).status == 404  # type: ignore[union-attr]
    await expect(page.locator("#not-found-page")).to_be_visible()
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{site.url}/public/meetings/{draft}/poster.pdf")).status_code == 404
    await page.goto(f"{site.url}/public")  # as typed, without the slash
    await expect(page).to_have_url(f"{site.url}/public/")
    assert await page.locator("ul.meetings > li").count() == 1
    await site.services.meetings.announce(draft, "test")
    await page.goto(f"{site.url}/public/meetings/{draft}")
    await expect(page.locator("h1")).to_have_text("Hội nghị đối thoại quý II/2026")
    await expect(page.locator("#send")).to_contain_text("Ủy ban sẽ nhận ý kiến từ")
    await page.click("#language")
    await expect(page).to_have_url(re.compile(r"lang=en"))
    await expect(page.locator("#format")).to_have_text("In person and online")
    await page.click("text=Meetings")
    assert await page.locator("ul.meetings > li").count() == 2


async def test_results_are_public_once_published_masked_and_searchable(site: Site, browser: Browser) -> None:
    page = await phone(browser)
    await page.goto(f"{site.url}/public/meetings/1/results")
    await expect(page.locator("#not-yet")).to_be_visible()
    due = await site.answer_and_publish()
    await page.goto(f"{site.url}/public/concerns/{site.drain}")  # as /status words it
    await expect(page.locator("#status")).to_have_text(f"đã chuyển Công ty Thoát nước đô thị, hạn trả lời {due:%d/%m/%Y}")
    await page.goto(f"{site.url}/public/concerns/{site.lamp}")
    await expect(page.locator("#status")).to_have_text("đã có câu trả lời")
    await page.goto(f"{site.url}/public/meetings/1")
    await page.click("#results-link")
    await expect(page.locator("article.concern")).to_have_count(2)
    drain = page.locator(f"#concern-{site.drain}")
    await expect(drain.locator(".text")).to_contain_text("[số điện thoại đã ẩn]")
    await expect(drain.locator(".text")).to_contain_text("[địa chỉ e-mail đã ẩn]")
    await expect(drain.locator(".forwarded")).to_contain_text("Công ty Thoát nước đô thị")
    await expect(drain.locator(".waiting")).to_be_visible()
    await expect(page.locator(f"#concern-{site.lamp} .by")).to_contain_text("Chủ tịch UBND phường")
    await expect(drain.locator(".residents")).to_contain_text("1 người dân nêu")
    await nothing_personal(page)
    await screenshot(page, "public-results")

    search = page.locator("#q")
    await search.fill("cong thoat nuoc")  # no accents, as people type on a phone
    await expect(page.locator("article.concern")).to_have_count(1)
    await expect(page.locator("article.concern")).to_have_attribute("data-code", site.drain)
    await search.fill("TÂN HÓA")
    await expect(page.locator("article.concern")).to_have_count(2)
    await search.fill("den hem 48")
    await expect(page.locator("article.concern")).to_have_count(1)
    await expect(page.locator("article.concern")).to_have_attribute("data-code", site.lamp)
    await search.fill("den hem 4")  # whole words, the last one as far as typed
    await expect(page.locator("article.concern")).to_have_count(1)
    await search.fill("hem 12")
    await expect(page.locator("article.concern")).to_have_count(1)
    await expect(page.locator("article.concern")).to_have_attribute("data-code", site.drain)
    await search.fill("thoát nước đô thị")  # the answer's words are searched too
    await expect(page.locator("article.concern")).to_have_count(1)
    await expect(page.locator("article.concern")).to_have_attribute("data-code", site.drain)
    await search.fill("chung cư")
    await expect(page.locator("#none")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"q=chung"))


async def test_the_results_page_updates_itself_when_the_agency_answers(site: Site, browser: Browser) -> None:
    await site.answer_and_publish()
    page = await phone(browser)
    await page.clock.install()
    await page.goto(f"{site.url}/public/meetings/1/results")
    drain = page.locator(f"#concern-{site.drain}")
    await expect(drain.locator(".waiting")).to_be_visible()
    await site.services.followup.finalise(site.drain, "Công ty đã nạo vét cống hẻm 12 ngày 2/4.", "test")
    await page.clock.run_for(61_000)  # a minute on the page's own clock: its refresh comes round
    await expect(drain.locator(".final")).to_contain_text("Công ty đã nạo vét cống hẻm 12 ngày 2/4.")
    await expect(drain.locator(".waiting")).to_have_count(0)


async def test_a_concern_is_found_by_its_code_with_public_fields_only(site: Site, browser: Browser) -> None:
    page = await phone(browser)
    await page.goto(f"{site.url}/public/status")
    await page.fill("#code", "tt 2")
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(rf"/public/concerns/{site.drain}$"))
    await expect(page.locator("#status")).to_have_text("đang chờ hội nghị")
    await expect(page.locator("#text")).to_contain_text("[số điện thoại đã ẩn]")
    await nothing_personal(page)
    await page.goto(f"{site.url}/public/status?code=TT-0999")
    await expect(page.locator("#not-found")).to_contain_text("TT-0999")

    await site.services.triage.reject(site.lamp, "Đã có kế hoạch thay đèn toàn khu phố", "test")
    await page.goto(f"{site.url}/public/concerns/{site.lamp}")
    await expect(page.locator("#status")).to_have_text("không được tiếp nhận")
    assert await page.locator("#text").count() == 0  # [public] show_rejected = "code_only"
    assert "Đã có kế hoạch" not in await page.content()


async def test_the_console_links_a_meeting_to_its_public_page_and_poster(site: Site, browser: Browser) -> None:
    async with httpx.AsyncClient() as http:
        sent = await http.post(f"{site.url}/open311/v2/requests.json", data={
            "api_key": API_KEY, "service_code": "moi-truong", "address_string": "Trước số 5 hẻm 20 Lũy Bán Bích",
            "description": "Rác tồn đọng nhiều ngày trước số 5 hẻm 20 Lũy Bán Bích, bốc mùi hôi.",
        })
    code = sent.json()[0]["service_request_id"]
    _, page = await office_pc(browser)
    await log_in(page, (await site.services.web_login.issue(STAFF_ID, "test")).url)
    await expect(page.locator("#meeting-1 a.public-page")).to_have_attribute("href", "/public/meetings/1")
    await expect(page.locator("#meeting-1 a.poster")).to_have_attribute("href", "/public/meetings/1/poster.pdf")
    await page.click("#meeting-1 >> text=Xem ý kiến")
    row = page.locator(f"tr.concern-row[data-code='{code}']")
    await expect(row).to_contain_text("Rác tồn đọng")
    await row.locator("a").click()
    await expect(page.locator("#source")).to_contain_text("hotline")
    await expect(page.locator("#source")).to_contain_text("Trước số 5 hẻm 20 Lũy Bán Bích")
    await page.goto(f"{site.url}/meetings")
    await page.click("#meeting-1 a.public-page")
    await expect(page.locator("#meeting h1")).to_have_text("Hội nghị đối thoại quý I/2026")
