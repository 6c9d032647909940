"""Every sentence exists in both languages, with the same placeholders, and every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from bot.text import Catalog

ROOT = Path(__file__).resolve().parent.parent


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_have_the_same_keys() -> None:
    catalog = Catalog.load()
    vi, en = catalog.keys("vi"), catalog.keys("en")
    assert vi - en == set(), f"missing in en.toml: {sorted(vi - en)}"
    assert en - vi == set(), f"missing in vi.toml: {sorted(en - vi)}"


def test_placeholders_match_between_languages() -> None:
    catalog = Catalog.load()
    for key in catalog.keys("vi"):
        assert placeholders(catalog.t("vi", key)) == placeholders(catalog.t("en", key)), key


def test_every_key_used_in_code_exists() -> None:
    catalog = Catalog.load()
    keys = catalog.keys("vi")
    used: set[str] = set()
    for path in list((ROOT / "bot").rglob("*.py")) + list((ROOT / "handlers").rglob("*.py")):
        used |= set(re.findall(r"""\bt\(\s*(?:self\.language|language|self\._language|"\w+"|\w+),?\s*"([a-z_]+\.[a-z_.]+|[a-z_]+)"\s*[,)]""", path.read_text()))
        used |= set(re.findall(r"""self\.t\(\s*"([a-z_.]+)"\s*[,)]""", path.read_text()))
    assert used, "the scan found no keys: the pattern is wrong"
    assert used - keys == set(), f"used but missing: {sorted(used - keys)}"
    for status in ("open", "withdrawn", "rejected", "merged"):
        assert f"status.{status}" in keys
