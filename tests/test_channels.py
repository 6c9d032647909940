"""Channels are plugged in, not named: the registry of declarations, the runtime starting
whichever are enabled, and `open_senders` (for `doithoai publish --send`) opening every
enabled channel's sender, Zalo included."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import CHANNELS, Runtime, open_senders
from bot.channels import ChannelContext, RunningChannel
from bot.clock import ManualClock
from bot.config import IDENTITY_KEYS, Secrets, Settings
from bot.domain.messages import Reply
from bot.outbox.codec import encode_body
from bot.outbox.delivery import Sender
from bot.outbox.dispatcher import OutboxDispatcher
from handlers.telegram import TELEGRAM
from handlers.zalo import ZALO
from storage.db import Database
from storage.outbox import OutboxRepository
from tests.fakebotapi import FakeBotApi
from tests.fakezalo import FakeZalo
from tests.zalo_e2e import fake, zalo_only, zalo_secrets, zalo_settings  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
ZALO_USER = "7600000000000000009"
TELEGRAM_USER = 555000111


def test_the_registry_declares_each_channel_once_with_a_staff_identity_key() -> None:
    names = [declaration.name for declaration in CHANNELS]
    assert names == ["telegram", "zalo"]
    assert CHANNELS == (TELEGRAM, ZALO)
    # Staff are recognised on a channel by the id under its name in `[[staff.people]]`.
    assert set(names) <= set(IDENTITY_KEYS)


def test_outside_the_composition_root_and_the_config_bot_names_no_channel() -> None:
    allowed = {ROOT / "bot" / "app.py", ROOT / "bot" / "__main__.py", ROOT / "bot" / "config.py"}
    naming = re.compile(r"""["'](telegram|zalo)["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if path not in allowed and "cli" not in path.relative_to(ROOT / "bot").parts[:1]
        and naming.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


async def queue(database: Database, clock: ManualClock, channel: str, address: str, text: str) -> None:
    async with database.transaction() as connection:
        await OutboxRepository(connection).enqueue(f"test:{channel}:{address}", channel, address, encode_body(Reply(text)), clock.now())


async def test_open_senders_yields_a_zalo_sender_when_zalo_is_enabled(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    fake.last_interaction[ZALO_USER] = clock.now()
    await queue(database, clock, "zalo", ZALO_USER, "Trả lời ý kiến TT-0001: đã sửa đèn.")
    async with open_senders(zalo_only(settings, fake), zalo_secrets(fake), database, clock) as senders:
        assert list(senders) == ["zalo"]
        await OutboxDispatcher(database, senders, clock, settings.notify).drain()
    assert [m.text for m in fake.user(ZALO_USER).inbox] == ["Trả lời ý kiến TT-0001: đã sửa đèn."]


async def test_open_senders_opens_every_enabled_channel(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    fake.last_interaction[ZALO_USER] = clock.now()
    async with FakeBotApi() as api:
        api.user(TELEGRAM_USER)
        configured = zalo_settings(settings, fake)
        configured = configured.model_copy(update={"telegram": configured.telegram.model_copy(
            update={"base_url": api.base_url, "base_file_url": api.base_file_url})})
        await queue(database, clock, "telegram", str(TELEGRAM_USER), "Câu trả lời trên Telegram")
        await queue(database, clock, "zalo", ZALO_USER, "Câu trả lời trên Zalo")
        async with open_senders(configured, zalo_secrets(fake, telegram_token=api.token), database, clock) as senders:
            assert list(senders) == ["telegram", "zalo"]
            await OutboxDispatcher(database, senders, clock, settings.notify).drain()
        assert [m.text for m in api.sent if m.chat_id == TELEGRAM_USER] == ["Câu trả lời trên Telegram"]
    assert [m.text for m in fake.user(ZALO_USER).inbox] == ["Câu trả lời trên Zalo"]


@pytest.mark.parametrize(
    ("telegram", "zalo", "expected"),
    [
        (True, False, "error: --send needs TELEGRAM_BOT_TOKEN"),
        (False, True, "error: --send needs ZALO_OA_SECRET_KEY, ZALO_APP_SECRET"),
        (True, True, "error: --send needs TELEGRAM_BOT_TOKEN, ZALO_OA_SECRET_KEY, ZALO_APP_SECRET"),
    ],
)
async def test_a_missing_secret_is_named(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, telegram: bool, zalo: bool, expected: str
) -> None:
    configured = zalo_settings(settings, fake)
    configured = configured.model_copy(update={
        "telegram": configured.telegram.model_copy(update={"enabled": telegram}),
        "zalo": configured.zalo.model_copy(update={"enabled": zalo}),
    })
    with pytest.raises(SystemExit) as exit:
        async with open_senders(configured, Secrets(None, None), database, clock):
            pass
    assert str(exit.value) == expected


async def test_sending_with_no_channel_enabled_is_refused(settings: Settings, database: Database, clock: ManualClock) -> None:
    nothing = settings.model_copy(update={"telegram": settings.telegram.model_copy(update={"enabled": False})})
    with pytest.raises(SystemExit, match="needs a channel enabled"):
        async with open_senders(nothing, Secrets(None, None), database, clock):
            pass


class PigeonChannel:
    """A channel that is only a list: what it was asked to do, and what it delivered."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    def sender(self) -> Sender:
        return self

    async def send(self, address: str, reply: Reply) -> None:
        self.events.append(f"send {address}: {reply.text}")


class PigeonDeclaration:
    name = "pigeon"

    def __init__(self) -> None:
        self.events: list[str] = []
        self.context: ChannelContext | None = None

    def enabled(self, settings: Settings) -> bool:
        return True

    def missing_secrets(self, secrets: Secrets) -> list[str]:
        return []

    def build(self, context: ChannelContext) -> RunningChannel:
        self.context = context
        return PigeonChannel(self.events)

    @asynccontextmanager
    async def open_sender(self, context: ChannelContext) -> AsyncIterator[Sender]:
        yield PigeonChannel(self.events)


async def test_a_new_channel_is_one_declaration_in_the_registry(
    settings: Settings, database: Database, clock: ManualClock
) -> None:
    pigeon = PigeonDeclaration()
    only_pigeon = settings.model_copy(update={"telegram": settings.telegram.model_copy(update={"enabled": False})})
    runtime = Runtime(only_pigeon, Secrets(None, None), database, clock, registry=(TELEGRAM, pigeon))
    assert list(runtime.channels) == ["pigeon"]
    assert pigeon.context is not None and pigeon.context.wake_outbox == runtime.wake_outbox
    await queue(database, clock, "pigeon", "loft-1", "Xin chào")
    await runtime.start()
    await runtime.dispatcher.drain()
    await runtime.stop()
    assert pigeon.events == ["start", "send loft-1: Xin chào", "stop"]
    async with open_senders(only_pigeon, Secrets(None, None), database, clock, registry=(TELEGRAM, pigeon)) as senders:
        assert list(senders) == ["pigeon"]
