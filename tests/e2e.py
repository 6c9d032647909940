"""Helpers for end-to-end tests: the real python-telegram-bot Application against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Secrets, Settings
from bot.domain.messages import Inbound, Reply
from handlers.telegram.channel import TelegramChannel
from tests.fakebotapi import FakeBotApi, FakeUser, SentMessage

ROOT = Path(__file__).resolve().parent.parent


def settings_for(settings: Settings, api: FakeBotApi, **telegram: object) -> Settings:
    """The example settings, pointed at the fake server and polling with a short timeout."""
    updated = settings.telegram.model_copy(
        update={"base_url": api.base_url, "base_file_url": api.base_file_url, "poll_timeout": 1, **telegram}
    )
    return settings.model_copy(update={"telegram": updated})


@asynccontextmanager
async def running_channel(
    settings: Settings, api: FakeBotApi, handle: Callable[[Inbound], Awaitable[list[Reply]]]
) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(settings_for(settings, api), Secrets(api.token, None), handle)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


async def step(user: FakeUser, send: Callable[[], int], count: int) -> list[SentMessage]:
    """Do one thing as the resident and wait for the bot's `count` answers."""
    return await user.reply_after(send, count=count)


class BotProcess:
    """`doithoai run` as a real process, so a test can SIGKILL it and start it again."""

    def __init__(self, config_path: Path, api: FakeBotApi, log_path: Path) -> None:
        self._config = config_path
        self._api = api
        self._log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        polls_before = len(self._api.calls_of("getUpdates"))
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": self._api.token, "PYTHONUNBUFFERED": "1"}
        env.pop("DOITHOAI_CONFIG", None)
        log = self._log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(self._config),
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )
        log.close()
        self.starts += 1
        # Running means polling: the first getUpdates of this process has arrived.
        await self._api.wait_until(lambda: len(self._api.calls_of("getUpdates")) > polls_before, timeout=30)

    async def kill(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        await self._process.wait()

    async def stop(self) -> int:
        assert self._process is not None
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), timeout=20)
            except TimeoutError:
                await self.kill()
        return self._process.returncode or 0

    def log(self) -> str:
        return self._log_path.read_text(encoding="utf-8", errors="replace")


def write_config(tmp_path: Path, api: FakeBotApi, database: Path) -> Path:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('path = "data/doithoai.db"', f'path = "{database}"')
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{api.base_url}"')
    text = text.replace('base_file_url = "https://api.telegram.org/file/bot"', f'base_file_url = "{api.base_file_url}"')
    text = text.replace("poll_timeout = 30", "poll_timeout = 1")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
