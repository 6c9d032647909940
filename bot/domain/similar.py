"""Finding concerns that a person would call the same: the same problem at the same place.

Used by the resident's dialogue (before confirming, open concerns of the meeting that say
the same are offered to support instead), by the staff's concern view (possible
duplicates, to merge) and by the agenda (groups: bot.domain.clustering). All three score a
pair with `score()` below, so what the resident is offered, what staff are shown and what
the agenda groups agree.

A text is read by bot.domain.similar_text into what it says (words, synonyms made one) and
where (places' names, alley and house numbers). A pair scores, 0-100:
- 0 when the places clash: another alley number ("hẻm 12" is not "hẻm 21"), an alley
  against no alley, other street names, another khu phố or tổ written in the text;
- otherwise PLACE_SHARE of the score is how well the places agree (names found in the other
  text, the same alley number, locations within a short distance) and the rest is the
  weighted Dice overlap of what they say, a word weighing by how rare it is among the
  concerns compared (IDF): "đèn" decides more than "sửa". A pair that names no place at all
  is judged on what it says alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

from rapidfuzz.distance import Levenshtein

from bot.domain.lexicon import Lexicon, load_lexicon
from bot.domain.records import Concern
from bot.domain.similar_text import (
    WEAK,
    ParsedText,
    Run,
    initials,
    is_acronym,
)

# On the 0-100 scale of Match.score; tests/test_similar.py pins what they let through, and
# bench/similarity.py measures them (bench/RESULTS.md).
FIND_THRESHOLD = 55.0
CLUSTER_THRESHOLD = 55.0
# How much of a score the agreement of places is: with the same place, sharing a third of
# what they say (weighted) reaches the threshold; without any place, three fifths.
PLACE_SHARE = 0.4
# How much of `said_alike` is the share of the shorter text the longer says too (the rest
# is Dice).
OVERLAP_SHARE = 0.5
# About one rare word of the lexicon (see weights_of).
OVERLAP_FLOOR = 3.0
# How well the places agree when one text names a place and the other none.
UNSAID_PLACE = 0.25
# Places are compared when the agreement is at least this (else they clash).
PLACE_AGREES = 0.5
# Two residents' locations this close (metres) are the same place; within NEAR, nearly.
SAME_SPOT_M = 60.0
NEAR_M = 200.0
NEAR_SPOT = 0.8
# What a kind of word weighs, times its rarity: a word of the lexicon's synonym groups names
# what residents complain about; a word it does not know is as often a turn of phrase; a
# light group says how things are (see synonyms.toml, [weights]).
_KNOWN = 1.0
_UNKNOWN = 0.6
_LIGHT = 0.35
# The rarity of words is estimated on at most this many candidates, spread evenly: enough
# for the orders of magnitude a logarithm keeps, and cheap among 20,000.
SAMPLE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Candidate:
    """A concern to compare: its text as written (or folded), area and location."""

    concern_id: int
    text: str
    area_id: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @classmethod
    def of(cls, concern: Concern) -> Candidate:
        return cls(concern.id, concern.text, concern.area_id, concern.latitude, concern.longitude)


@dataclass(frozen=True, slots=True)
class Match:
    concern_id: int
    score: float
    # How far the concern's area is from the resident's: 0 the same, 1 the same parent
    # (khu phố), 2 and more further (the whole ward).
    nearness: int = 0


Weight = Callable[[str], float]
_TEXT = attrgetter("text")
_KEY = attrgetter("key")


def check_threshold(threshold: float, limit: int | None = None) -> None:
    # Zero would let every pair match, and the pruning below needs a positive bar.
    if not 0.0 < threshold <= 100.0:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def word_weight(df: int, pool: int) -> float:
    """Smoothed IDF: a word every text has weighs 1, a rare one up to 1 + log(pool)."""
    return 1.0 + math.log((1 + pool) / (1 + df))


class _Weights(dict[str, float]):
    """Word weights, each computed on first use; read with map(weights.__getitem__), in C."""

    def __init__(self, df: Callable[[str], int], pool: int, lexicon: Lexicon) -> None:
        super().__init__()
        self._df, self._pool, self._groups, self._light = df, pool, lexicon.groups, lexicon.light

    def __missing__(self, word: str) -> float:
        light = word in self._light or word.endswith(WEAK)
        kind = _LIGHT if light else _KNOWN if word in self._groups else _UNKNOWN
        found = self[word] = kind * word_weight(self._df(word), self._pool)
        return found


def weights_from(df: Callable[[str], int], pool: int, lexicon: Lexicon | None = None) -> Weight:
    """Word weights from document frequencies in a pool: rarity, times how much the kind of
    word says (see _KNOWN, _UNKNOWN, _LIGHT)."""
    return _Weights(df, pool, lexicon or load_lexicon()).__getitem__


def weights_of(texts: Sequence[ParsedText], lexicon: Lexicon | None = None) -> Weight:
    """Word weights for a pool of texts (a sample of it beyond SAMPLE_SIZE)."""
    step = -(-len(texts) // SAMPLE_SIZE) if texts else 1
    sample = texts[::step]
    df: Counter[str] = Counter(chain.from_iterable(t.words for t in sample))
    return weights_from(df.__getitem__, len(sample), lexicon)


def weighted_dice(a: frozenset[str], b: frozenset[str], weight: Weight) -> float:
    """0-1: twice the weight of what both have over the weight of each."""
    total = sum(map(weight, a)) + sum(map(weight, b))
    return 2.0 * sum(map(weight, a & b)) / total if total else 0.0


def said_alike(a: frozenset[str], b: frozenset[str], weight: Weight) -> float:
    """0-1: how much two texts say alike, the mean of their weighted Dice overlap and of the
    share of the shorter one the longer says too. A long letter and a short line about the
    same lamp share little of the letter; Dice alone would call them different."""
    return said_from(sum(map(weight, a & b)), sum(map(weight, a)), sum(map(weight, b)))


def said_from(shared: float, wa: float, wb: float) -> float:
    """said_alike from the weight both texts share and the weight of each."""
    if wa <= 0 or wb <= 0:
        return 0.0
    # A text that says almost nothing ("hẻm 77 hư hỏng") is not wholly contained in every
    # text about its place: the shorter text counts as weighing at least OVERLAP_FLOOR.
    return OVERLAP_SHARE * shared / max(min(wa, wb), OVERLAP_FLOOR) + (1.0 - OVERLAP_SHARE) * 2.0 * shared / (wa + wb)


# --- places ------------------------------------------------------------------------------


def _same_syllable(a: str, b: str) -> bool:
    # One typo in a longer syllable ("Phụg" for "Phụng"); short ones differ by one letter
    # too often ("hoa", "hòa", "hóa" are one fold, but "ba" and "bà" are not the same place).
    return a == b or (min(len(a), len(b)) >= 4 and Levenshtein.distance(a, b, score_cutoff=1) <= 1)


def _runs_meet(a: Run, b: Run) -> bool:
    if a == b:
        return True
    if is_acronym(a) or is_acronym(b):
        short, long = (a, b) if is_acronym(a) else (b, a)
        return short[0] == (initials(long) if not is_acronym(long) else long[0])
    if len(a) > len(b):
        a, b = b, a
    # A shorter name inside a longer one ("lac long" in "lac long quan"): typed without the
    # syllable the lexicon took for filler.
    if len(a) < 2 and len(b) >= 2:
        return False
    return any(all(_same_syllable(x, y) for x, y in zip(a, b[i : i + len(a)])) for i in range(len(b) - len(a) + 1))


def _kind(text: ParsedText, run: Run) -> str:
    """The kind of place `run` is in `text`: "" for a street, "truong" for a school, …"""
    return next((kind for theirs, kind in text.landmarks if theirs == run), "")


def _run_in(run: Run, kind: str, other: ParsedText) -> bool:
    """Whether `other` names this place: among its places, or among its words unrecognised.

    A school and a crossing of one name are two places; a street and either may be one.
    """
    for theirs in other.places:
        if _runs_meet(run, theirs):
            other_kind = _kind(other, theirs)
            if not (kind and other_kind and kind != other_kind):
                return True
    if is_acronym(run):
        return False
    # Syllables of a place of another kind in `other` are that place, not this one.
    taken = {s for theirs, other_kind in other.landmarks if kind and other_kind != kind for s in theirs}
    present = sum(1 for syllable in run if syllable in other.syllables and syllable not in taken)
    return present == len(run) or (len(run) >= 3 and present >= len(run) - 1)


def _cover(text: ParsedText, other: ParsedText) -> float:
    return sum(1 for run in text.places if _run_in(run, _kind(text, run), other)) / len(text.places)


def place_agreement(a: ParsedText, b: ParsedText) -> float | None:
    """0-1 how well the places' names agree; None when neither text says where."""
    if a.places and b.places:
        return (_cover(a, b) + _cover(b, a)) / 2.0
    one, other = (a, b) if a.places else (b, a)
    if not one.places:
        return None
    cover = _cover(one, other)
    # The other text names no place: it may be the same street, or any other.
    return cover if cover > 0 else UNSAID_PLACE


