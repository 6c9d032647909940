"""The catalogs of every sentence a user reads, one TOML file per language.

A count in English takes its noun's number through the format spec `plural`:
``"{count:plural:concern:concerns}"`` reads "1 concern", "3 concerns"; ``"{count:pick:is:are}"``
gives the word alone. Vietnamese has no plural and writes ``"{count} ý kiến"``.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from bot.config import LANGUAGES


class Catalog:
    def __init__(self, entries: dict[str, dict[str, str]]) -> None:
        self._entries = entries

    @classmethod
    @cache
    def load(cls) -> Catalog:
        entries = {}
        for language in LANGUAGES:
            raw = tomllib.loads(resources.files("bot.text").joinpath(f"{language}.toml").read_text("utf-8"))
            entries[language] = _flatten(raw)
        return cls(entries)

    def keys(self, language: str) -> set[str]:
        return set(self._entries[language])

    def t(self, language: str, key: str, **values: Any) -> str:
        catalog = self._entries.get(language) or self._entries["vi"]
        template = catalog.get(key)
        if template is None:
            template = self._entries["vi"][key]
        return _FORMATTER.format(template, **values) if values else template


def plural(count: int, one: str, other: str) -> str:
    """'1 resident', '2 residents': the one rule, for the catalogs and the command line."""
    return f"{count} {one if count == 1 else other}"


class _CountFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        kind, _, forms = format_spec.partition(":")
        one, colon, other = forms.partition(":")
        if kind == "plural" and colon:
            return plural(int(value), one, other)
        if kind == "pick" and colon:
            return one if int(value) == 1 else other
        return super().format_field(value, format_spec)


_FORMATTER = _CountFormatter()


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat
