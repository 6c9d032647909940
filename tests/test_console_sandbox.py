"""`doithoai sandbox` serves the console too, and prints a login link for its demo admin."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Browser

from bot.app import run_sandbox
from bot.clock import ManualClock
from bot.config import Settings
from tests.consolekit import browser, link_in, log_in, needs_chromium, office_pc, with_console
from tests.test_sandbox import Terminal

pytestmark = needs_chromium
__all__ = ["browser"]


async def test_the_sandbox_prints_a_link_that_logs_the_demo_admin_in(
    settings: Settings, tmp_path: Path, clock: ManualClock, unused_tcp_port: int, browser: Browser
) -> None:
    settings = with_console(settings, unused_tcp_port)
    terminal = Terminal()
    session = asyncio.create_task(
        run_sandbox(settings, tmp_path / "sandbox.db", "vi", clock, terminal.lines, terminal.out, console=True))
    await terminal.until(lambda text: "/login/" in text)
    _, page = await office_pc(browser)
    await log_in(page, link_in(terminal.text))
    assert "quản trị viên" in (await page.text_content(".who") or "")
    assert await page.locator("text=Dừng nhận ý kiến").count() == 1  # the demo meeting, open for concerns
    await terminal.quit(session)


async def test_a_port_in_use_leaves_the_sandbox_running_without_the_console(
    settings: Settings, tmp_path: Path, clock: ManualClock, unused_tcp_port: int
) -> None:
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", unused_tcp_port)
    try:
        terminal = Terminal()
        session = asyncio.create_task(run_sandbox(
            with_console(settings, unused_tcp_port), tmp_path / "sandbox.db", "en", clock, terminal.lines,
            terminal.out, console=True))
        await terminal.until(lambda text: "could not start" in text)
        await terminal.ready()
        await terminal.quit(session)
    finally:
        taken.close()
        await taken.wait_closed()
