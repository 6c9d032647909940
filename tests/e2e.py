"""Helpers for end-to-end tests: the real python-telegram-bot Application against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.config import Secrets, Settings
from bot.messages import Inbound, Reply
from handlers.telegram import TelegramChannel
from tests.fakebotapi import FakeBotApi, FakeUser, SentMessage


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
