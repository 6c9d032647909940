"""The words residents use, as data: short forms, synonyms, filler and the words that introduce a place.

Read from `synonyms.toml` shipped in this package, and from an optional file of the same form
a ward keeps for its own words (`[similarity] synonyms` in the config). Everything is folded
(bot.domain.textnorm.fold) on loading, so entries are written with their accents and found in
texts typed without them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path

from bot.config import Settings
from bot.domain.textnorm import fold

Words = tuple[str, ...]


class Kind(Enum):
    """What a phrase found in a text is."""

    MEANING = "meaning"  # a word of a synonym group: becomes the group's name
    STOP = "stop"  # filler: dropped
    NUMBERED = "numbered"  # introduces an alley or house number ("hẻm 48")
    NAMED = "named"  # introduces a place's name ("đường Tân Hóa")
    AREA = "area"  # introduces the number of an administrative unit ("khu phố 3")


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    value: str = ""  # the group's name (MEANING, NAMED), the kind of number (NUMBERED)
    also_named: bool = False  # a NUMBERED word that also introduces a name ("hẻm 48 Tân Hóa")
    place: str = ""  # the kind of place a NAMED word introduces ("trường"); "" a street


# Compared by identity: parsed texts are cached per lexicon, and a lexicon is built once.
@dataclass(frozen=True, eq=False)
class Lexicon:
    """Folded tables; phrases are tuples of folded words."""

    abbreviations: Mapping[str, Words]
    phrases: Mapping[Words, Entry]
    accented_stop: frozenset[str]  # lower-case NFC forms, filler only when written with accents
    light: frozenset[str] = frozenset()  # groups that say how, not what ("hư", "sửa"): weigh less
    longest: int = field(init=False)
    # The lengths of the phrases starting with each word, longest first: most words start
    # none, and a text is read word by word.
    lengths: Mapping[str, tuple[int, ...]] = field(init=False)
    groups: frozenset[str] = field(init=False)  # the names of the synonym groups
    weak: frozenset[str] = frozenset()  # folded words that, typed without accents, weigh little

    def __post_init__(self) -> None:
        object.__setattr__(self, "longest", max((len(p) for p in self.phrases), default=1))
        lengths: dict[str, set[int]] = {}
        for phrase in self.phrases:
            lengths.setdefault(phrase[0], set()).add(len(phrase))
        object.__setattr__(self, "lengths", {w: tuple(sorted(n, reverse=True)) for w, n in lengths.items()})
        object.__setattr__(self, "groups", frozenset(e.value for e in self.phrases.values() if e.kind is Kind.MEANING))

    def lookup(self, words: Words) -> Entry | None:
        return self.phrases.get(words)


_REPEATS = re.compile(r"([a-z])\1+")
_VOWEL = re.compile(r"[aeiouy]")


def squeeze(word: str) -> str:
    """Letters typed twice or more in a row count once ("đii" -> "di"): Vietnamese spells no
    doubled letter but in a handful of loanwords (xoong), and residents lean on keys. A word
    without a vowel is an acronym ("HHN"), kept as typed."""
    return _REPEATS.sub(r"\1", word) if _VOWEL.search(word) else word


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """One word folded as a whole: "Đ/c" -> "d/c" (fold() would split it). Cached: residents
    use a few thousand words, and every text of a meeting is read word by word."""
    decomposed = unicodedata.normalize("NFD", word.strip().lower().replace("đ", "d"))
    return squeeze("".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def fold_words(text: str) -> Words:
    return tuple(squeeze(w) for w in fold(text).split())


def parse_lexicon(sources: Iterable[str]) -> Lexicon:
    """Build a lexicon from TOML texts; a later source's entries replace an earlier one's.

    Within one source, a folded phrase claimed by two different entries is an error: the
    file would say two things about the same spelling.
    """
    abbreviations: dict[str, Words] = {}
    phrases: dict[Words, Entry] = {}
    accented: set[str] = set()
    light: set[str] = set()
    weak: set[str] = set()
    for source in sources:
        data = tomllib.loads(source)
        mine: dict[Words, Entry] = {}
        for typed, meant in data.get("abbreviations", {}).items():
            abbreviations[fold_word(typed)] = fold_words(meant)
        for entry, words in _entries(data):
            if not words:
                continue
            known = mine.get(words)
            if known is not None and known != entry and not _compatible(known, entry):
                raise ValueError(f"'{' '.join(words)}' is both {_describe(known)} and {_describe(entry)}")
            mine[words] = entry if known is None or known == entry else _merge(known, entry)
        phrases.update(mine)
        accented.update(w.strip().lower() for w in data.get("stop", {}).get("accented", []))
        light.update(" ".join(fold_words(w)) for w in data.get("weights", {}).get("light", []))
        weak.update(fold_word(w) for w in data.get("stop", {}).get("weak", []))
    return Lexicon(abbreviations, phrases, frozenset(accented), frozenset(light), frozenset(weak))


def _entries(data: Mapping[str, object]) -> Iterable[tuple[Entry, Words]]:
    for rewrite, meant in dict(data.get("phrases", {})).items():  # type: ignore[call-overload]
        # A rewrite is a synonym group of one variant whose name is several words.
        yield Entry(Kind.MEANING, " ".join(fold_words(meant))), fold_words(rewrite)
    for name, variants in dict(data.get("synonyms", {})).items():  # type: ignore[call-overload]
        group = " ".join(fold_words(name))
        for variant in [name, *variants]:
            yield Entry(Kind.MEANING, group), fold_words(variant)
    stop = dict(data.get("stop", {}))  # type: ignore[call-overload]
    for phrase in stop.get("phrases", []):
        yield Entry(Kind.STOP), fold_words(phrase)
    places = dict(data.get("places", {}))  # type: ignore[call-overload]
    for word, kind in dict(places.get("numbered", {})).items():
        yield Entry(Kind.NUMBERED, " ".join(fold_words(kind))), fold_words(word)
    for word, kind in dict(places.get("named", {})).items():
        yield Entry(Kind.NAMED, place=" ".join(fold_words(kind))), fold_words(word)
    for word, kind in dict(places.get("areas", {})).items():
        yield Entry(Kind.AREA, " ".join(fold_words(kind))), fold_words(word)


def _compatible(a: Entry, b: Entry) -> bool:
    # "hẻm" introduces a number and a name; a place word may also be filler elsewhere in the
    # list ("khu"): the place reading wins.
    # A place word may also be a synonym ("rạch" is "kênh"): the place reading wins and
    # keeps the meaning.
    kinds = {a.kind, b.kind}
    return Kind.NAMED in kinds or kinds in ({Kind.NUMBERED, Kind.STOP}, {Kind.AREA, Kind.STOP})


def _merge(a: Entry, b: Entry) -> Entry:
    if Kind.AREA in {a.kind, b.kind}:
        return a if a.kind is Kind.AREA else b
    numbered = a if a.kind is Kind.NUMBERED else b if b.kind is Kind.NUMBERED else None
    if numbered is not None:
        named = Kind.NAMED in {a.kind, b.kind} or numbered.also_named
        return Entry(Kind.NUMBERED, numbered.value, also_named=named)
    meaning = a.value or b.value
    return Entry(Kind.NAMED, meaning, place=a.place or b.place)


def _describe(entry: Entry) -> str:
    return f"{entry.kind.value} '{entry.value}'" if entry.value else entry.kind.value


def shipped_lexicon_text() -> str:
    return resources.files("bot.domain").joinpath("synonyms.toml").read_text("utf-8")


@lru_cache(maxsize=8)
def load_lexicon(extra: Path | None = None) -> Lexicon:
    """The shipped lexicon, with a ward's own file (same form) added on top if given."""
    sources = [shipped_lexicon_text()]
    if extra is not None:
        sources.append(extra.read_text("utf-8"))
    return parse_lexicon(sources)


def lexicon_for(settings: Settings) -> Lexicon:
    """The lexicon a unit's config asks for: the shipped one, and its own file if it names one."""
    extra = settings.similarity.synonyms
    return load_lexicon(Path(extra)) if extra else load_lexicon()
