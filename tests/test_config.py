"""check-config on the example config and on broken ones: every problem names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, load_settings
from tests.conftest import EXAMPLE_CONFIG


def test_example_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE_CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "Phường Phú Thọ" in out


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Asia/Hanoi_City"', "unit.timezone: unknown time zone"),
        ('parent = "kp1"', 'parent = "kp9"', "areas[2].parent: unknown area 'kp9'"),
        ('id = "kp2"', 'id = "kp1"', "areas[5].id: duplicate id 'kp1'"),
        ("text_max_chars = 2000", "text_max_chars = 5", "limits.text_max_chars"),
        ("photos_max = 5", 'photos_max = "five"', "limits.photos_max"),
        ("name_max_chars = 80", "name_max_chars = 80\nspeed = 3", "limits.speed: unknown key"),
        ('mode = "polling"', 'mode = "webhook"\n', None),
        ('areas = ["kp2-t5"]', 'areas = ["nowhere"]', "staff.group_heads[1].areas: unknown area 'nowhere'"),
        ('mode = "polling"', 'mode = "carrier-pigeon"', "telegram.mode"),
        ('controller = "Ủy ban', 'xcontroller = "Ủy ban', "privacy.controller: required key is missing"),
        ('levels = ["phường", "khu phố", "tổ dân phố"]', 'levels = ["phường", "khu phố"]', "unit.levels: the area tree is 3 levels deep"),
        ('code_prefix = "TT"', 'code_prefix = "tt-1"', "unit.code_prefix"),
        ("[unit]", "[unit\n", "not valid TOML"),
    ],
)
def test_broken_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str | None) -> None:
    path = broken(tmp_path, old, new)
    if expected is None:  # webhook mode with an https url is fine
        assert main(["check-config", str(path)]) == 0
        return
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err, err


def test_webhook_without_https_url_is_refused(tmp_path: Path) -> None:
    path = broken(tmp_path, 'url = "https://doithoai.phutho.example.vn/telegram"', 'url = "http://insecure"')
    path.write_text(path.read_text(encoding="utf-8").replace('mode = "polling"', 'mode = "webhook"'), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert "telegram: webhook mode needs telegram.webhook.url" in error.value.problems[0]


def test_cycle_in_area_tree(tmp_path: Path) -> None:
    path = broken(tmp_path, 'id = "phu-tho"\nname = "Phường Phú Thọ"\n', 'id = "phu-tho"\nname = "Phường Phú Thọ"\nparent = "kp1"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert "its own ancestor" in str(error.value)


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(tmp_path / "nope.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
