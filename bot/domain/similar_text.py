"""Reading a concern for comparison: what it is about, and where.

A text becomes three things (ParsedText):
- `words`: what the concern says, folded, with filler gone and synonyms made one word
  ("đèn chiếu sáng", "bóng đèn", "den duong" are all "den"; "hỏng", "bể", "ko sáng" are "hu");
- `places`: the names of the places it names, each a run of syllables ("tan hoa", "han hai
  nguyen"), found after a word that introduces a place ("đường", "hẻm 48", "ngã tư") or
  written with capitals ("Lãnh Binh Thăng"), each also known by its initials ("HHN");
- `numbers`: alleys and houses ("hem 48", "so 30") and `areas` ("kp 3", "tdp 5").
The lexicon (bot/domain/synonyms.toml and a ward's own file) says which words are which.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from bot.domain.lexicon import Entry, Kind, Lexicon, fold_word, load_lexicon
from bot.domain.textnorm import clean

Run = tuple[str, ...]

# Words, numbers with their sub-numbers ("12/3") and "đ/c"; and the punctuation that ends a
# place's name ("Phú Thọ – Hàn Hải Nguyên" names two places).
_TOKEN = re.compile(r"\w+(?:/\w+)*|[.,;:!?()\[\]\"“”…–—-]")
# "kp2" -> "kp 2", "6h30" -> "6h 30"; a house number keeps its letter ("48a").
_PIECE = re.compile(r"\d+(?:/\d+)*[a-z]?(?![a-z])|[a-z]+|\d+")
_NUMBER = re.compile(r"\d+(?:/\d+)*[a-z]?")
_BOUNDARY = "|"
# Marks a word that may be filler, typed without accents ("cho~"): it weighs little.
WEAK = "~"
# Mark syllables in ParsedText.key: "@hoa" written, "#hoa" of a place's name.
WRITTEN_MARK = "@"
NAME_MARK = "#"
INITIALS_MARK = "="
_PLACE_KINDS = frozenset({Kind.NUMBERED, Kind.NAMED, Kind.AREA})
# A place's name is a few syllables; more means the run swallowed the sentence.
_MAX_NAME = 4
# Acronyms residents use for streets ("HHN", "LBT") are short.
_ACRONYM = re.compile(r"[a-z]{2,4}")


@dataclass(frozen=True, slots=True)
class ParsedText:
    words: frozenset[str]  # what it says, without the syllables of its places' names
    places: frozenset[Run]  # names of places; a one-syllable run may be an acronym
    numbers: frozenset[str]  # "hem 48", "so 30": identifiers of an alley or a house
    areas: frozenset[str]  # "kp 3", "tdp 5"
    # Every folded syllable written but numbers, filler too: a place's name may hold a word
    # the lexicon reads as filler elsewhere ("Minh" is "mình", "Quân" is "quận"). A tuple:
    # a meeting's texts are all kept parsed, and a tuple is a sixth of a set's size.
    syllables: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()  # the syllables of its places' names
    alleys: frozenset[str] = frozenset()  # the numbers that are alleys ("hem 48")
    acronyms: bool = False  # whether a place is named by its initials ("HHN")
    # The kind of the places that are not streets: (("phu", "tho"), "truong").
    landmarks: frozenset[tuple[Run, str]] = frozenset()

    @property
    def key(self) -> str:
        """Its words and numbers, and marks of where it may be, as one string the lookup
        indexes (bot.domain.similar_lookup): " ket_xe hem_48 #hoa #tan =th ".

        The marks: the syllables of its places' names ("#hoa") and their initials ("=th");
        if it names none, every syllable written ("@lanh": a name not read as one)."""
        unnamed = [] if self.places else [WRITTEN_MARK + s for s in self.syllables]
        marks = unnamed + [NAME_MARK + s for s in self.names] + [INITIALS_MARK + initials_of(r) for r in self.places]
        return " " + " ".join(sorted(key_form(w) for w in self.words | self.numbers) + marks) + " "



@dataclass(frozen=True, slots=True)
class _Token:
    word: str  # folded
    capital: bool = False  # written with a capital first letter (in a text that is not all capitals)
    # Filler as written ("tôi", "đến"), though its folded form is a word that matters
    # ("tối", "đèn"); still read as part of a phrase ("cho hỏi").
    filler: bool = False


def tokens(text: str, lexicon: Lexicon) -> list[_Token]:
    """Folded words in order, short forms spelled out, punctuation as boundaries."""
    text = clean(text)
    accented = _has_accents(text)
    # In a text all in capitals, capitals say nothing about names.
    shouting = not any(ch.islower() for ch in text)
    found: list[_Token] = []
    for raw in _TOKEN.findall(text):
        if not raw[0].isalnum() and raw[0] != "_":
            found.append(_Token(_BOUNDARY))
            continue
        lower = raw.lower()
        filler = accented and lower in lexicon.accented_stop
        capital = raw[0].isupper() and not shouting
        folded = fold_word(lower)
        pieces = [folded] if "/" in folded or folded in lexicon.abbreviations else _PIECE.findall(folded)
        for piece in pieces:
            spelled = lexicon.abbreviations.get(piece)
            if spelled is None:
                # Interned: the same few thousand words stand in every text kept parsed.
                found.append(_Token(sys.intern(piece), capital, filler))
            else:
                found.extend(_Token(w) for w in spelled)
    return found


# Parsed texts by lexicon, then by text: a meeting's open concerns are read again for every
# lookup, and a dictionary is the cheapest cache to read 20,000 times. Emptied when full
# (a meeting holds far fewer open concerns than this).
_PARSED: dict[int, dict[str, ParsedText]] = {}
CACHE_SIZE = 60_000


def parse(text: str, lexicon: Lexicon | None = None) -> ParsedText:
    """What a concern's text (raw or folded) says and where."""
    lexicon = lexicon or load_lexicon()
    cache = _PARSED.setdefault(id(lexicon), {})
    found = cache.get(text)
    if found is None:
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        found = cache[text] = _Reader(tokens(text, lexicon), lexicon, not _has_accents(text)).read()
    return found


