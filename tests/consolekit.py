"""The staff console in a real Chromium, through Playwright: Debian's browser, nothing downloaded.

Off CI, a machine without /usr/bin/chromium skips these tests with how to install it; in CI
(`CI=true`) .ci/system-packages installs it and they run (tests/system.py).
"""

from __future__ import annotations

import os
import re
import tempfile
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.identity import Identity
from handlers.web import WebConsole
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting
from tests.staffchat import ADMIN, STAFF
from tests.system import needs_program

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
# The browser the tests drive: Debian's package (`apt-get install chromium`), never Playwright's download.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking switches Chromium calls Google's services at start; on a
# closed network those connections are refused and slow everything down.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
OFFICE_PC = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

needs_chromium = needs_program("chromium", "chromium")
ADMIN_ID = Identity("telegram", ADMIN)
STAFF_ID = Identity("telegram", STAFF)
LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay."


def with_console(settings: Settings, port: int) -> Settings:
    """The settings with the console switched on, on 127.0.0.1:`port`."""
    web = settings.web.model_copy(update={"enabled": True, "listen": "127.0.0.1", "port": port, "public_url": ""})
    return settings.model_copy(update={"web": web})


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def office_pc(browser: Browser, **options: object) -> tuple[BrowserContext, Page]:
    """A new browser profile (its own cookies) with one tab the size of an office screen."""
    context = await browser.new_context(viewport=OFFICE_PC, locale="vi-VN", **options)  # type: ignore[arg-type]
    return context, await context.new_page()


async def log_in(page: Page, link: str) -> None:
    """Opens a login link and presses the button on its page: the meetings are shown."""
    await page.goto(link)
    await page.click("#login")
    await page.wait_for_url(re.compile(r"/meetings$"))


async def screenshot(page: Page, name: str) -> None:
    """The page as a picture. With DOITHOAI_SCREENSHOTS=1 it goes to docs/screenshots/NAME.png,
    for the README; otherwise to a temporary file, so that a test run leaves the tree clean."""
    if os.environ.get("DOITHOAI_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        return
    with tempfile.TemporaryDirectory() as folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def link_in(text: str) -> str:
    """The login link in the bot's answer to /web."""
    found = re.search(r"https?://\S+/login/\S+", text)
    assert found, f"no login link in {text!r}"
    return found.group(0)


@dataclass(frozen=True)
class Console:
    services: Services
    settings: Settings
    clock: ManualClock
    database: Database

    @property
    def url(self) -> str:
        return self.settings.web.base_url

    async def link(self, identity: Identity = STAFF_ID) -> str:
        return (await self.services.web_login.issue(identity, "test")).url

    async def audit(self, action: str) -> list[tuple[str, str]]:
        rows = await self.database.fetch_all(
            "SELECT actor, outcome FROM audit_log WHERE action = ? ORDER BY id", (action,))
        return [(row["actor"], row["outcome"]) for row in rows]


@pytest.fixture
async def console(settings: Settings, database: Database, clock: ManualClock, unused_tcp_port: int) -> AsyncIterator[Console]:
    settings = with_console(settings, unused_tcp_port)
    services = build_services(settings, database, clock)
    await create_meeting(database, clock.now())
    await submit_concern(Chat(services.intake, "9001", channel="telegram"), LAMP)
    server = WebConsole(settings, services, clock)
    await server.start()
    try:
        yield Console(services, settings, clock, database)
    finally:
        await server.stop()


async def heading(page: Page) -> str:
    return (await page.text_content("h1") or "").strip()
