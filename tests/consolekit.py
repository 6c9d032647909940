"""The staff console in a real Chromium, through Playwright: Debian's browser, nothing downloaded.

Off CI, a machine without /usr/bin/chromium skips these tests with how to install it; in CI
(`CI=true`) .ci/system-packages installs it and they run (tests/system.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from bot.config import Settings
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
    """For the README: docs/screenshots/NAME.png, written again by every run."""
    if os.environ.get("DOITHOAI_NO_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def link_in(text: str) -> str:
    """The login link in the bot's answer to /web."""
    found = re.search(r"https?://\S+/login/\S+", text)
    assert found, f"no login link in {text!r}"
    return found.group(0)
