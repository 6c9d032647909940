"""Finding concerns that say the same thing.

Used twice: at intake, open concerns of the same meeting and area that look like the one
being written are offered, so the resident can support one instead of filing a duplicate;
and before a meeting, concerns are grouped so that one agenda item can answer several.

"The same thing" is judged on words, not meaning. Texts are compared as sets of content
words (folded, filler removed), so diacritics, case, punctuation and word order do not
count. A word weighs by how rare it is among the concerns being compared (IDF): among one
area's concerns the street and alley appear everywhere, so they weigh little and the words
naming the problem ("đèn", "rác", "ngập") decide. The score is the weighted Dice overlap,
0-100: twice the weight of the shared words over the weight of both texts. Numbers are
identifiers (alley 48 is not alley 84): two texts that both carry numbers but share none
never match.

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
from itertools import accumulate, chain

from rapidfuzz import fuzz, process

from bot.textnorm import fold

# Defaults, on the 0-100 scale of Match.score; tests/test_similar.py pins what they let
# through and what they keep out.
FIND_THRESHOLD = 60.0
# A group is built around one concern that every member resembles (see cluster()), so the
# bar can be the same as for the lookup.
CLUSTER_THRESHOLD = 60.0

# Multi-word filler, removed before anything else so that "ở tổ dân phố 5" loses "tổ dân
# phố" before "ở tổ" could be read as "ô tô". Each is something any concern could say,
# whatever its subject.
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
# chó), "den" (đèn), "toi" (tối), "chua" (chữa), "roi" (rơi), "the" (thẻ), "anh" (ánh
# sáng), "ong" (Ông Ích Khiêm), "ba" (three), "so" (sổ đỏ), "xuong" (xuống cấp), "ma" (ma
# túy), "khi" (khí thải), "ve" (vệ sinh), "thang" (Lãnh Binh Thăng).
_STOP_SINGLE: frozenset[str] = frozenset(
    """
    a ai bi cac co cua da dang duoc em giup hon khong kinh la lam lau len mong mot nao nay
    nhe nhieu nhu nhung o phai phuong qua ra rat sao se som tai thi to trong tren ubnd va
    vao vay voi xin
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
_SPELLED: dict[str, str] = {first + second: f"{first} {second}" for first, rest in _COMPOUNDS.items() for second in rest}

# "hư 2 tuần nay", "hơn 1 tháng", "năm 2025": a number next to a unit of time or count says
# how long, not where, and would otherwise block a match with the same place (see _numbers).
_UNITS: frozenset[str] = frozenset({"tuan", "thang", "ngay", "nam", "gio", "phut", "tieng", "lan", "h"})
# ... unless it follows a word that introduces a place: "hẻm 48 tháng nào cũng ngập".
_PLACE_BEFORE_NUMBER: frozenset[str] = frozenset({"hem", "kiet", "ngo", "ngach", "so", "nha", "to", "lo", "lop", "phong", "duong"})

# Administrative units followed by their number ("khu phố 3", "tổ 5", "KP 3") become one
# word, "kp3", "tdp5": an area the resident names, not a house or alley number (see
# _places_agree).
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
_AREA_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _code in sorted(_AREA_CODES.items(), key=lambda item: -len(item[0])):
    _AREA_BY_FIRST.setdefault(_words[0], []).append((_words[1:], _code))

_PHRASE_TAILS: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(_STOP_PHRASES, key=lambda p: -len(p.split())):
    _first, *_tail = _phrase.split()
    _PHRASE_TAILS.setdefault(_first, []).append(tuple(_tail))
_SPECIAL: frozenset[str] = frozenset(_AREA_BY_FIRST) | frozenset(_PHRASE_TAILS) | frozenset(_COMPOUNDS)

# For the lookup without an index the rarity of words is estimated on at most this many
# candidates, spread evenly: reading all 20,000 would spend most of the time budget, and
# IDF needs orders of magnitude, not exact counts.
_DF_SAMPLE = 1024


@dataclass(frozen=True, slots=True)
class Match:
    concern_id: int
    score: float


def stop_words() -> frozenset[str]:
    """Folded filler words and phrases ignored when comparing concerns."""
    return _STOP_SINGLE | frozenset(_STOP_PHRASES)


def keywords(folded: str) -> tuple[str, ...]:
    """Content words of an already folded text, in order: filler and durations removed."""
    words = folded.split()
    n = len(words)
    kept: list[str] = []
    i = 0
    # Most words are plain; only the few that can start a phrase, a compound, an area code
    # or a duration take the slow path. This runs for every candidate of a lookup.
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
    """Handle words[i], which may start a multi-word form; returns how many words it used."""
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
    if word.isdigit() and following in _UNITS and (i == 0 or words[i - 1] not in _PLACE_BEFORE_NUMBER):
        return 1
    if word not in _STOP_SINGLE:
        kept.append(word)
    return 1


