"""`doithoai db backup` copies a live database; `db restore` puts a backup back; both keep it private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.clock import ManualClock
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import EXAMPLE_CONFIG, START, create_meeting


@pytest.fixture
def config(tmp_path: Path) -> tuple[str, Path]:
    db = tmp_path / "live" / "bot.db"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('path = "data/doithoai.db"', f'path = "{db}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path), db


async def test_backup_while_open_and_restore(config: tuple[str, Path], tmp_path: Path, settings) -> None:
    path, db_path = config
    from bot.resident.dialogue import Intake

    database = await Database.open(db_path)
    clock = ManualClock(START)
    await create_meeting(database, clock.now())
    await submit_concern(Chat(Intake(settings, database, clock), "1"))
    backup = tmp_path / "backup.db"
    await database.backup(backup)  # the bot's own connection stays open: an online backup
    await database.close()
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600

    # Disaster: the live file is lost; restore from the backup.
    db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    assert main(["db", "restore", str(backup), "--config", path]) == 0
    restored = await Database.open(db_path)
    row = await restored.fetch_one("SELECT code, text FROM concerns")
    await restored.close()
    assert row["code"] == "TT-0001" and "Tân Hóa" in row["text"]


def test_backup_refuses_to_overwrite_and_restore_refuses_garbage(config: tuple[str, Path], tmp_path: Path, capsys) -> None:
    path, _ = config
    target = tmp_path / "b.db"
    assert main(["db", "backup", str(target), "--config", path]) == 0
    assert main(["db", "backup", str(target), "--config", path]) == 2
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert main(["db", "restore", str(garbage), "--config", path]) == 2
    assert "not a SQLite database" in capsys.readouterr().err