def alleys_of(text: ParsedText) -> frozenset[str]:
    return text.alleys


def numbers_agree(a: ParsedText, b: ParsedText) -> bool | None:
    """False on a clash, True when an alley or house number is shared, None when neither has one."""
    alleys_a, alleys_b = alleys_of(a), alleys_of(b)
    # Alley 48 is not alley 84; and an alley is not a whole street or a landmark: to someone
    # who wrote "đường Tân Hóa", "hẻm 48 Tân Hóa" may be any of its alleys.
    if bool(alleys_a) != bool(alleys_b) or (alleys_a and alleys_a.isdisjoint(alleys_b)):
        return False
    houses_a, houses_b = a.numbers - alleys_a, b.numbers - alleys_b
    if houses_a and houses_b and houses_a.isdisjoint(houses_b):
        return False
    # Areas are added in passing and often left out: only a clash counts.
    if a.areas and b.areas and a.areas.isdisjoint(b.areas):
        return False
    return True if (alleys_a & alleys_b or houses_a & houses_b) else None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(h)))


def _spot(metres: float | None) -> float | None:
    """How well two locations this far apart agree as places, or None if not near."""
    if metres is None:
        return None
    if metres <= SAME_SPOT_M:
        return 1.0
    return NEAR_SPOT if metres <= NEAR_M else None


