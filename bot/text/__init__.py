"""The catalogs of every sentence a user reads, one TOML file per language."""

from __future__ import annotations

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
        return template.format(**values) if values else template


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat
