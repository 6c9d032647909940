"""Every Telegram update is journalled before it is confirmed, marked handled with its
effects, and handled at the next start when the process died first (issue 10)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.config import Secrets, Settings
from bot.domain.messages import Inbound, Reply
from bot.resident.dialogue import Intake
from bot.text import Catalog
from handlers.telegram.channel import TelegramChannel
from storage.db import Database
from storage.journal import JournalledUpdate, UpdateJournalRepository
from tests.conftest import create_meeting
from tests.e2e import BotProcess, settings_for, write_config
from tests.fakebotapi import FakeBotApi

HELP = Catalog.load().t("vi", "help").splitlines()[0]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def journal_rows(database: Database) -> dict[int, tuple[str, bool]]:
    rows = await database.fetch_all("SELECT update_id, body, handled_at FROM update_journal WHERE channel = 'telegram'")
    return {int(row["update_id"]): (str(row["body"]), row["handled_at"] is not None) for row in rows}


async def test_the_repository_keeps_each_update_once_and_forgets_only_old_handled_ones(database: Database) -> None:
    async with database.transaction() as connection:
        journal = UpdateJournalRepository(connection, "telegram")
        assert await journal.add([JournalledUpdate(7, "{}"), JournalledUpdate(5, '{"a": 1}')], T0) == {5, 7}
        assert await journal.add([JournalledUpdate(5, "again"), JournalledUpdate(9, "{}")], T0) == {9}
        await journal.mark_handled(7, T0)
        assert await journal.unhandled() == [JournalledUpdate(5, '{"a": 1}'), JournalledUpdate(9, "{}")]
        assert await UpdateJournalRepository(connection, "other").unhandled() == []
        assert await journal.prune(T0 + timedelta(seconds=1)) == 1  # only 7: handled and old
        assert [u.update_id for u in await journal.unhandled()] == [5, 9]
    rows = await journal_rows(database)
    assert rows == {5: ('{"a": 1}', False), 9: ("{}", False)}


async def test_polling_journals_a_batch_before_the_next_offset_confirms_it(
    api: FakeBotApi, settings: Settings, database: Database, clock: ManualClock, meeting: object
) -> None:
    release = asyncio.Event()
    seen: list[Inbound] = []
    intake = Intake(settings, database, clock)

    async def handle(inbound: Inbound) -> list[Reply]:
        seen.append(inbound)
        await release.wait()  # the bot is busy with the first update
        return await intake.handle(inbound)

    channel = TelegramChannel(
        settings_for(settings, api), Secrets(api.token, None), handle, database=database, clock=clock
    )
    await channel.start()
    try:
        lan = api.user(8301, first_name="Lan")
        first = lan.send_text("/help")
        await api.wait_until(lambda: len(seen) == 1, timeout=10)
        later = [lan.send_text("/help") for _ in range(3)]
        await api.wait_until(lambda: api.updates_confirmed_up_to >= later[-1], timeout=10)
        # Confirmed to Telegram, not handled yet: each is in the journal, unhandled, in full.
        rows = await journal_rows(database)
        for update_id in (first, *later):
            body, handled = rows[update_id]
            assert not handled and json.loads(body)["message"]["text"] == "/help"
        release.set()
        await lan.wait_for_messages(4)
        await api.wait_until(lambda: len(seen) == 4, timeout=10)
        await asyncio.sleep(0.3)
        rows = await journal_rows(database)
        # Handled, and the resident's words are no longer kept.
        assert all(rows[u] == ("", True) for u in (first, *later))
    finally:
        release.set()
        await channel.stop()


async def test_a_webhook_call_is_answered_only_once_journalled_and_a_second_delivery_is_dropped(
    api: FakeBotApi, settings: Settings, database: Database, clock: ManualClock, meeting: object, unused_tcp_port: int
) -> None:
    from tests.test_e2e_telegram import message_update

    release = asyncio.Event()
    seen: list[Inbound] = []
    intake = Intake(settings, database, clock)

    async def handle(inbound: Inbound) -> list[Reply]:
        seen.append(inbound)
        await release.wait()
        return await intake.handle(inbound)

    webhook = settings.telegram.webhook.model_copy(update={"listen": "127.0.0.1", "port": unused_tcp_port, "path": "tg"})
    configured = settings_for(settings, api, mode="webhook", webhook=webhook)
    channel = TelegramChannel(
        configured, Secrets(api.token, "a-long-webhook-secret"), handle, database=database, clock=clock
    )
    await channel.start()
    try:
        lan = api.user(8302, first_name="Lan")
        url = f"http://127.0.0.1:{unused_tcp_port}/tg"
        good = {"X-Telegram-Bot-Api-Secret-Token": "a-long-webhook-secret"}
        async with aiohttp.ClientSession() as session:
            for _ in range(2):  # Telegram delivering the same update again
                async with session.post(url, json=message_update(lan, 41, "/help"), headers=good) as response:
                    assert response.status == 200
                    body, handled = (await journal_rows(database))[41]
                    assert not handled and json.loads(body)["message"]["text"] == "/help"
        release.set()
        await lan.wait_for_messages(1)
        await asyncio.sleep(0.5)
        assert len(seen) == 1
        assert sum(HELP in (m.text or "") for m in lan.inbox) == 1
        assert (await journal_rows(database))[41] == ("", True)
    finally:
        release.set()
        await channel.stop()


async def started_bot(api: FakeBotApi, tmp_path: Path) -> tuple[Path, BotProcess]:
    """`doithoai run` as a process on a database with a meeting open for concerns."""
    db_path = tmp_path / "data" / "bot.db"
    database = await Database.open(db_path)
    # The process runs on the real clock; the meeting is placed relative to it.
    await create_meeting(database, datetime.now(UTC))
    await database.close()
    process = BotProcess(write_config(tmp_path, api, db_path), api, tmp_path / "bot.log")
    await process.start()
    return db_path, process


async def test_updates_fetched_but_not_handled_when_the_bot_is_killed_are_each_answered_once_after_restart(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db_path, process = await started_bot(api, tmp_path)
    try:
        lan = api.user(8303, first_name="Lan")
        asked = 0
        for _ in range(2):
            # The reply to this one hangs (under the client's timeout): the bot is busy.
            api.delay_next("sendMessage", 4.0)
            lan.send_text("xin chào")
            await api.wait_until(lambda: any(c.status == 0 for c in api.calls_of("sendMessage")), timeout=10)
            queued = [lan.send_text("/help") for _ in range(4)]
            asked += len(queued)
            await api.wait_until(lambda: api.updates_confirmed_up_to >= queued[-1], timeout=10)
            await process.kill()
            await process.start()
        await api.wait_until(lambda: sum(HELP in (m.text or "") for m in lan.inbox) >= asked, timeout=20)
        await asyncio.sleep(1.0)
        assert sum(HELP in (m.text or "") for m in lan.inbox) == asked
        database = await Database.open(db_path)
        try:
            unhandled = await database.fetch_all("SELECT update_id FROM update_journal WHERE handled_at IS NULL")
        finally:
            await database.close()
        assert unhandled == []
        assert "were not handled; handling them now" in process.log()
    finally:
        await process.stop()


async def test_updates_journalled_but_not_confirmed_when_killed_are_answered_once_though_telegram_sends_them_again(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db_path, process = await started_bot(api, tmp_path)
    try:
        lan = api.user(8304, first_name="Lan")
        api.delay_next("sendMessage", 4.0)
        lan.send_text("xin chào")
        await api.wait_until(lambda: any(c.status == 0 for c in api.calls_of("sendMessage")), timeout=10)
        # Hold back the polls that would confirm what comes next: after the restart, Telegram
        # delivers it again, and the journal has it too.
        api.delay_next("getUpdates", 3.0, count=2)
        queued = [lan.send_text("/help") for _ in range(3)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline:
            database = await Database.open(db_path)
            try:
                rows = await journal_rows(database)
            finally:
                await database.close()
            if set(queued) <= set(rows):
                break
            await asyncio.sleep(0.1)
        assert set(queued) <= set(rows) and api.updates_confirmed_up_to < queued[-1]
        await process.kill()
        await process.start()
        await api.wait_until(lambda: sum(HELP in (m.text or "") for m in lan.inbox) >= len(queued), timeout=20)
        await asyncio.sleep(1.5)
        assert sum(HELP in (m.text or "") for m in lan.inbox) == len(queued)
    finally:
        await process.stop()
