"""check-config on the example config and on broken ones: every problem names its key."""

from __future__ import annotations

import re
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
        ('parent = "kp1"', 'parent = "kp9"', "areas[2].parent (area 'kp1-t1'): unknown area 'kp9'"),
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


def test_every_problem_is_named_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A wrong value, a misspelt key, an unknown parent and a head's unknown area, all at once:
    # the checks across tables used to wait until the other keys were right.
    path = broken(tmp_path, "text_max_chars = 2000", "text_max_chars = 5\nspeed = 3")
    text = path.read_text(encoding="utf-8").replace('parent = "kp1"', 'parent = "kp9"', 1)
    path.write_text(text.replace('areas = ["kp2-t5"]', 'areas = ["nowhere"]'), encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "has 4 problems:" in err
    for expected in (
        "limits.text_max_chars", "limits.speed: unknown key",
        "areas[2].parent (area 'kp1-t1'): unknown area 'kp9'", "staff.group_heads[1].areas: unknown area 'nowhere'",
    ):
        assert expected in err, err


def test_an_area_whose_own_key_is_wrong_is_named_by_its_id(tmp_path: Path) -> None:
    path = broken(tmp_path, 'id = "kp1-t2"\nname = "Tổ dân phố 2"', 'id = "kp1-t2"\nnam = "Tổ dân phố 2"')
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert "areas[3].nam (area 'kp1-t2'): unknown key (misspelt?)" in error.value.problems


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


# --- staff as people with channel identities ----------------------------------------------

PEOPLE = '''
[[staff.people]]
name = "Lê Thị Thu"
role = "admin"
telegram = 100000004
zalo = "7600000000000000004"

[[staff.people]]
name = "Phạm Văn Nam"
zalo = "7600000000000000005"

[[staff.group_heads]]
name = "Bà Đỗ Thị Lan, tổ trưởng tổ dân phố 5"
zalo = "7600000000000000006"
areas = ["kp2-t5"]
'''


def with_people(tmp_path: Path, people: str = PEOPLE) -> Path:
    # The new form goes after the older one: both are read together.
    return broken(tmp_path, "\n[limits]\n", people + "\n[limits]\n")


def test_staff_can_be_people_with_an_identity_on_each_channel(tmp_path: Path) -> None:
    from bot.services.roles import Role, Roles

    settings = load_settings(with_people(tmp_path))
    roles = Roles(settings)
    admin = frozenset({Role.ADMIN, Role.STAFF})
    assert roles.of("telegram", "100000004") == admin and roles.of("zalo", "7600000000000000004") == admin
    assert roles.of("zalo", "7600000000000000005") == frozenset({Role.STAFF})
    assert roles.of("telegram", "7600000000000000005") == frozenset()
    assert roles.head_areas("zalo", "7600000000000000006") == ("kp2-t5",)
    # The older keys keep meaning Telegram ids.
    assert roles.of("telegram", "100000001") == admin and roles.of("telegram", "100000002") == frozenset({Role.STAFF})
    assert roles.head_areas("telegram", "100000012") == ("kp2-t5",) and roles.of("zalo", "100000012") == frozenset()
    assert roles.is_staff_chat("telegram", "-1001000000001") and not roles.is_staff_chat("zalo", "-1001000000001")
    names = [member.name for member in settings.staff.everyone()]
    assert names == [None, None, None, "Lê Thị Thu", "Phạm Văn Nam"]


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        ('[[staff.people]]\nname = "Lê Thị Thu"\n', "staff.people[0]: needs at least one channel identity (telegram or zalo)"),
        ('[[staff.people]]\nname = "Lê Thị Thu"\nrole = "chair"\ntelegram = 1\n', "staff.people[0].role"),
        ('[[staff.people]]\nname = "Lê Thị Thu"\ntelegarm = 1\n', "staff.people[0].telegarm: unknown key"),
        ('[[staff.people]]\nname = "Lê Thị Thu"\nzalo = 7600000000000000004\n', "staff.people[0].zalo"),
        ('[[staff.people]]\ntelegram = 1\n', "staff.people[0].name: required key is missing"),
        (
            '[[staff.people]]\nname = "A"\ntelegram = 7\n\n[[staff.people]]\nname = "B"\nzalo = "9"\ntelegram = 7\n',
            "staff.people[1].telegram: 7 is already staff.people[0]",
        ),
        (
            '[[staff.group_heads]]\nname = "Tổ trưởng"\ntelegram_id = 5\ntelegram = 5\nareas = ["kp1-t1"]\n',
            "staff.group_heads[2]: give telegram or telegram_id (its older name), not both",
        ),
        (
            '[[staff.group_heads]]\nname = "Tổ trưởng"\nareas = ["kp1-t1"]\n',
            "staff.group_heads[2]: needs at least one channel identity (telegram or zalo)",
        ),
    ],
)
def test_broken_staff_people_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], people: str, expected: str) -> None:
    assert main(["check-config", str(with_people(tmp_path, people))]) == 2
    err = capsys.readouterr().err
    assert expected in err, err


def test_the_commented_staff_people_example_is_valid(tmp_path: Path) -> None:
    from bot.services.roles import Role, Roles

    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    example = re.search(r"^# \[\[staff\.people\]\]\n(?:^# .*\n)+", text, flags=re.MULTILINE)
    assert example is not None
    path = tmp_path / "people.toml"
    path.write_text(text.replace(example.group(0), re.sub(r"^# ", "", example.group(0), flags=re.MULTILINE)), encoding="utf-8")
    roles = Roles(load_settings(path))
    assert roles.of("zalo", "7600000000000000004") == frozenset({Role.STAFF})
