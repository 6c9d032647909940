"""Staff create, list and show meetings on the command line; short notice warns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import build_services
from bot.clock import ManualClock
from bot.config import load_settings
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import EXAMPLE_CONFIG, START


@pytest.fixture
def config(tmp_path: Path) -> str:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('path = "data/doithoai.db"', f'path = "{tmp_path / "cli.db"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(config: str, *args: str) -> int:
    return main([*args[:2], "--config", config, *args[2:]] if args[0] == "meeting" else list(args), clock=ManualClock(START))


def test_create_list_show(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        config, "meeting", "create",
        "--title", "Hội nghị đối thoại quý I/2026",
        "--starts", "20/03/2026 08:00",
        "--place", "Hội trường UBND phường Phú Thọ",
        "--intake-closes", "17/03/2026 17:00",
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "created meeting 1" in out.out and "20/03/2026 08:00" in out.out
    assert "warning" not in out.err
    assert "02/03/2026 09:00 → 17/03/2026 17:00" in out.out
    assert run(config, "meeting", "list") == 0
    out = capsys.readouterr().out
    assert "intake open" in out and "Hội nghị đối thoại quý I/2026" in out
    assert run(config, "meeting", "show", "1") == 0
    assert "concerns:      none yet" in capsys.readouterr().out


def test_short_notice_is_accepted_with_a_warning(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(config, "meeting", "create", "--title", "Đối thoại đột xuất", "--starts", "05/03/2026 14:00", "--place", "Nhà văn hóa khu phố 2", "--format", "hybrid")
    captured = capsys.readouterr()
    assert code == 0
    assert "less than 7 days" in captured.err and "7 days' notice" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--starts", "31/02/2026 08:00"], "not a date and time"),
        (["--starts", "01/03/2026 08:00"], "must start in the future"),
        (["--starts", "20/03/2026 08:00", "--intake-closes", "21/03/2026 08:00"], "close before the meeting starts"),
        (["--starts", "20/03/2026 08:00", "--area", "kp99"], "unknown area"),
    ],
)
def test_bad_meetings_are_refused(config: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code = run(config, "meeting", "create", "--title", "Đối thoại", "--place", "Hội trường", *args)
    assert code == 2
    assert message in capsys.readouterr().err


def test_show_unknown_meeting(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "meeting", "show", "42") == 1
    assert "no meeting 42" in capsys.readouterr().err


async def _one_concern(config: str, clock: ManualClock) -> None:
    settings = load_settings(config)
    database = await Database.open(settings.database_path)
    try:
        await submit_concern(Chat(build_services(settings, database, clock).intake, "4101"))
    finally:
        await database.close()


def test_agenda_export_writes_the_file_and_the_audit_names_it(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(START)
    assert main(["meeting", "create", "--config", config, "--title", "Đối thoại quý I", "--starts", "20/03/2026 08:00",
                 "--place", "Hội trường UBND phường"], clock=clock) == 0
    asyncio.run(_one_concern(config, clock))
    assert main(["agenda", "build", "--config", config], clock=clock) == 0
    out = tmp_path / "chuong-trinh.xlsx"
    assert main(["agenda", "export", "--config", config, "--format", "xlsx", "--out", str(out)], clock=clock) == 0
    assert f"wrote {out} (1 item)" in capsys.readouterr().out
    assert out.read_bytes()[:2] == b"PK"  # an XLSX is a zip file
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main(["agenda", "export", "--config", config, "--format", "csv", "--out", str(folder)], clock=clock) == 0
    written = list(folder.iterdir())
    assert len(written) == 1 and written[0].suffix == ".csv"
    capsys.readouterr()
    assert main(["audit", "--config", config, "--subject", "meeting:1"], clock=clock) == 0
    trail = capsys.readouterr().out
    assert "agenda.export.xlsx" in trail and "chuong-trinh.xlsx" in trail
    assert "agenda.export.csv" in trail and written[0].name in trail
