"""The sandbox as a newcomer starts it (issue 16): from any folder, with a demo meeting at a
working hour of the unit's day, far enough ahead that the law's 7 days' notice is kept."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.services.meetings import gives_short_notice
from storage.db import Database


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 2, 18, 30, tzinfo=UTC),  # 01:30 the next morning in Ho Chi Minh City
        datetime(2026, 3, 2, 2, 0, tzinfo=UTC),  # 09:00 there
        datetime(2026, 12, 31, 16, 59, tzinfo=UTC),  # 23:59 on New Year's Eve there
    ],
)
async def test_the_demo_meeting_is_at_a_working_hour_two_weeks_ahead(
    settings: Settings, database: Database, now: datetime
) -> None:
    clock = ManualClock(now)
    demo = await build_services(settings, database, clock).meetings.ensure_demo()
    zone = settings.zone
    starts = demo.starts_at.astimezone(zone)
    assert 7 <= starts.hour < 17 and starts.minute == 0
    assert not gives_short_notice(demo.starts_at, demo.announced_at or now)
    assert demo.starts_at - now >= timedelta(days=13)
    closes = demo.intake_closes_at.astimezone(zone)
    assert now < demo.intake_closes_at < demo.starts_at and 7 <= closes.hour <= 17
    assert demo.accepts_concerns_at(now)


def test_the_sandbox_starts_from_any_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DOITHOAI_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--no-console"],
        cwd=elsewhere, env=env, input="/quit\n", capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Chế độ thử nghiệm doithoai" in done.stdout and "Phường Phú Thọ" in done.stdout
    assert "file not found" not in done.stderr
    # Its database goes where it was started, as the README says.
    assert (elsewhere / "sandbox-data" / "sandbox.db").exists()
