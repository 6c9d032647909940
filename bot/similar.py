"""Finding concerns that say the same thing.

Used twice: at intake, open concerns of the same meeting and area that look like the one
being written are offered, so the resident can support one instead of filing a duplicate;
and before a meeting, concerns are grouped so that one agenda item can answer several.

"The same thing" is judged on words, not meaning. Texts are compared as sets of content
words (folded, filler removed), so diacritics, case, punctuation and word order do not
count. Each word weighs by how rare it is among the concerns being compared (IDF): in one
area's concerns the street and alley appear everywhere, so they weigh little and the words
naming the problem ("đèn", "rác", "ngập") decide. The score is the weighted Dice overlap,
0-100. Numbers are identifiers (alley 48 is not alley 84): two texts that both carry numbers
but share none never match.

Because folding merges words (đèn/đến -> den, chợ/chó/cho -> cho, ổ/ở/ô -> o, tổ/to -> to),
the filler list leaves out any folded word that also spells a word that matters here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from rapidfuzz import fuzz, process

from bot.textnorm import fold

# Defaults, 0-100. Justified by tests/test_similar.py: lamp paraphrases of one alley score
# 65-100 against each other, the same alley with a different problem 40-55, different
# alleys with the same problem 0 (numbers).
FIND_THRESHOLD = 60.0
# Clustering links pairs transitively, so one loose link merges two agenda items; the bar is
# a little higher than for the intake lookup, where a wrong suggestion costs one tap.
CLUSTER_THRESHOLD = 62.0

# Multi-word filler, removed first so that "ở tổ dân phố 5" loses "tổ dân phố" before "ở tô"
# could be read as a car. Each phrase is what every concern could say, whatever its subject.
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
# túy), "khi" (khí thải), "ve" (vệ sinh).
_STOP_SINGLE: frozenset[str] = frozenset(
    """
    a ai bi cac co cua da dang duoc em giup hon khong kinh la lam lau len mong mot nao nay
    nhe nhieu nhu nhung o phai phuong qua ra rat sao se som tai thi to trong tren ubnd va
    vao vay voi xin
    """.split()
)

# Compounds whose first syllable folds onto a filler ("ở"): kept as one word so that "ổ gà"
# (pothole) and "ô tô" (car) survive; also makes "oto", often typed so, equal to "ô tô".
_COMPOUNDS: dict[str, frozenset[str]] = {
    "o": frozenset({"to", "ga", "voi", "nhiem"}),
    "va": frozenset({"cham"}),
}

# For the intake lookup the rarity of words is estimated on at most this many candidates:
# counting all 20,000 would use most of the time budget, and a sample this large gives the
# same weights to a word's first digit.
_DF_SAMPLE = 2048
# How many candidates the cheap C-level pass hands to the exact (Python) score.
_SHORTLIST = 200
# token_set_ratio of the query's content words against a candidate: anything that shares a
# few words passes; the exact score decides.
_SHORTLIST_CUTOFF = 40.0


@dataclass(frozen=True, slots=True)
class Match:
    concern_id: int
    score: float


def stop_words() -> frozenset[str]:
    """Folded filler words and phrases ignored when comparing concerns."""
    return _STOP_SINGLE | frozenset(_STOP_PHRASES)


_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(_STOP_PHRASES, key=lambda p: -len(p.split())):
    _words = tuple(_phrase.split())
    _PHRASES_BY_FIRST.setdefault(_words[0], []).append(_words[1:])


def keywords(folded: str) -> tuple[str, ...]:
    """Content words of an already folded text, in order, filler removed, duplicates kept."""
    words = folded.split()
    n = len(words)
    kept: list[str] = []
    i = 0
    while i < n:
        word = words[i]
        tails = _PHRASES_BY_FIRST.get(word)
        if tails is not None:
            matched = next((t for t in tails if tuple(words[i + 1 : i + 1 + len(t)]) == t), None)
            if matched is not None:
                i += 1 + len(matched)
                continue
        seconds = _COMPOUNDS.get(word)
        # "ở tổ 5" is a place, not a car: a compound never swallows a following number.
        if (
            seconds is not None
            and i + 1 < n
            and words[i + 1] in seconds
            and not (i + 2 < n and words[i + 2].isdigit())
        ):
            kept.append(word + words[i + 1])
            i += 2
            continue
        if word not in _STOP_SINGLE:
            kept.append(word)
        i += 1
    return tuple(kept)


def _numbers(words: Iterable[str]) -> frozenset[str]:
    # "48a" and "48" are different sub-alleys, so any word with a digit is an identifier.
    return frozenset(w for w in words if any(c.isdigit() for c in w))


def _numbers_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    # Only a clash counts: a text without numbers may well be about the numbered place.
    return not a or not b or not a.isdisjoint(b)


def _weight(df: int, pool: int) -> int:
    # Smoothed IDF, in half units and rounded: integers let clustering compute the very same
    # score in C (see _encode), and half a unit is finer than the estimate is good anyway.
    # A word in every text weighs 1; in a pool of two, a word only one text has weighs 2.
    return 1 + round(2.0 * math.log((1 + pool) / (1 + df)))


def _dice(a: frozenset[str], b: frozenset[str], weight: dict[str, int]) -> float:
    shared = sum(weight[w] for w in a & b)
    total = sum(weight[w] for w in a) + sum(weight[w] for w in b)
    return 200.0 * shared / total if total else 0.0


def _check(threshold: float, limit: int | None = None) -> None:
    # Zero would make everything match each other, and the clustering's candidate pruning
    # relies on a positive bar.
    if not 0.0 < threshold <= 100.0:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def _rank(
    query: frozenset[str],
    shortlist: Iterable[tuple[int, frozenset[str]]],
    df: Callable[[str], int],
    pool: int,
    limit: int,
    threshold: float,
) -> list[Match]:
    weights: dict[str, int] = {}
    query_numbers = _numbers(query)
    matches: list[Match] = []
    for concern_id, words in shortlist:
        if not words or not _numbers_agree(query_numbers, _numbers(words)):
            continue
        for w in words | query:
            if w not in weights:
                weights[w] = _weight(df(w), pool)
        score = _dice(query, words, weights)
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
    """Candidates that say what `query` says, best first.

    `query` is raw or folded text; `candidates` are (concern_id, folded text), typically the
    open concerns of the same meeting and area. Word rarity is taken from the candidates, so
    the same pair can score differently against another set of candidates.
    """
    _check(threshold, limit)
    words = frozenset(keywords(fold(query)))
    if not words or not candidates:
        return []
    texts = [text for _, text in candidates]
    # The cheap pass runs in C on the raw folded texts (nothing to precompute per call);
    # token_set_ratio is 100 whenever the candidate holds all the query's content words, so
    # filler in the candidate does not hide it.
    hits = process.extract(
        " ".join(sorted(words)),
        texts,
        scorer=fuzz.token_set_ratio,
        processor=None,
        score_cutoff=_SHORTLIST_CUTOFF,
        limit=_SHORTLIST,
    )
    if not hits:
        return []
    step = -(-len(texts) // _DF_SAMPLE)
    sample = texts[::step]
    df: Counter[str] = Counter(chain.from_iterable(frozenset(keywords(t)) for t in sample))
    df.update(words)
    shortlist = ((candidates[index][0], frozenset(keywords(text))) for text, _, index in hits)
    return _rank(words, shortlist, df.__getitem__, len(sample) + 1, limit, threshold)


class SimilarityIndex:
    """Concerns kept folded and split, for repeated lookups without redoing that work."""

    def __init__(self, items: Iterable[tuple[int, str]] = ()) -> None:
        self._words: dict[int, frozenset[str]] = {}
        # What the C-level shortlist pass compares: content words only, so filler typed into
        # many concerns cannot crowd the shortlist.
        self._strings: dict[int, str] = {}
        self._df: Counter[str] = Counter()
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
        self._strings[concern_id] = " ".join(sorted(words))
        self._df.update(words)

    def remove(self, concern_id: int) -> None:
        """Forget a concern; KeyError if it is not indexed."""
        words = self._words.pop(concern_id)
        del self._strings[concern_id]
        self._df.subtract(words)
        for w in words:
            if self._df[w] <= 0:
                del self._df[w]

    def find(self, query: str, limit: int = 3, threshold: float = FIND_THRESHOLD) -> list[Match]:
        """Indexed concerns that say what `query` (raw or folded) says, best first."""
        _check(threshold, limit)
        words = frozenset(keywords(fold(query)))
        if not words or not self._words:
            return []
        hits = process.extract(
            " ".join(sorted(words)),
            self._strings,
            scorer=fuzz.token_set_ratio,
            processor=None,
            score_cutoff=_SHORTLIST_CUTOFF,
            limit=_SHORTLIST,
        )
        shortlist = ((concern_id, self._words[concern_id]) for _, _, concern_id in hits)
        # The query counts as one more text of the pool, as in find_similar.
        index_df = self._df

        def df(word: str) -> int:
            return index_df[word] + (word in words)

        return _rank(words, shortlist, df, len(self._words) + 1, limit, threshold)


def cluster(items: Sequence[tuple[int, str]], *, threshold: float = CLUSTER_THRESHOLD) -> list[list[int]]:
    """Group concerns (id, folded text) that say the same thing.

    Pairs scoring at least `threshold` are linked and linked groups merged. Every id appears
    in exactly one group, alone if nothing matches it; groups are sorted largest first, then
    by smallest id, ids ascending inside. Word rarity is taken from `items`.
    """
    _check(threshold)
    n = len(items)
    if n == 0:
        return []
    words = [frozenset(keywords(text)) for _, text in items]
    df: Counter[str] = Counter(chain.from_iterable(words))
    weight = {w: _weight(count, n) for w, count in df.items()}
    # Rarest first: the order both the prefixes and the encodings below rely on.
    order = {w: rank for rank, w in enumerate(sorted(df, key=lambda w: (df[w], w)))}

    # Prefix filtering: a pair scoring >= threshold shares at least `need` weight with each
    # side, so its rarest shared word lies in each side's prefix (the rarest words up to the
    # point where what is left weighs less than `need`). Only texts sharing a prefix word are
    # compared, which keeps 20,000 items far from 200 million pairs.
    ratio = threshold / 100.0
    postings: dict[str, list[int]] = {}
    encoded: list[str] = []
    for index, ws in enumerate(words):
        ranked = sorted(ws, key=order.__getitem__)
        encoded.append(_encode(ranked, order, weight))
        left = sum(weight[w] for w in ranked)
        need = ratio * left / (2.0 - ratio)
        for w in ranked:
            if left < need - 1e-9:
                break
            postings.setdefault(w, []).append(index)
            left -= weight[w]

    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    numbers = [_numbers(ws) for ws in words]
    # Slightly under the bar in C, exact check in Python: float rounding in the two must not
    # decide a pair that sits right on the threshold.
    cutoff = max(threshold - 1e-6, 0.0)
    for block in postings.values():
        if len(block) < 2:
            continue
        strings = [encoded[i] for i in block]
        for position in range(len(block) - 1):
            i = block[position]
            hits = process.extract(
                strings[position],
                strings[position + 1 :],
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=cutoff,
                limit=None,
            )
            for _, _, offset in hits:
                j = block[position + 1 + offset]
                if root(i) == root(j) or not _numbers_agree(numbers[i], numbers[j]):
                    continue
                if _dice(words[i], words[j], weight) >= threshold:
                    join(i, j)

    # The same id given twice is one concern.
    first: dict[int, int] = {}
    for index, (concern_id, _) in enumerate(items):
        if concern_id in first:
            join(first[concern_id], index)
        else:
            first[concern_id] = index
    groups: dict[int, set[int]] = {}
    for index, (concern_id, _) in enumerate(items):
        groups.setdefault(root(index), set()).add(concern_id)
    result = [sorted(group) for group in groups.values()]
    result.sort(key=lambda g: (-len(g), g[0]))
    return result


def _encode(ranked: Sequence[str], order: dict[str, int], weight: dict[str, int]) -> str:
    # One character per word, repeated by its weight, words in one global order: the longest
    # common subsequence of two such strings is then exactly their shared weight, so
    # fuzz.ratio (2 * LCS / total length) is the weighted Dice score, computed in C.
    return "".join(_char(order[w]) * weight[w] for w in ranked)


def _char(rank: int) -> str:
    # Any code point will do as long as it is a valid one: skip the surrogate block.
    code = 0x100 + rank
    return chr(code + 0x800 if code >= 0xD800 else code)