@dataclass(frozen=True, slots=True)
class _Places:
    """The identifiers a text carries: house and alley numbers, and numbered areas."""

    numbers: frozenset[str]
    areas: frozenset[str]


def _places(words: Iterable[str]) -> _Places:
    # "48a" and "48" are different sub-alleys: any word with a digit is an identifier.
    ids = [w for w in words if not w.isalpha()]
    areas = frozenset(w for w in ids if _AREA_CODE.fullmatch(w))
    return _Places(frozenset(ids) - areas, areas)


def _places_agree(a: _Places, b: _Places) -> bool:
    # Alley 48 is not alley 84; and a numbered place is not a whole street or a landmark:
    # "hẻm 48 Tân Hóa" may be any of the street's alleys to someone who wrote "đường Tân
    # Hóa". Without this, one unnumbered concern sharing a long common phrase ("xe ô tô đậu
    # hai bên gây cản trở đi lại") gathered the same complaint from every alley of the ward.
    if bool(a.numbers) != bool(b.numbers) or (a.numbers and a.numbers.isdisjoint(b.numbers)):
        return False
    # The resident's own khu phố or tổ is often added in passing: only a clash counts.
    return not (a.areas and b.areas and a.areas.isdisjoint(b.areas))


def _weight(df: int, pool: int) -> int:
    # Smoothed IDF in half units, rounded: integer weights let cluster() compute the very
    # same score in C (see _encode), and half a unit is finer than the estimate deserves.
    # A word every text has weighs 1; in a pool of two, a word one text lacks weighs 2.
    return 1 + round(2.0 * math.log((1 + pool) / (1 + df)))


class _Weights:
    """Word weights for one pool of texts, computed once per word."""

    def __init__(self, df: Callable[[str], int], pool: int) -> None:
        self._df = df
        self._pool = pool
        self._cache: dict[str, int] = {}

    def __call__(self, word: str) -> int:
        weight = self._cache.get(word)
        if weight is None:
            weight = self._cache[word] = _weight(self._df(word), self._pool)
        return weight


def _dice(a: frozenset[str], b: frozenset[str], weight: Callable[[str], int]) -> float:
    total = sum(map(weight, a)) + sum(map(weight, b))
    return 200.0 * sum(map(weight, a & b)) / total if total else 0.0


def _prefix(words: Iterable[str], weight: Callable[[str], int], rank: Callable[[str], object], threshold: float) -> list[str]:
    """The rarest words of a text, up to where the rest could no longer carry a match.

    A text scoring at least `threshold` against this one shares at least
    need = t * W / (2 - t) of its weight W (t = threshold / 100: the shared weight is also
    at most the other text's weight). So what is shared cannot lie entirely among the words
    after the prefix, whose weight is below `need`: looking only at texts that hold a prefix
    word loses no match. Two texts whose prefixes use the same `rank` order even share a
    prefix word: the rarest word they share is in both prefixes.
    """
    ranked = sorted(words, key=rank)
    left = sum(map(weight, ranked))
    t = threshold / 100.0
    need = t * left / (2.0 - t)
    prefix: list[str] = []
    for word in ranked:
        # The margin keeps a pair that sits exactly on the threshold despite float rounding.
        if left < need - 1e-9:
            break
        prefix.append(word)
        left -= weight(word)
    return prefix


def _needles(words: frozenset[str], weight: Callable[[str], int], rank: Callable[[str], object], threshold: float) -> Iterable[str]:
    """Words of which a matching text must hold at least one."""
    numbers = _places(words).numbers
    # A match must share a house or alley number (_places_agree), and numbers are rare.
    return numbers or _prefix(words, weight, rank, threshold)


