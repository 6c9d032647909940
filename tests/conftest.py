"""Shared fixtures: the example ward's settings, a fresh database, a clock that never reads the wall."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.domain.records import Meeting
from bot.resident.dialogue import Intake
from storage.db import Database
from storage.meetings import MeetingRepository
from tests.chat import Chat

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config.example.toml"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# A fixed instant, unrelated to the day the tests run.
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)


@pytest.fixture
def settings() -> Settings:
    return load_settings(EXAMPLE_CONFIG)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "test.db")
    yield db
    await db.close()


async def create_meeting(
    database: Database,
    now: datetime,
    *,
    title: str = "Hội nghị đối thoại quý I/2026",
    days_ahead: int = 14,
    intake_days: int = 10,
    area_id: str = "phu-tho",
) -> Meeting:
    async with database.transaction() as connection:
        return await MeetingRepository(connection).create(
            title=title,
            area_id=area_id,
            starts_at=now + timedelta(days=days_ahead),
            place="Hội trường UBND phường Phú Thọ",
            format="in_person",
            intake_opens_at=now - timedelta(days=1),
            intake_closes_at=now + timedelta(days=intake_days),
            now=now,
        )


@pytest.fixture
async def meeting(database: Database, clock: ManualClock) -> Meeting:
    return await create_meeting(database, clock.now())


@pytest.fixture
def intake(settings: Settings, database: Database, clock: ManualClock) -> Intake:
    return Intake(settings, database, clock)


@pytest.fixture
def lan(intake: Intake) -> Chat:
    return Chat(intake, "1001")


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
