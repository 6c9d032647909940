"""Fixtures for the Zalo end-to-end tests: the fake Zalo, and the real Zalo channel pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Secrets, Settings, ZaloSettings, ZaloWebhookSettings
from bot.domain.messages import Inbound, Reply
from handlers.zalo import ZaloChannel
from storage.db import Database
from tests.fakezalo import (
    APP_ID,
    APP_SECRET,
    OA_SECRET_KEY,
    FakeZalo,
    FakeZaloUser,
    SentZalo,
)


def zalo_settings(settings: Settings, fake: FakeZalo, port: int = 0) -> Settings:
    zalo = ZaloSettings(
        enabled=True,
        app_id=APP_ID,
        api_base_url=fake.base_url,
        oauth_base_url=fake.base_url,
        webhook=ZaloWebhookSettings(listen="127.0.0.1", port=port, path="zalo"),
        # The test's own templates, if any, sent to the fake Zalo too.
        templates=settings.zalo.templates.model_copy(update={"base_url": fake.base_url}),
    )
    return settings.model_copy(update={"zalo": zalo})


def zalo_only(settings: Settings, fake: FakeZalo) -> Settings:
    """Zalo on and Telegram off."""
    configured = zalo_settings(settings, fake)
    return configured.model_copy(update={"telegram": configured.telegram.model_copy(update={"enabled": False})})


def zalo_secrets(fake: FakeZalo, telegram_token: str | None = None) -> Secrets:
    return Secrets(
        telegram_token=telegram_token,
        webhook_secret=None,
        zalo_oa_secret_key=OA_SECRET_KEY,
        zalo_app_secret=APP_SECRET,
        zalo_access_token=fake.access_token,
        zalo_refresh_token=fake.refresh_token,
    )


@asynccontextmanager
async def running_zalo(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock,
    handle: Callable[[Inbound], Awaitable[list[Reply]]],
) -> AsyncIterator[ZaloChannel]:
    channel = ZaloChannel(zalo_settings(settings, fake), zalo_secrets(fake), database, clock, handle)
    await channel.start()
    fake.webhook_url = f"http://127.0.0.1:{channel.port}/zalo"
    try:
        yield channel
    finally:
        await channel.stop()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock) as server:
        yield server


@pytest.fixture
def services(settings: Settings, database: Database, clock: ManualClock) -> Services:
    return build_services(settings, database, clock)


@pytest.fixture
async def channel(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services, meeting: object
) -> AsyncIterator[ZaloChannel]:
    async with running_zalo(settings, fake, database, clock, services.router.handle) as running:
        yield running


async def step(channel: ZaloChannel, user: FakeZaloUser, action: Callable[[], Awaitable[int]]) -> list[SentZalo]:
    """Do one thing as the resident; Zalo gets its 200, the bot handles it; what it sent back."""
    before = len(user.inbox)
    status = await action()
    assert status == 200, status
    await channel.settled()
    return user.inbox[before:]
