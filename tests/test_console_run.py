"""`doithoai run` serves the console when `[web] enabled`: the real process, as an office runs it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser

from storage.db import Database
from tests.conftest import create_meeting
from tests.consolekit import browser, heading, link_in, log_in, needs_chromium, office_pc
from tests.e2e import ROOT, BotProcess, write_config
from tests.fakebotapi import FakeBotApi

pytestmark = needs_chromium
__all__ = ["browser"]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def config_with_console(tmp_path: Path, api: FakeBotApi, port: int) -> Path:
    database = tmp_path / "bot.db"
    opened = await Database.open(database)
    await create_meeting(opened, datetime.now(UTC))
    await opened.close()
    config = write_config(tmp_path, api, database)
    text = config.read_text(encoding="utf-8").replace("enabled = false\n# Put it behind", "enabled = true\n# Put it behind", 1)
    config.write_text(text.replace("port = 8080", f"port = {port}", 1), encoding="utf-8")
    return config


async def test_the_running_bot_serves_the_console(api: FakeBotApi, tmp_path: Path, unused_tcp_port: int, browser: Browser) -> None:
    process = BotProcess(await config_with_console(tmp_path, api, unused_tcp_port), api, tmp_path / "bot.log")
    await process.start()
    try:
        officer = api.user(100000002, first_name="Cán bộ")
        (answer,) = await officer.reply_after(lambda: officer.send_text("/web"), 1)
        link = link_in(answer.text or "")
        assert link.startswith(f"http://127.0.0.1:{unused_tcp_port}/login/")
        _, page = await office_pc(browser)
        await log_in(page, link)
        assert await heading(page) == "Các hội nghị đối thoại"
    finally:
        assert await process.stop() == 0
    assert link.split("/login/")[1] not in process.log()  # no access log of login links


async def test_a_console_port_in_use_stops_the_bot_with_one_line(api: FakeBotApi, tmp_path: Path, unused_tcp_port: int) -> None:
    config = await config_with_console(tmp_path, api, unused_tcp_port)
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", unused_tcp_port)
    try:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token}
        env.pop("DOITHOAI_CONFIG", None)
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(run.communicate(), timeout=60)
    finally:
        taken.close()
        await taken.wait_closed()
    assert run.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith("error: the console cannot listen on 127.0.0.1:") and api.token not in err.decode()
