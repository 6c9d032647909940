"""The public pages' templates: every sentence in both catalogs, no inline script or style (the CSP)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.text import Catalog

PUBLIC = Path(__file__).resolve().parent.parent / "handlers" / "web" / "templates" / "public"


def test_every_sentence_of_the_public_templates_is_in_both_catalogs() -> None:
    keys: set[str] = set()
    for template in PUBLIC.glob("*.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']\s*[,)]""", template.read_text(encoding="utf-8")))
    assert len(keys) > 40, "the scan found too few keys: the pattern is wrong"
    # Built from a value: how to attend each format, and the poster's code labels.
    keys |= {f"meeting.how_{f}" for f in ("in_person", "online", "hybrid")}
    keys |= {f"poster.scan_{c}" for c in ("telegram", "zalo", "page")}
    catalog = Catalog.load()
    for language in ("vi", "en"):
        missing = {k for k in keys if f"public.{k}" not in catalog.keys(language)}
        assert not missing, f"{language}: {sorted(missing)}"


def test_public_templates_hold_no_inline_script_or_style() -> None:
    for template in PUBLIC.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), template.name
