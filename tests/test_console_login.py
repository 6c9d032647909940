"""Logging in to the console with one-time links, in a real Chromium; and every refusal audited:
a used link, an expired one, a resident's id, a form without its CSRF token, a non-admin
trying an admin's action, too many failed attempts, an idle session."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser

from bot.cli import main
from bot.domain.identity import Identity
from bot.services.web_login import FAILED_ATTEMPTS_ALLOWED, LINK_LIFETIME, WebLoginError
from storage.db import Database
from tests.consolekit import (
    ADMIN_ID, PHONE, STAFF_ID, Console, browser, console, heading, log_in, needs_chromium, office_pc, screenshot,
)
from tests.staffchat import ADMIN, STAFF, StaffChat

pytestmark = needs_chromium
__all__ = ["browser", "console"]  # the fixtures, imported for the tests here


async def test_a_link_logs_in_once_and_then_says_it_was_used(console: Console, browser: Browser) -> None:
    link = await console.link(ADMIN_ID)
    context, page = await office_pc(browser)
    await page.goto(link)
    await screenshot(page, "console-login")
    await page.click("#login")
    assert await heading(page) == "Các hội nghị đối thoại"
    cookie = next(c for c in await context.cookies() if c["name"] == "doithoai_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await page.click("text=Đăng xuất")
    assert "đã đăng xuất" in (await page.text_content("main") or "")
    assert await page.locator("form[action=\"/logout\"]").count() == 0
    assert cookie.get("expires", -1) == -1  # forgotten when the browser closes
    await page.goto(f"{console.url}/meetings")
    assert page.url.endswith("/welcome")

    await page.goto(link)
    assert await heading(page) == "Liên kết đã được dùng"
    assert await console.audit("web.login") == [(f"web:telegram:{ADMIN}", "done"), (f"web:telegram:{ADMIN}", "used")]
    assert await console.audit("web.logout") == [(f"web:telegram:{ADMIN}", "done")]


async def test_an_expired_link_says_so_and_is_audited(console: Console, browser: Browser) -> None:
    link = await console.link()
    console.clock.advance(LINK_LIFETIME + timedelta(seconds=1))
    _, page = await office_pc(browser)
    await page.goto(link)
    assert await heading(page) == "Liên kết đã hết hạn"
    await screenshot(page, "console-link-expired")
    assert await console.audit("web.login") == [(f"web:telegram:{STAFF}", "expired")]


async def test_a_residents_id_gets_no_link(console: Console, database: Database) -> None:
    with pytest.raises(WebLoginError):
        await console.services.web_login.issue(Identity("telegram", "9001"), "telegram:9001")
    replies = await StaffChat(console.services.router, "9001", chat_id="9001").command("/web")
    assert "chỉ dành cho" in replies[0].text
    refused = await database.fetch_all("SELECT action, outcome FROM audit_log WHERE outcome = 'forbidden' ORDER BY id")
    assert [tuple(r) for r in refused] == [("web.link", "forbidden"), ("web", "forbidden")]
    assert (await database.fetch_one("SELECT count(*) FROM web_login_links"))[0] == 0


def test_the_cli_gives_links_to_staff_only(console: Console, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    example = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(example.replace('path = "data/doithoai.db"', f'path = "{console.database.path}"'), encoding="utf-8")
    assert main(["web", "login-link", STAFF, "--config", str(config)], clock=console.clock) == 0
    assert "/login/" in capsys.readouterr().out
    assert main(["web", "login-link", "9001", "--config", str(config)], clock=console.clock) == 2
    assert "only staff" in capsys.readouterr().err


async def test_a_form_without_its_csrf_token_is_refused(console: Console, browser: Browser, database: Database) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link())
    await page.goto(f"{console.url}/concerns/TT-0001")
    await page.fill("#reject textarea", "Biểu mẫu giả mạo")
    # A page of another site could post this form, but could not know the token.
    await page.evaluate("document.querySelector('#reject input[name=csrf]').remove()")
    await page.click("#reject button")
    assert await heading(page) == "Không thực hiện được thao tác"
    assert (await database.fetch_one("SELECT status FROM concerns WHERE id = 1"))["status"] == "open"
    refused = await database.fetch_one("SELECT actor, after FROM audit_log WHERE outcome = 'forbidden'")
    assert refused["actor"] == f"web:telegram:{STAFF}" and "csrf" in refused["after"]


async def test_a_login_posted_by_another_site_is_refused(console: Console, browser: Browser, database: Database) -> None:
    context, page = await office_pc(browser)
    link = await console.link()
    response = await context.request.post(link, headers={"Origin": "https://evil.example"}, max_redirects=0)
    assert response.status == 403 and "Không thực hiện được" in await response.text()
    assert not any(c["name"] == "doithoai_console" for c in await context.cookies())
    refused = await database.fetch_one("SELECT after FROM audit_log WHERE action = 'web.refused'")
    assert "origin" in refused["after"]
    await log_in(page, link)  # the link was not spent


async def test_staff_are_refused_an_admins_action(console: Console, browser: Browser, database: Database) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    assert await page.locator("text=Dừng nhận ý kiến").count() == 0  # not offered ...
    # ... and refused when forged, with a valid token.
    async with page.expect_navigation():
        await page.evaluate("""() => {
            const form = document.createElement('form');
            form.method = 'post'; form.action = '/meetings/1/close';
            const token = document.querySelector('input[name=csrf]').cloneNode();
            form.appendChild(token); document.body.appendChild(form); form.submit();
        }""")
    assert await heading(page) == "Chỉ dành cho quản trị viên"
    assert (await database.fetch_one("SELECT version FROM meetings WHERE id = 1"))["version"] == 1
    refused = await database.fetch_one("SELECT actor, action, subject, outcome FROM audit_log WHERE outcome = 'forbidden'")
    assert tuple(refused) == (f"web:telegram:{STAFF}", "web.refused", "web:/meetings/1/close", "forbidden")


async def test_an_admin_closes_the_intake(console: Console, browser: Browser, database: Database) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(ADMIN_ID))
    await page.click("text=Dừng nhận ý kiến")
    assert "đã dừng nhận ý kiến" in (await page.text_content(".banner") or "")
    row = await database.fetch_one("SELECT actor FROM audit_log WHERE action = 'meeting.edit'")
    assert row["actor"] == f"web:telegram:{ADMIN}"


async def test_too_many_failed_attempts_are_refused_for_a_while(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    for attempt in range(FAILED_ATTEMPTS_ALLOWED):
        await page.goto(f"{console.url}/login/not-a-link-{attempt}")
    assert await heading(page) == "Liên kết không hợp lệ"
    await page.goto(await console.link())
    assert await heading(page) == "Thử quá nhiều lần"
    assert ("web:127.0.0.1", "too_many") in await console.audit("web.login")
    console.clock.advance(timedelta(minutes=11))
    await log_in(page, await console.link())


async def test_an_idle_session_ends(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link())
    console.clock.advance(timedelta(minutes=console.settings.web.session_idle_minutes - 1))
    await page.reload()
    assert await heading(page) == "Các hội nghị đối thoại"
    console.clock.advance(timedelta(minutes=console.settings.web.session_idle_minutes + 1))
    await page.reload()
    assert page.url.endswith("/welcome")


async def test_english_is_a_switch_away_and_pages_carry_a_strict_policy(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await page.goto(await console.link())
    response = await page.reload()
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "same-origin"
    await page.click("#login")
    await page.click("text=English")
    assert await heading(page) == "Dialogue meetings"
    await page.click("text=Tiếng Việt")
    assert await heading(page) == "Các hội nghị đối thoại"


async def test_the_console_fits_a_phone(console: Console, browser: Browser) -> None:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await log_in(page, await console.link(ADMIN_ID))
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await screenshot(page, "console-meetings-phone")
