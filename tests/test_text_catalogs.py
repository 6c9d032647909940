"""Every sentence exists in both languages, with the same placeholders, and every key used exists."""

from __future__ import annotations

import ast
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
        used |= set(re.findall(r"""(?:self|turn)\.t\(\s*"([a-z_.]+)"\s*[,)]""", path.read_text()))
    assert used, "the scan found no keys: the pattern is wrong"
    assert used - keys == set(), f"used but missing: {sorted(used - keys)}"
    for status in ("open", "withdrawn", "rejected", "merged"):
        assert f"status.{status}" in keys


# --- refusals: why a staff action was refused, raised as a catalog key and its values ----------

MEETING_PHASES = ("draft", "announced", "intake_open", "intake_closed", "held", "published", "cancelled")
CONCERN_STATUSES = ("open", "withdrawn", "rejected", "merged", "carried")


def _code_files() -> list[Path]:
    return list((ROOT / "bot").rglob("*.py")) + list((ROOT / "handlers").rglob("*.py"))


def _refusal_calls() -> list[tuple[Path, int, str | None, set[str]]]:
    """Every call of Refusal or one of its subclasses: (file, line, key or None if not a literal, value names)."""
    classes = {"Refusal"}
    trees = [(path, ast.parse(path.read_text(), str(path))) for path in _code_files()]
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "Refusal" for b in node.bases):
                classes.add(node.name)
    calls = []
    for path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes:
                first = node.args[0] if node.args else None
                key = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
                calls.append((path, node.lineno, key, {k.arg for k in node.keywords if k.arg}))
    return calls


def test_every_refusal_key_used_in_code_exists_with_its_values() -> None:
    catalog = Catalog.load()
    keys = catalog.keys("vi")
    calls = _refusal_calls()
    assert len(calls) > 50, "the scan found too few refusals: the pattern is wrong"
    for path, line, key, values in calls:
        where = f"{path.relative_to(ROOT)}:{line}"
        assert key is not None and key.startswith("refusal."), f"{where}: a refusal must name its [refusal] key"
        assert key in keys, f"{where}: {key} is missing from the catalogs"
        for language in ("vi", "en"):
            assert placeholders(catalog.t(language, key)) == values, f"{where}: {key} ({language}) takes other values"
    # Keys written as literals anywhere (e.g. Term keys) exist too.
    literal = set()
    for path in _code_files():
        literal |= set(re.findall(r"""["'](refusal\.[a-z_]+(?:\.[a-z_]+)*)["']""", path.read_text()))
    assert literal - keys == set(), f"used but missing: {sorted(literal - keys)}"
    # The words looked up at run time: every phase of a meeting, every status of a concern.
    for phase in MEETING_PHASES:
        assert f"refusal.phase.{phase}" in keys
    for status in CONCERN_STATUSES:
        assert f"refusal.status.{status}" in keys
