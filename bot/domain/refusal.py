"""Why a staff action was refused, as a catalog key and its values, so each reader gets their language.

The services raise a `Refusal` (through their own subclasses: TriageError, AgendaError, …).
The staff chat renders it in Vietnamese with `render(catalog, "vi")`; `str()` gives the English
text of the same key, which is what the command line prints and what logs and tests read.
The sentences live in the catalogs under `[refusal]`.

Values are shown as they are, except:
  * a `Term` (a word such as a meeting's phase) is looked up in the catalog in the same language;
  * a `Refusal` is rendered in the same language (a problem inside a larger refusal);
  * a list or tuple of those is rendered item by item and joined with "; ".

This module imports nothing of the bot at import time, so that the document modules
(bot.documents) can use it and stay free of the rest of the application.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.domain.vocabulary import ConcernStatus, Phase
    from bot.text import Catalog

SEPARATOR = "; "


@dataclass(frozen=True)
class Term:
    """A value that is a catalog key, e.g. `refusal.phase.held`; `fallback` if the catalog lacks it."""

    key: str
    fallback: str

    def render(self, catalog: Catalog, language: str) -> str:
        try:
            return catalog.t(language, self.key)
        except KeyError:
            return self.fallback


def phase_term(phase: Phase | str) -> Term:
    """A meeting's phase (`held`, `intake_open`, …) as a refusal reads it (`Phase.refusal_key`).

    A plain word is taken too: one the vocabulary does not know yet still reads as itself.
    """
    return Term(f"refusal.phase.{phase}", str(phase).replace("_", " "))


def status_term(status: ConcernStatus | str) -> Term:
    """A concern's status (`withdrawn`, `merged`, …) as a refusal reads it (`ConcernStatus.refusal_key`)."""
    return Term(f"refusal.status.{status}", str(status).replace("_", " "))


class Refusal(ValueError):
    """A refused action: `key` names its sentence in the catalogs, `values` fill it in."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values: dict[str, Any] = values

    def render(self, catalog: Catalog, language: str) -> str:
        """The sentence in `language` (for staff in the chat: "vi")."""
        try:
            filled = {name: _rendered(value, catalog, language) for name, value in self.values.items()}
            return catalog.t(language, self.key, **filled)
        except (KeyError, IndexError, ValueError):
            # Never fail while explaining a failure (a key missing from the catalogs): show what there is.
            details = ", ".join(f"{name}={value!s}" for name, value in self.values.items())
            return f"{self.key} ({details})" if details else self.key

    def text(self, language: str) -> str:
        """The sentence in `language`, from the catalogs (loaded when first asked, as for str())."""
        from bot.text import Catalog

        return self.render(Catalog.load(), language)

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        values = "".join(f", {name}={value!r}" for name, value in self.values.items())
        return f"{type(self).__name__}({self.key!r}{values})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Refusal):
            return NotImplemented
        return (type(self), self.key, self.values) == (type(other), other.key, other.values)

    def __hash__(self) -> int:
        return hash((type(self), self.key))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.key, self.values))


def _rebuild(cls: type[Refusal], key: str, values: dict[str, Any]) -> Refusal:
    return cls(key, **values)


def _rendered(value: Any, catalog: Catalog, language: str) -> Any:
    if isinstance(value, (Refusal, Term)):
        return value.render(catalog, language)
    if isinstance(value, (list, tuple)):
        return SEPARATOR.join(str(_rendered(item, catalog, language)) for item in value)
    return value
