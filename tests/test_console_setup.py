"""The console's setup, without a browser: its config section, its sentences, its vendored files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings
from bot.text import Catalog

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "handlers" / "web"
EXAMPLE = ROOT / "config.example.toml"


def _config(tmp_path: Path, web: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("[web]\n", f"[web]\n{web}\n", 1)
    text = text.replace('enabled = false\n# Put it behind', "# Put it behind", 1) if "enabled" in web else text
    text = text.replace('public_url = ""\n', "", 1) if "public_url" in web else text
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_has_the_console_off() -> None:
    web = load_settings(EXAMPLE).web
    assert not web.enabled and web.base_url == "http://127.0.0.1:8080" and not web.secure


def test_a_public_address_behind_https(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, 'enabled = true\npublic_url = "https://console.phutho.example.vn/"')
    web = load_settings(path).web
    assert web.base_url == "https://console.phutho.example.vn" and web.secure
    assert main(["check-config", str(path)]) == 0
    assert "console: https://console.phutho.example.vn" in capsys.readouterr().out


def test_a_bad_public_address_names_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(_config(tmp_path, 'public_url = "console.example.vn"'))
    assert any(problem.startswith("web.public_url:") for problem in error.value.problems)


def _template_keys() -> set[str]:
    keys: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']\s*[,)]""", template.read_text(encoding="utf-8")))
    return keys


def test_every_sentence_of_the_templates_is_in_both_catalogs() -> None:
    catalog = Catalog.load()
    keys = _template_keys()
    assert len(keys) > 60, "the scan found too few keys: the pattern is wrong"
    # Keys the templates build from a value: problems, finished actions, audit actions.
    built = {f"problem.{kind}.{part}" for kind in (
        "session_over", "csrf", "needs_admin", "needs_staff", "login_unknown", "login_used", "login_expired",
        "login_not_staff", "login_too_many", "not_found") for part in ("title", "text")}
    built |= {f"meetings.done_{d}" for d in ("announced", "opened", "closed", "cancelled")}
    built |= {f"concern.done_{d}" for d in ("topic", "area", "rejected", "merged", "unmerged")}
    for language in ("vi", "en"):
        missing = {k for k in keys | built if f"web.{k}" not in catalog.keys(language)}
        assert not missing, f"{language}: {sorted(missing)}"


def test_templates_hold_no_inline_script_or_style() -> None:
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), template.name


def test_every_vendored_file_is_listed_with_its_version_and_licence() -> None:
    listed = (WEB / "static" / "VENDORED.md").read_text(encoding="utf-8")
    assert "| `htmx.min.js` | htmx | 2." in listed and (WEB / "static" / "htmx.LICENSE").exists()
    assert "htmx.org@2" in listed
    for path in (WEB / "static").iterdir():
        assert path.name in listed or path.name == "VENDORED.md", f"{path.name} is not listed in VENDORED.md"