# --- the score ----------------------------------------------------------------------------


def score(
    a: ParsedText, b: ParsedText, weight: Weight, metres: float | None = None, at_least: float = 0.0,
    said: float | None = None,
) -> float:
    """0-100: how surely a person would call these two concerns the same (see the module).

    A pair that cannot reach `at_least` may score 0 without its places being compared;
    `said` is their said_alike if the caller knows it.
    """
    if said is None:
        # Each text's words are without its own places' names already.
        said = said_alike(a.words - b.names, b.words - a.names, weight)
    if 100.0 * (PLACE_SHARE + (1.0 - PLACE_SHARE) * said) < at_least:
        return 0.0
    numbers = numbers_agree(a, b)
    if numbers is False:
        return 0.0
    place = place_agreement(a, b)
    if a.places and b.places and place is not None and place < PLACE_AGREES:
        return 0.0
    if numbers:
        place = 1.0
    spot = _spot(metres)
    if spot is not None:
        place = max(place or 0.0, spot)
    if place is None:
        return 100.0 * said
    return 100.0 * (PLACE_SHARE * place + (1.0 - PLACE_SHARE) * said)


def least_said(threshold: float, place: float | None) -> float:
    """The least `said_alike` with which a pair whose places agree at `place` reaches `threshold`."""
    if place is None:
        return threshold / 100.0
    return max(threshold / 100.0 - PLACE_SHARE * place, 0.0) / (1.0 - PLACE_SHARE)


def _said_at_most(rest: float, total: float) -> float:
    """The most `said_alike` a text of weight `total` can reach sharing a weight of at most `rest`."""
    return OVERLAP_SHARE * min(1.0, rest / OVERLAP_FLOOR) + (1.0 - OVERLAP_SHARE) * 2.0 * rest / (total + rest)


def prefix_words(words: Iterable[str], weight: Weight, least: float) -> list[str]:
    """The rarest words of a text, up to where the rest cannot make `said_alike` reach `least`.

    What a matching text shares cannot lie entirely after the prefix, so only texts holding
    a prefix word need scoring.
    """
    ranked = sorted(words, key=lambda w: (-weight(w), w))
    total = left = sum(map(weight, ranked))
    prefix: list[str] = []
    for word in ranked:
        if _said_at_most(left, total) < least - 1e-9:
            break
        prefix.append(word)
        left -= weight(word)
    return prefix


def metres_between(a: Candidate, b: Candidate) -> float | None:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    return distance_m(a.latitude, a.longitude, b.latitude, b.longitude)  # type: ignore[arg-type]


def find_similar(
    query: Candidate | str, candidates: Sequence[Candidate | tuple[int, str]], **options: object
) -> list[Match]:
    """bot.domain.similar_lookup.find_similar, also taking (concern id, text) pairs as
    candidates, as callers written before it did (a branch's web queue)."""
    # Imported here: the lookup is built on this module.
    from bot.domain.similar_lookup import find_similar as lookup

    items = [c if isinstance(c, Candidate) else Candidate(c[0], c[1]) for c in candidates]
    return lookup(query, items, **options)  # type: ignore[arg-type]
