"""The audit log page (admins): what was done from the chat, the CLI and the console, refusals
included, filtered by who, what and when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Browser, expect

from bot.domain.identity import Identity
from bot.services.web_login import WebLoginError
from tests.consolekit import ADMIN_ID, STAFF_ID, Console, browser, console, heading, log_in, needs_chromium, office_pc
from tests.staffchat import STAFF, StaffChat

pytestmark = needs_chromium
__all__ = ["browser", "console"]


async def test_the_audit_log_filters_by_who_what_and_when(console: Console, browser: Browser) -> None:
    services = console.services
    await StaffChat(services.router, STAFF).command("/reject TT-0001 Không thuộc thẩm quyền của phường")
    await StaffChat(services.router, STAFF).command("/meeting_close 1")  # refused: admins only
    with pytest.raises(WebLoginError):
        await services.web_login.issue(Identity("telegram", "9001"), "telegram:9001")
    _, page = await office_pc(browser)
    await log_in(page, await console.link(ADMIN_ID))
    await page.click("text=Nhật ký")
    assert await heading(page) == "Nhật ký thao tác"
    rows = page.locator("#audit tr.entry")
    assert await rows.count() == 5  # link given, login, the reject, the refused close, the refused link

    await page.select_option("select[name=who]", f"telegram:{STAFF}")
    await page.click("form.filters button")
    await expect(rows).to_have_count(2)
    assert "Không tiếp nhận" in (await rows.nth(1).text_content() or "")
    assert "bị từ chối" in (await rows.nth(0).text_content() or "")

    await page.select_option("select[name=who]", "")
    await page.select_option("select[name=what]", "web")
    await page.click("form.filters button")
    await expect(rows).to_have_count(3)
    tomorrow = (console.clock.now() + timedelta(days=1)).astimezone(console.settings.zone).strftime("%d/%m/%Y")
    await page.fill("input[name=from]", tomorrow)
    await page.click("form.filters button")
    await expect(rows).to_have_count(0)


async def test_staff_do_not_see_the_audit_log(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    assert await page.locator("a[href='/audit']").count() == 0
    await page.goto(f"{console.url}/audit")
    assert await heading(page) == "Chỉ dành cho quản trị viên"