def _check(threshold: float, limit: int | None = None) -> None:
    # Zero would let every pair match, and the prefix pruning needs a positive bar.
    if not 0.0 < threshold <= 100.0:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def _best(
    query: frozenset[str],
    candidates: Iterable[tuple[int, frozenset[str]]],
    weight: _Weights,
    limit: int,
    threshold: float,
) -> list[Match]:
    query_places = _places(query)
    matches: list[Match] = []
    for concern_id, words in candidates:
        if not _places_agree(query_places, _places(words)):
            continue
        score = _dice(query, words, weight)
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
    open concerns of the same meeting and area. Word rarity is taken from the candidates, so
    the same pair can score differently against another set of candidates.
    """
    _check(threshold, limit)
    words = frozenset(keywords(fold(query)))
    if not words or not candidates:
        return []
    texts = [text for _, text in candidates]
    sample = texts[:: -(-len(texts) // _DF_SAMPLE)]
    df: Counter[str] = Counter(chain.from_iterable(frozenset(keywords(t)) for t in sample))
    # The query is one more text of the pool, as in SimilarityIndex.find.
    df.update(words)
    weight = _Weights(df.__getitem__, len(sample) + 1)
    # Only candidates holding one of the query's house or alley numbers, or else one of its
    # prefix words, can match: find them with one C-level regex scan over all texts at once
    # instead of splitting 20,000 texts in Python.
    needles = _needles(words, weight, lambda w: (df[w], w), threshold)
    # Before the exact score, a cheap bound: the query words found among a candidate's raw
    # words weigh at least what the two share, and a match needs `need` of that.
    t = threshold / 100.0
    need = t * sum(map(weight, words)) / (2.0 - t) - 1e-9
    plain = frozenset(w for w in words if len(_spellings(w)) == 1)
    other = [(weight(w), _spellings(w)) for w in words if w not in plain]
    shortlist: list[tuple[int, frozenset[str]]] = []
    for index in _holding(texts, chain.from_iterable(map(_spellings, needles))):
        text = texts[index]
        bound = sum(map(weight, plain.intersection(text.split())))
        if other:
            padded = f" {text} "
            bound += sum(w for w, forms in other if any(f" {form} " in padded for form in forms))
        if bound >= need:
            shortlist.append((candidates[index][0], frozenset(keywords(text))))
    return _best(words, shortlist, weight, limit, threshold)


def _spellings(word: str) -> tuple[str, ...]:
    """How a content word may appear in folded text (a superset is fine: a filter uses it)."""
    if word in _SPELLED:
        return (word, _SPELLED[word])
    if _AREA_CODE.fullmatch(word):
        return (word, word.lstrip("abcdefghijklmnopqrstuvwxyz"))
    return (word,)


def _holding(texts: Sequence[str], forms: Iterable[str]) -> set[int]:
    """Indices of the texts in which any of `forms` occurs as whole words.

    One str.find scan over all texts joined runs in C; splitting 20,000 texts in Python, or
    a regex starting with \b (which disables the literal search), took longer than the whole
    lookup may.
    """
    joined = " " + " \n ".join(texts) + " "
    # Where each text's first character is.
    begins = list(accumulate((len(t) + 3 for t in texts[:-1]), initial=1))
    found: set[int] = set()
    for form in forms:
        pattern = f" {form} "
        position = joined.find(pattern)
        while position != -1:
            index = bisect_right(begins, position + 1) - 1
            found.add(index)
            # The rest of this text cannot add anything: jump to the next one.
            position = joined.find(pattern, begins[index + 1] - 1) if index + 1 < len(begins) else -1
    return found


class SimilarityIndex:
    """Concerns kept folded, split and indexed by word, for repeated lookups."""

    def __init__(self, items: Iterable[tuple[int, str]] = ()) -> None:
        self._words: dict[int, frozenset[str]] = {}
        # Which concerns hold each word; its size is the word's document frequency.
        self._postings: dict[str, set[int]] = {}
        for concern_id, text in items:
            self.add(concern_id, text)

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, concern_id: object) -> bool:
        return concern_id in self._words

    def add(self, concern_id: int, text: str) -> None:
        """Index a concern's text (raw or folded); adding an indexed id replaces its text."""
        if concern_id in self._words:
            self.remove(concern_id)
        words = frozenset(keywords(fold(text)))
        self._words[concern_id] = words
        for word in words:
            self._postings.setdefault(word, set()).add(concern_id)

    def remove(self, concern_id: int) -> None:
        """Forget a concern; KeyError if it is not indexed."""
        for word in self._words.pop(concern_id):
            holders = self._postings[word]
            holders.discard(concern_id)
            if not holders:
                del self._postings[word]

    def find(self, query: str, limit: int = 3, threshold: float = FIND_THRESHOLD) -> list[Match]:
        """Indexed concerns that say what `query` (raw or folded) says, best first."""
        _check(threshold, limit)
        words = frozenset(keywords(fold(query)))
        if not words or not self._words:
            return []
        postings = self._postings

        def df(word: str) -> int:
            return len(postings.get(word, ())) + (word in words)

        weight = _Weights(df, len(self._words) + 1)
        needles = _needles(words, weight, lambda w: (df(w), w), threshold)
        ids = set().union(*(postings.get(w, ()) for w in needles))
        return _best(words, ((i, self._words[i]) for i in ids), weight, limit, threshold)


