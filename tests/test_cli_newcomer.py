"""What a newcomer trips over on the command line and in the staff chat (issue 16): which
meeting `queue` means, what the agenda's boxes mean, the audit log read as a person reads it,
and a command piped into `head`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import build_services
from bot.clock import ManualClock
from bot.config import load_settings
from storage.audit import AuditRepository
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import EXAMPLE_CONFIG, START
from tests.staffchat import STAFF, StaffChat

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path: Path) -> str:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('path = "data/doithoai.db"', f'path = "{tmp_path / "cli.db"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def cli(config: str, *args: str) -> int:
    return main([*args, "--config", config], clock=ManualClock(START))


def create(config: str, title: str, starts: str) -> None:
    assert cli(config, "meeting", "create", "--title", title, "--place", "Hội trường", "--starts", starts) == 0


def test_queue_without_a_meeting_lists_the_meetings_being_prepared(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    create(config, "Hội nghị quý I", "20/03/2026 08:00")
    create(config, "Hội nghị khu phố 2", "25/03/2026 19:00")
    capsys.readouterr()
    assert cli(config, "queue") == 2
    err = capsys.readouterr().err
    assert "#1 Hội nghị quý I (20/03/2026)" in err and "#2 Hội nghị khu phố 2 (25/03/2026)" in err
    assert "--meeting" in err


async def _two_items(config: str) -> None:
    settings = load_settings(config)
    database = await Database.open(settings.database_path)
    try:
        intake = build_services(settings, database, ManualClock(START + timedelta(minutes=5))).intake
        await submit_concern(Chat(intake, "5001"), "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay.")
        await submit_concern(Chat(intake, "5002"), "Rác thải ứ đọng ở chợ Phú Thọ nhiều ngày không ai thu gom.")
    finally:
        await database.close()


def test_the_agenda_ticks_included_items_and_says_excluded_in_words(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create(config, "Hội nghị quý I", "20/03/2026 08:00")
    asyncio.run(_two_items(config))
    assert cli(config, "agenda", "build") == 0
    assert cli(config, "agenda", "item", "2", "--exclude") == 0
    lines = capsys.readouterr().out.splitlines()
    items = [line for line in lines if line.startswith("[")]
    assert "[x] included in the meeting, [ ] excluded" in lines
    assert items[-2].startswith("[x]  1.") and "excluded" not in items[-2]
    assert items[-1].startswith("[ ]  2.") and items[-1].endswith("— excluded")
    assert "; 1 resident;" in items[-1]


async def test_the_staff_chat_says_excluded_in_words(database: Database, settings, clock: ManualClock, meeting) -> None:
    services = build_services(settings, database, clock)
    await submit_concern(Chat(services.intake, "5101"), "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay.")
    await submit_concern(Chat(services.intake, "5102"), "Rác thải ứ đọng ở chợ Phú Thọ nhiều ngày không ai thu gom.")
    staff = StaffChat(services.router, STAFF)
    await staff.command("/agenda_build")
    await staff.command("/item 2 out")
    (agenda,) = await staff.command("/agenda")
    first, second = (line for line in agenda.text.splitlines() if line.startswith(("✅", "⛔")))
    assert first.startswith("✅ 1.") and "bỏ ra" not in first
    assert second.startswith("⛔ 2.") and second.endswith("(đã bỏ ra, không trình hội nghị)")


def test_audit_reads_as_before_and_after_in_local_time_and_says_what_it_left_out(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create(config, "Hội nghị quý I", "20/03/2026 08:00")
    assert cli(config, "meeting", "edit", "1", "--intake-closes", "18/03/2026 12:00") == 0
    for number in range(3):
        create(config, f"Hội nghị {number}", "27/03/2026 08:00")
    capsys.readouterr()
    assert cli(config, "audit", "--limit", "4") == 0
    out = capsys.readouterr().out
    # The times as the ward reads them (08:00 in Ho Chi Minh City is 01:00 UTC), not as stored.
    assert "    intake_closes_at: 18/03/2026 08:00 → 18/03/2026 12:00" in out
    assert "starts_at: 27/03/2026 08:00" in out
    assert "{'" not in out and "+00:00" not in out
    assert out.rstrip().endswith("… 1 more, older; use --limit 5 to see them all")
    assert cli(config, "audit", "--limit", "5") == 0
    assert "more, older" not in capsys.readouterr().out


def test_a_command_piped_into_head_stops_without_a_traceback(config: str) -> None:
    asyncio.run(_many_entries(config))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DOITHOAI_CONFIG", None)
    # Like `doithoai audit --limit 1000 | head -1`: the reader takes a line and goes away.
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "audit", "--limit", "1000", "--config", config],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


async def _many_entries(config: str) -> None:
    """More audit lines than a pipe holds, so that the writer meets the closed pipe."""
    settings = load_settings(config)
    database = await Database.open(settings.database_path)
    try:
        async with database.transaction() as connection:
            audit = AuditRepository(connection)
            for number in range(400):
                await audit.record(actor="cli:test", action="concern.topic", subject=f"concern:TT-{number:04d}",
                                   now=START, before={"topic_id": "khac"}, after={"topic_id": "an-ninh", "note": "x" * 300})
    finally:
        await database.close()
