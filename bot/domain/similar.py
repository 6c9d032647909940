"""Finding concerns that say the same thing.

Used twice: at intake, open concerns of the same meeting and area that look like the one
being written are offered, so the resident can support one instead of filing a duplicate;
and before a meeting, concerns are grouped so that one agenda item can answer several.

"The same thing" is judged on words, not meaning. Texts are compared as sets of content
words (folded, filler removed), so diacritics, case, punctuation and word order do not
count. A word weighs by how rare it is among the concerns being compared (IDF): among one
area's concerns the street and alley appear everywhere, so they weigh little and the words
naming the problem ("đèn", "rác", "ngập") decide. The score is the weighted Dice overlap,
0-100: twice the weight of the shared words over the weight of both texts.

House and alley numbers are identifiers, checked apart from the score (texts_agree): alley 48
is not alley 84, and a numbered place is not a whole street.

Folding merges words (đèn/đến -> den, chợ/chó/cho -> cho, ổ/ở/ô -> o, tổ/to -> to), so the
filler list leaves out any folded word that also spells a word that matters here.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain


from bot.domain.textnorm import fold

# Defaults, on the 0-100 scale of Match.score; tests/test_similar.py pins what they let
# through and what they keep out.
FIND_THRESHOLD = 60.0
# A group is built around one concern that every member resembles (see cluster()), not
# chained through near-misses, so the bar can be the same as for the lookup.
CLUSTER_THRESHOLD = 60.0

# Multi-word filler, removed before single words so that "ở tổ dân phố" loses "tổ dân phố"
# before "ở tổ" could be read as "ô tô". Each is something any concern could say, whatever
# its subject.
_STOP_PHRASES: tuple[str, ...] = (
    "uy ban nhan dan",
    "co quan chuc nang",
    "to dan pho",
    "chinh quyen",
    "dia phuong",
    "de nghi",
    "kien nghi",
    "vui long",
    "khu pho",
    "khu vuc",
    "nguoi dan",
    "ba con",
    "chung toi",
    "hien nay",
    "tinh trang",
    "van de",
    "thuong xuyen",
    "phan anh",
    "giai quyet",
    "xem xet",
    "kinh gui",
    "cam on",
    "xay ra",
    "nhieu lan",
)

# Single filler syllables. Left out on purpose although they are filler too: "cho" (chợ,
# chó), "den" (đèn), "toi" (tối), "the" (thẻ), "anh" (ánh sáng), "ong" (Ông Ích Khiêm),
# "ba" (three), "so" (sổ đỏ), "xuong" (xuống cấp), "ma" (ma túy), "khi" (khí thải), "ve"
# (vệ sinh), "thang" (Lãnh Binh Thăng). In on purpose although they also spell a word:
# "chua" (chưa, far more often than the "chữa" of "chữa cháy", whose "cháy" stays) and
# "roi" (rồi, far more often than "rơi").
_STOP_SINGLE: frozenset[str] = frozenset(
    """
    a ai bi cac chua co cua da dang duoc em giup hon khong kinh la lam lau len mong mot nao
    nay nhe nhieu nhu nhung o phai phuong qua ra rat roi sao se som tai thi to trong tren
    ubnd va vao vay voi xin
    """.split()
)

# Compounds whose first syllable folds onto a filler ("ở", "và"): kept as one word so that
# "ổ gà" (pothole), "ô tô" (car), "ô nhiễm" and "va chạm" survive; "ô tô" then also equals
# "oto", as it is often typed.
_COMPOUNDS: dict[str, frozenset[str]] = {
    "o": frozenset({"to", "ga", "voi", "nhiem"}),
    "va": frozenset({"cham"}),
}
# How a compound is spelled in folded text, to look for it there.
_SPELLED: dict[str, str] = {a + b: f"{a} {b}" for a, rest in _COMPOUNDS.items() for b in rest}

# "hư 2 tuần nay", "hơn một tháng", "mấy ngày": how long, not what or where. Dropped whole:
# the number would otherwise stop a match with the same place (see texts_agree), and the unit
# would count as a word of the concern ("năm nay" alone stays: it is not a duration).
_UNITS: frozenset[str] = frozenset({"tuan", "thang", "ngay", "nam", "gio", "phut", "tieng", "h"})
_COUNTS: frozenset[str] = frozenset(
    {"mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi", "may", "vai", "nua", "ca"}
)
# ... unless a word that introduces a place comes first: "hẻm 48 tháng nào cũng ngập".
_PLACE_BEFORE_NUMBER: frozenset[str] = frozenset(
    {"hem", "kiet", "ngo", "ngach", "so", "nha", "to", "lo", "lop", "phong", "duong"}
)

# Administrative units followed by their number ("khu phố 3", "tổ 5", "KP 3") become one
# word, "kp3", "tdp5": residents add their own khu phố in passing, so these are not scored
# like the words of the concern, only checked for a clash (see texts_agree).
_AREA_CODES: dict[tuple[str, ...], str] = {
    ("to", "dan", "pho"): "tdp",
    ("khu", "pho"): "kp",
    ("to",): "tdp",
    ("tdp",): "tdp",
    ("kp",): "kp",
    ("phuong",): "p",
    ("quan",): "q",
    ("ap",): "ap",
    ("thon",): "thon",
}
_AREA_CODE = re.compile(r"(?:tdp|kp|p|q|ap|thon)\d+")
# A number keywords() keeps whatever follows: after a word that introduces a house or alley.
_CERTAIN_NUMBER = re.compile(r"(?:^| )(?:hem|so|nha|kiet|ngo|ngach) \d")
# The same in texts joined by " \n " (see _Joined): every word has a space before it there.
_CERTAIN_NUMBERS = re.compile(r" (?:hem|so|nha|kiet|ngo|ngach) \d")

_AREA_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _code in sorted(_AREA_CODES.items(), key=lambda item: -len(item[0])):
    _AREA_BY_FIRST.setdefault(_words[0], []).append((_words[1:], _code))
_PHRASE_TAILS: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(_STOP_PHRASES, key=lambda p: -len(p.split())):
    _first, *_tail = _phrase.split()
    _PHRASE_TAILS.setdefault(_first, []).append(tuple(_tail))
# Words that may start something longer than themselves; all others are looked at alone.
_SPECIAL: frozenset[str] = frozenset(_AREA_BY_FIRST) | frozenset(_PHRASE_TAILS) | frozenset(_COMPOUNDS) | _COUNTS

# A group's member must resemble the group's centre at the threshold, and the centre and
# its first members (up to CORE_SIZE, the ones most like the centre) on average at this
# share of it. Rewordings of one problem resemble each other at 55-75 even when only the
# centre clears 60; a concern that names two problems ("đèn hư, rác không thu gom")
# resembles the other problem's concerns at 30-45, and is kept out of one of the groups.
CORE_SHARE = 0.85
CORE_SIZE = 8

# For the lookup without an index, the rarity of words is estimated on at most this many
# candidates, spread evenly: splitting all 20,000 would spend the time budget, and the
# weights (rounded logarithms) only need orders of magnitude.
_DF_SAMPLE = 512
# From how many candidates on a lookup without a number first sets aside, in one pass, the
# texts that have one (see find_similar): below, testing the texts found one by one is
# cheaper.
_NUMBERED_FIRST = 2000


@dataclass(frozen=True, slots=True)
class Match:
    concern_id: int
    score: float


def stop_words() -> frozenset[str]:
    """Folded filler words and phrases ignored when comparing concerns."""
    return _STOP_SINGLE | frozenset(_STOP_PHRASES)


def keywords(folded: str) -> tuple[str, ...]:
    """Content words of an already folded text, in order.

    Filler and durations are dropped, "ổ gà"-like compounds joined ("oga"), numbered
    administrative units coded ("khu phố 3" -> "kp3").
    """
    words = folded.split()
    n = len(words)
    kept: list[str] = []
    i = 0
    # Most words are plain; only those that can start something longer take the slow path.
    # This runs for every candidate a lookup looks at.
    while i < n:
        word = words[i]
        if word in _SPECIAL or word.isdigit():
            i += _special(words, i, kept)
        else:
            if word not in _STOP_SINGLE:
                kept.append(word)
            i += 1
    return tuple(kept)


def _special(words: list[str], i: int, kept: list[str]) -> int:
    """Handle words[i], which may start a longer form; returns how many words it used."""
    n = len(words)
    word = words[i]
    for tail, code in _AREA_BY_FIRST.get(word, ()):
        end = i + 1 + len(tail)
        if end < n and words[end].isdigit() and tuple(words[i + 1 : end]) == tail:
            kept.append(code + words[end])
            return 2 + len(tail)
    for tail in _PHRASE_TAILS.get(word, ()):
        if tuple(words[i + 1 : i + 1 + len(tail)]) == tail:
            return 1 + len(tail)
    following = words[i + 1] if i + 1 < n else ""
    # "ở tổ 5" is a place, not a car: a compound never swallows a word before a number.
    if following in _COMPOUNDS.get(word, ()) and not (i + 2 < n and words[i + 2].isdigit()):
        kept.append(word + following)
        return 2
    previous = words[i - 1] if i > 0 else ""
    counts = (word in _COUNTS and not (word == "may" and previous == "xe")) or (
        word.isdigit() and previous not in _PLACE_BEFORE_NUMBER
    )
    if counts and following in _UNITS:
        return 2
    # "3 lần" (three times): the count goes, "lần" stays, being also "lấn" (lấn chiếm).
    if counts and following == "lan":
        return 1
    if word not in _STOP_SINGLE:
        kept.append(word)
    return 1


@dataclass(frozen=True, slots=True)
class ParsedText:
    """A folded text as compared: its scored words and its identifiers."""

    words: frozenset[str]  # with house and alley numbers, without area codes
    numbers: frozenset[str]  # house and alley numbers ("48a" too: any word with a digit)
    areas: frozenset[str]  # numbered administrative units: "kp3", "tdp5"


@lru_cache(maxsize=8192)
def parse(folded: str) -> ParsedText:
    # Cached: lookups at intake compare against the same open concerns again and again, and
    # the rarity sample of find_similar is the same texts each time.
    words = frozenset(keywords(folded))
    ids = [w for w in words if not w.isalpha()]
    if not ids:
        return ParsedText(words, frozenset(), frozenset())
    areas = frozenset(w for w in ids if _AREA_CODE.fullmatch(w))
    return ParsedText(words - areas, frozenset(ids) - areas, areas)


def texts_agree(a: ParsedText, b: ParsedText) -> bool:
    # Alley 48 is not alley 84; and a numbered place is not a whole street or a landmark:
    # to someone who wrote "đường Tân Hóa", "hẻm 48 Tân Hóa" may be any of its alleys.
    # Without the second rule one unnumbered concern sharing a long common phrase ("xe ô tô
    # đậu hai bên gây cản trở đi lại") gathered that complaint from every alley of the ward.
    if bool(a.numbers) != bool(b.numbers) or (a.numbers and a.numbers.isdisjoint(b.numbers)):
        return False
    # Areas are added in passing and often left out: only a clash counts.
    return not (a.areas and b.areas and a.areas.isdisjoint(b.areas))


def word_weight(df: int, pool: int) -> int:
    # Smoothed IDF in half units, rounded: integer weights let cluster() compute the very
    # same score in C (see _encode), and half a unit is finer than the estimate deserves.
    # A word every text has weighs 1; in a pool of two, a word one text lacks weighs 2.
    return 1 + round(2.0 * math.log((1 + pool) / (1 + df)))


class _Weights:
    """Word weights for one pool of texts, each computed once."""

    def __init__(self, df: Callable[[str], int], pool: int) -> None:
        self._df = df
        self._pool = pool
        self._cache: dict[str, int] = {}

    def __call__(self, word: str) -> int:
        weight = self._cache.get(word)
        if weight is None:
            weight = self._cache[word] = word_weight(self._df(word), self._pool)
        return weight


def weighted_dice(a: frozenset[str], b: frozenset[str], weight: Callable[[str], int]) -> float:
    total = sum(map(weight, a)) + sum(map(weight, b))
    return 200.0 * sum(map(weight, a & b)) / total if total else 0.0


def _need(total: float, threshold: float) -> float:
    """The least weight a text of weight `total` shares with any text it scores >= threshold with.

    From 2 * shared / (total + other) >= t and shared <= other. The margin keeps a pair
    that sits exactly on the threshold despite float rounding.
    """
    t = threshold / 100.0
    return t * total / (2.0 - t) - 1e-9


def prefix_words(
    words: Iterable[str], weight: Callable[[str], int], rank: Callable[[str], tuple[int, str]], threshold: float
) -> list[str]:
    """The rarest words of a text, up to where the rest weighs less than _need.

    What a matching text shares cannot lie entirely after the prefix, so only texts holding
    a prefix word need scoring. Two texts whose prefixes follow the same `rank` even share a
    prefix word: the rarest word they share is in both prefixes.
    """
    ranked = sorted(words, key=rank)
    left = sum(map(weight, ranked))
    need = _need(left, threshold)
    prefix: list[str] = []
    for word in ranked:
        if left < need:
            break
        prefix.append(word)
        left -= weight(word)
    return prefix


def _needles(
    text: ParsedText, weight: Callable[[str], int], rank: Callable[[str], tuple[int, str]], threshold: float
) -> Iterable[str]:
    """Words of which any text matching `text` holds at least one."""
    # A match shares a house or alley number (texts_agree), and those are rare.
    return text.numbers or prefix_words(text.words, weight, rank, threshold)


def check_threshold(threshold: float, limit: int | None = None) -> None:
    # Zero would let every pair match, and the pruning above needs a positive bar.
    if not 0.0 < threshold <= 100.0:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def _best(
    query: ParsedText,
    candidates: Iterable[tuple[int, ParsedText]],
    weight: Callable[[str], int],
    limit: int,
    threshold: float,
) -> list[Match]:
    matches: list[Match] = []
    for concern_id, text in candidates:
        if texts_agree(query, text):
            score = weighted_dice(query.words, text.words, weight)
            if score >= threshold:
                matches.append(Match(concern_id, score))
    matches.sort(key=lambda m: (-m.score, m.concern_id))
    return matches[:limit]


def find_similar(
    query: str,
    candidates: Sequence[tuple[int, str]],
    *,
    limit: int = 3,
    threshold: float = FIND_THRESHOLD,
) -> list[Match]:
    """Candidates that say what `query` says, best first (ties: smaller id first).

    `query` is raw or folded text; `candidates` are (concern_id, folded text), typically the
    open concerns of the same meeting and area. Word rarity is taken from the candidates (a
    sample of them beyond 512), so the same pair can score differently among other
    candidates.
    """
    check_threshold(threshold, limit)
    query_text = parse(fold(query))
    if not query_text.words or not candidates:
        return []
    texts = [text for _, text in candidates]
    sample = [parse(t) for t in texts[:: -(-len(texts) // _DF_SAMPLE)]]
    df: Counter[str] = Counter(chain.from_iterable(t.words for t in sample))
    # The query is one more text of the pool, as in SimilarityIndex.find.
    df.update(query_text.words)
    weight = _Weights(df.__getitem__, len(sample) + 1)
    needles = _needles(query_text, weight, lambda w: (df[w], w), threshold)
    forms = list(chain(needles, (_SPELLED[w] for w in needles if w in _SPELLED)))
    joined = _Joined(texts)
    # Only candidates holding a needle can match; before splitting one, cheap tests that only
    # ever drop texts that cannot match. A query without a house or alley number cannot
    # match a text with one (texts_agree), and "hẻm 48", "số 12" are numbers keywords() keeps.
    has_number = None if query_text.numbers else _CERTAIN_NUMBER.search
    if has_number is not None and len(texts) > _NUMBERED_FIRST:
        # When the needles are common words (a query naming a street and a problem, no
        # number), most texts hold one, and most of those hold a number: one regex pass
        # over all texts finds those at less than the cost of testing each one found.
        holding = _holding(_Joined(texts, skip=joined.numbered()), forms)
    else:
        holding = _holding(joined, forms)
    # The query words found among a candidate's raw words weigh at least what the two share.
    need = _need(sum(map(weight, query_text.words)), threshold)
    query_weight = {w: weight(w) for w in query_text.words}
    compounds = [(w, weight(w), f" {_SPELLED[w]} ") for w in query_text.words if w in _SPELLED]
    shortlist: list[tuple[int, ParsedText]] = []
    for index in holding:
        text = texts[index]
        tokens = text.split()
        bound = sum(map(query_weight.__getitem__, query_text.words.intersection(tokens)))
        if compounds:
            padded = f" {text} "
            bound += sum(w for word, w, spelled in compounds if word not in tokens and spelled in padded)
        if bound >= need and (has_number is None or not has_number(text)):
            shortlist.append((candidates[index][0], parse(text)))
    return _best(query_text, shortlist, weight, limit, threshold)


class _Joined:
    """Texts joined into one string, so that scans over all of them run in C.

    Splitting 20,000 texts in Python, or a regex starting with \\b (which disables the fast
    literal search), takes longer than the whole lookup may.
    """

    def __init__(self, texts: Sequence[str], skip: set[int] | frozenset[int] = frozenset()) -> None:
        self.indices = [i for i in range(len(texts)) if i not in skip] if skip else range(len(texts))
        kept = [texts[i] for i in self.indices] if skip else texts
        self.text = " " + " \n ".join(kept) + " "
        # Where each text's first character is.
        self.begins = list(accumulate((len(t) + 3 for t in kept[:-1]), initial=1))

    def position(self, offset: int) -> int:
        """The number, among the joined texts, of the one holding `offset`."""
        return bisect_right(self.begins, offset) - 1

    def numbered(self) -> set[int]:
        """Indices of the texts with a number keywords() always keeps (see _CERTAIN_NUMBER)."""
        return {self.indices[self.position(found.start() + 1)] for found in _CERTAIN_NUMBERS.finditer(self.text)}


def _holding(joined: _Joined, forms: Iterable[str]) -> set[int]:
    """Indices of the joined texts in which any of `forms` occurs as whole words."""
    text, begins = joined.text, joined.begins
    found: set[int] = set()
    for form in forms:
        pattern = f" {form} "
        offset = text.find(pattern)
        while offset != -1:
            position = joined.position(offset + 1)
            found.add(position)
            # The rest of this text cannot add anything: go on from the next one.
            offset = text.find(pattern, begins[position + 1] - 1) if position + 1 < len(begins) else -1
    return {joined.indices[position] for position in found}


class SimilarityIndex:
    """Concerns kept folded, split and indexed by word, for repeated lookups."""

    def __init__(self, items: Iterable[tuple[int, str]] = ()) -> None:
        self._texts: dict[int, ParsedText] = {}
        # Which concerns hold each word; its size is the word's document frequency.
        self._postings: dict[str, set[int]] = {}
        for concern_id, text in items:
            self.add(concern_id, text)

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, concern_id: object) -> bool:
        return concern_id in self._texts

    def add(self, concern_id: int, text: str) -> None:
        """Index a concern's text (raw or folded); adding an indexed id replaces its text."""
        if concern_id in self._texts:
            self.remove(concern_id)
        parsed = parse(fold(text))
        self._texts[concern_id] = parsed
        for word in parsed.words:
            self._postings.setdefault(word, set()).add(concern_id)

    def remove(self, concern_id: int) -> None:
        """Forget a concern; KeyError if it is not indexed."""
        for word in self._texts.pop(concern_id).words:
            holders = self._postings[word]
            holders.discard(concern_id)
            if not holders:
                del self._postings[word]

    def find(self, query: str, limit: int = 3, threshold: float = FIND_THRESHOLD) -> list[Match]:
        """Indexed concerns that say what `query` (raw or folded) says, best first."""
        check_threshold(threshold, limit)
        query_text = parse(fold(query))
        if not query_text.words or not self._texts:
            return []
        postings = self._postings

        def df(word: str) -> int:
            return len(postings.get(word, ())) + (word in query_text.words)

        weight = _Weights(df, len(self._texts) + 1)
        needles = _needles(query_text, weight, lambda w: (df(w), w), threshold)
        ids = set().union(*(postings.get(w, ()) for w in needles))
        return _best(query_text, ((i, self._texts[i]) for i in ids), weight, limit, threshold)