def cluster(items: Sequence[tuple[int, str]], *, threshold: float = CLUSTER_THRESHOLD) -> list[list[int]]:
    """Group concerns (id, folded text) that say the same thing, for agenda items.

    Each group is built around one concern that every other member scores at least
    `threshold` against; the concern most others resemble is taken first. Linking any two
    similar concerns instead (single linkage) lets chains of near-misses merge unrelated
    groups: on 20,000 concerns it put nearly all of them in one group. Every id appears in
    exactly one group, alone if nothing matches it; groups are sorted largest first, then by
    smallest id, ids ascending inside. Word rarity is taken from `items`.
    """
    _check(threshold)
    ids = [concern_id for concern_id, _ in items]
    if len(set(ids)) != len(ids):
        raise ValueError("each concern id may appear only once")
    if not items:
        return []
    word_sets = [frozenset(keywords(text)) for _, text in items]
    # Identical texts (after folding and filler) are one node: petitions copied by many
    # residents would otherwise cost a comparison for every pair of copies.
    members: dict[frozenset[str], list[int]] = {}
    for concern_id, words in zip(ids, word_sets):
        members.setdefault(words, []).append(concern_id)
    nodes = list(members)
    df: Counter[str] = Counter(chain.from_iterable(word_sets))
    weights = {w: _weight(count, len(items)) for w, count in df.items()}
    weight = weights.__getitem__
    rank = {w: r for r, w in enumerate(sorted(df, key=lambda w: (df[w], w)))}

    # Which nodes can match at all: those sharing a house or alley number (_places_agree
    # demands one), and among texts without such numbers those sharing a prefix word
    # (_prefix). Only nodes of the same block are compared, which keeps 20,000 concerns far
    # from 200 million pairs.
    places = [_places(words) for words in nodes]
    blocks: dict[tuple[bool, str], list[int]] = {}
    encoded: list[str] = []
    for node, words in enumerate(nodes):
        encoded.append(_encode(sorted(words, key=rank.__getitem__), rank, weights))
        numbers = places[node].numbers
        keys = [(True, n) for n in numbers] if numbers else [(False, w) for w in _prefix(words, weight, rank.__getitem__, threshold)]
        for key in keys:
            blocks.setdefault(key, []).append(node)

    neighbours: list[set[int]] = [set() for _ in nodes]
    # Slightly under the bar in C, then the exact score in Python: float rounding in either
    # must not decide a pair that sits right on the threshold.
    cutoff = max(threshold - 1e-6, 0.0)
    for block in blocks.values():
        strings = [encoded[node] for node in block]
        for position in range(len(block) - 1):
            a = block[position]
            hits = process.extract(
                strings[position],
                strings[position + 1 :],
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=cutoff,
                limit=None,
            )
            for _, _, offset in hits:
                b = block[position + 1 + offset]
                if b in neighbours[a] or not _places_agree(places[a], places[b]):
                    continue
                if _dice(nodes[a], nodes[b], weight) >= threshold:
                    neighbours[a].add(b)
                    neighbours[b].add(a)

    size = [len(members[words]) for words in nodes]
    smallest = [min(members[words]) for words in nodes]
    # Texts with no content word at all (only filler) resemble nothing.
    degree = [size[n] - 1 + sum(size[m] for m in neighbours[n]) if nodes[n] else -1 for n in range(len(nodes))]
    taken = [False] * len(nodes)
    groups: list[list[int]] = []
    for centre in sorted(range(len(nodes)), key=lambda n: (-degree[n], smallest[n])):
        if taken[centre]:
            continue
        taken[centre] = True
        group = list(members[nodes[centre]])
        for other in neighbours[centre]:
            if not taken[other]:
                taken[other] = True
                group.extend(members[nodes[other]])
        groups.append(sorted(group))
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def _encode(ranked: Sequence[str], rank: dict[str, int], weights: dict[str, int]) -> str:
    # One character per word, repeated by its weight, words in one global order: the longest
    # common subsequence of two such strings is then exactly their shared weight, so
    # fuzz.ratio (2 * LCS / total length, in C) is the weighted Dice score.
    return "".join(_char(rank[w]) * weights[w] for w in ranked)


def _char(rank: int) -> str:
    # Any valid code point will do: skip the surrogate block.
    code = 0x100 + rank
    return chr(code + 0x800 if code >= 0xD800 else code)
