"""Zalo wants every webhook call answered within 2 seconds: while another process holds the
database's write lock, the call is answered first, and the event is stored and handled once
the database frees."""

from __future__ import annotations

import asyncio

import aiosqlite

from handlers.zalo import ZaloChannel
from storage.db import Database
from tests.fakezalo import FakeZalo
from tests.zalo_e2e import channel, fake, services  # noqa: F401 - fixtures

ZALO_LIMIT_SECONDS = 2.0


async def test_the_webhook_answers_in_time_while_another_process_writes(
    fake: FakeZalo, channel: ZaloChannel, database: Database
) -> None:
    lan = fake.user("7900000000000000001", "Lan")
    other = await aiosqlite.connect(database.path, isolation_level=None)
    try:
        await other.execute("BEGIN IMMEDIATE")  # another process's long write
        status = await asyncio.wait_for(lan.send_text("Chào phường"), ZALO_LIMIT_SECONDS)
        assert status == 200
        assert lan.inbox == []  # not handled yet: the database is still locked
        await other.execute("COMMIT")
    finally:
        await other.close()
    await channel.settled()
    assert "Xin chào" in lan.inbox[0].text
    row = await database.fetch_one("SELECT count(*) FROM zalo_events WHERE handled_at IS NOT NULL")
    assert tuple(row) == (1,)
