"""Two OS processes on one database (the bot and `doithoai publish --send`) refresh Zalo's token
pair at the same moment: one refresh reaches Zalo, the other process takes the pair it stored,
and no refresh token is ever sent twice (the fake Zalo records any reuse)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from handlers.zalo.api import ZaloApi
from storage.db import Database
from tests.fakezalo import FakeZalo
from tests.zalo_e2e import fake, zalo_secrets, zalo_settings  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent


async def test_two_processes_refreshing_at_once_never_reuse_a_refresh_token(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    # The bot's first start: the pair from the environment is exchanged and stored.
    api = ZaloApi(zalo_settings(settings, fake).zalo, zalo_secrets(fake), database, clock)
    await api.start()
    await api.close()
    assert len(fake.refresh_calls) == 1
    stored_refresh = fake.refresh_token
    # A slow refresh, so that the second process asks while the first one's is under way.
    fake.refresh_delay = 0.5
    start = tmp_path / "start"
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.zalo_token_worker", database.path, fake.base_url, str(start),
            clock.now().isoformat(), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert (await asyncio.wait_for(worker.stdout.readline(), 60)).strip() == b"ready"
    start.touch()
    outputs = [await asyncio.wait_for(worker.communicate(), 60) for worker in workers]
    results = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]

    assert fake.reused == []
    # Exactly one refresh, with the stored refresh token, and both processes hold its pair.
    assert fake.refresh_calls[1:] == [stored_refresh]
    assert results == [{"access_token": fake.access_token}] * 2
    rows = await database.fetch_all("SELECT access_token, refresh_token, refresh_spent FROM zalo_tokens")
    assert [tuple(row) for row in rows] == [(fake.access_token, fake.refresh_token, 0)]