def parsed_all(texts: list[str], lexicon: Lexicon | None = None) -> list[ParsedText]:
    """parse() of many texts, at the cost of a dictionary lookup each once they are known."""
    lexicon = lexicon or load_lexicon()
    cache = _PARSED.setdefault(id(lexicon), {})
    found = list(map(cache.get, texts))
    if not all(found):  # (a ParsedText is always true)
        found = [known or parse(text, lexicon) for known, text in zip(found, texts)]
    return found  # type: ignore[return-value]


def _has_accents(text: str) -> bool:
    return any(ord(ch) > 127 and ch.isalpha() for ch in text)


class _Reader:
    def __init__(self, found: list[_Token], lexicon: Lexicon, ambiguous: bool) -> None:
        self.found = found
        self.ambiguous = ambiguous  # written without accents
        self.lexicon = lexicon
        self.words: list[str] = []
        self.places: set[Run] = set()
        self.numbers: set[str] = set()
        self.areas: set[str] = set()
        self.kinds: dict[Run, str] = {}

    def read(self) -> ParsedText:
        i, n = 0, len(self.found)
        while i < n:
            i = self._step(i)
        syllables = {s for run in self.places for s in run}
        words = frozenset(w for w in self.words if w not in syllables)
        written = tuple(sorted({t.word for t in self.found if t.word != _BOUNDARY and not t.word[0].isdigit()}))
        numbers = frozenset(self.numbers)
        return ParsedText(
            words, frozenset(self.places), numbers, frozenset(self.areas), written, frozenset(syllables),
            frozenset(n for n in numbers if n.startswith("hem ")), any(map(is_acronym, self.places)),
            frozenset(self.kinds.items()),
        )

    def _phrase(self, i: int) -> tuple[Entry | None, int]:
        """The longest lexicon phrase starting at i, and its length (0 if none)."""
        found = self.found
        left = len(found) - i
        # Filler as written starts a phrase ("cho hỏi") but is no word of its own.
        least = 2 if found[i].filler else 1
        for length in self.lexicon.lengths.get(found[i].word, ()):
            if length > left or length < least:
                continue
            words = tuple(t.word for t in found[i : i + length])
            if _BOUNDARY in words:
                continue
            entry = self.lexicon.lookup(words)
            if entry is not None and not (length > 1 and self._numbered_inside(i + length - 1)):
                return entry, length
        return None, 0

    def _numbered_inside(self, last: int) -> bool:
        """Whether the phrase's last word introduces the number after it: "ở tổ 5" is a
        residential group, not "ô tô"."""
        entry = self.lexicon.lookup((self.found[last].word,))
        return entry is not None and entry.kind in (Kind.AREA, Kind.NUMBERED) and self._number_at(last + 1) is not None

    def _number_at(self, i: int) -> str | None:
        if i < len(self.found) and _NUMBER.fullmatch(self.found[i].word):
            return self.found[i].word
        return None

    def _step(self, i: int) -> int:
        token = self.found[i]
        if token.word == _BOUNDARY:
            return i + 1
        entry, length = self._phrase(i)
        if entry is None:
            if token.filler:
                return i + 1
            if token.word.isdigit() or _NUMBER.fullmatch(token.word):
                return i + 1  # a count, a time, a phone number: not what the concern is about
            if token.capital:
                return self._capitals(i)
            self.words.append(token.word)
            return i + 1
        after = i + length
        if entry.kind is Kind.STOP:
            return after
        if entry.kind is Kind.AREA:
            # "Q.11", "P.7": the dot of the short form between.
            dotted = after < len(self.found) and self.found[after].word == _BOUNDARY
            number = self._number_at(after + 1 if dotted else after)
            if number is not None:
                self.areas.add(f"{entry.value} {number}")
                return after + (2 if dotted else 1)
            return self._unit_name(after)
        if entry.kind is Kind.NUMBERED:
            number = self._number_at(after)
            if number is not None:
                self.numbers.add(f"{entry.value} {number}")
                return self._name(after + 1) if entry.also_named else after + 1
            return self._name(after) if entry.also_named else after
        if entry.kind is Kind.NAMED:
            end = self._name(after, entry.place)
            # "trường tiểu học Phú Thọ" is a place; "trường mầm non quá tải", a school.
            if entry.value and end == after:
                self.words.append(entry.value)
            return end
        if length == 1 and self.ambiguous and token.word in self.lexicon.weak:
            # Typed without accents, "cho" is far more often "for" than "chó" or "chợ".
            self.words.append(token.word + WEAK)
            return after
        self.words.append(entry.value)
        # "lề đường Tân Hóa", "kẹt đường Phú Thọ": the phrase ends with the word that
        # introduces the place.
        last = self.lexicon.lookup((self.found[after - 1].word,))
        if length > 1 and last is not None and last.kind is Kind.NAMED:
            return self._name(after)
        return after

    def _name(self, i: int, kind: str = "") -> int:
        """Read the name of a place of `kind` starting at i (possibly none); returns where it ends."""
        run: list[str] = []
        capitals = i < len(self.found) and self.found[i].capital
        j = i
        while j < len(self.found) and len(run) < _MAX_NAME:
            token = self.found[j]
            if token.word == _BOUNDARY or self._number_at(j) is not None:
                break
            # With capitals written, the name is the capitalised words, whatever they are
            # elsewhere ("Lãnh Binh Thăng", "Minh Phụng"); without, it ends at the first word
            # the lexicon knows, filler only once it has two syllables ("binh thoi").
            entry = self._phrase(j)[0]
            if capitals:
                if not token.capital or (entry is not None and entry.kind in _PLACE_KINDS):
                    break
            elif token.filler or entry is not None:
                break
            run.append(token.word)
            j += 1
        # One lower-case syllable after "đường" is rather a pipe ("đường ống") than a street.
        if len(run) == 1 and not capitals and not is_acronym(tuple(run)):
            return i
        self._add_place(run, kind)
        return j if run else i

    def _unit_name(self, i: int) -> int:
        """Skip the capitalised name of an administrative unit ("phường Phú Thọ", "P. Phú Thọ")."""
        if i + 1 < len(self.found) and self.found[i].word == _BOUNDARY and self.found[i + 1].capital:
            i += 1
        j = i
        while j < len(self.found) and self.found[j].capital and j - i < _MAX_NAME:
            entry = self._phrase(j)[0]
            if entry is not None and entry.kind is not Kind.STOP:
                break
            j += 1
        return j if j - i >= 2 else i if self.found[i - 1].word != _BOUNDARY else i - 1

    def _capitals(self, i: int) -> int:
        """Two or more capitalised words the lexicon does not know are a name ("Lò Siêu")."""
        j = i
        while j < len(self.found) and self.found[j].capital and self.found[j].word != _BOUNDARY and j - i < _MAX_NAME:
            entry = self._phrase(j)[0]
            if (entry is not None and (entry.kind is not Kind.STOP or j == i)) or self._number_at(j) is not None:
                break
            j += 1
        if j - i >= 2:
            self._add_place([t.word for t in self.found[i:j]])
            return j
        self.words.append(self.found[i].word)
        return i + 1

    def _add_place(self, run: list[str], kind: str = "") -> None:
        if run:
            self.places.add(tuple(run))
            self.words.extend(run)
            if kind:
                self.kinds[tuple(run)] = kind


def key_form(word: str) -> str:
    """A word or number as it is spelled in ParsedText.key."""
    return word.replace(" ", "_")


def initials_of(run: Run) -> str:
    """What a place is called by its initials: "th" for Tân Hóa, "hhn" for HHN itself."""
    return run[0] if is_acronym(run) else initials(run)


def initials(run: Run) -> str:
    return "".join(s[0] for s in run)


def is_acronym(run: Run) -> bool:
    return len(run) == 1 and bool(_ACRONYM.fullmatch(run[0])) and not any(c in "aeiouy" for c in run[0])
