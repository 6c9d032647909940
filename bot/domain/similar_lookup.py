"""The lookup: open concerns of a meeting that a person would call the same as a new one.

Scored by bot.domain.similar.score; this module finds, among up to tens of thousands of
candidates, the few worth scoring, fast enough for a reply in the dialogue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from operator import attrgetter

from bot.domain.lexicon import Lexicon, load_lexicon
from bot.domain.similar import (
    FIND_THRESHOLD,
    NEAR_M,
    NEAR_SPOT,
    OVERLAP_FLOOR,
    OVERLAP_SHARE,
    PLACE_SHARE,
    SAMPLE_SIZE,
    UNSAID_PLACE,
    Candidate,
    Match,
    alleys_of,
    check_threshold,
    least_said,
    metres_between,
    prefix_words,
    score,
    weights_from,
)
from bot.domain.similar_text import (
    INITIALS_MARK,
    NAME_MARK,
    WRITTEN_MARK,
    ParsedText,
    initials_of,
    key_form,
    parse,
    parsed_all,
)

_TEXT = attrgetter("text")
_KEY = attrgetter("key")
_ID = attrgetter("concern_id")
# Pools kept parsed and joined, by lexicon and candidate ids: the dialogue asks again and
# again about the same open concerns, which change by one at a time.
_POOLS: dict[tuple[int, int], _Pool] = {}
_POOLS_KEPT = 4
# A pool grown by more than 1/GROWTH of its size since its word weights were taken is read afresh.
GROWTH = 10
_KEY_STEP = 64


def find_similar(
    query: Candidate | str,
    candidates: Sequence[Candidate],
    *,
    nearness: Callable[[str, str], int] | None = None,
    limit: int = 3,
    threshold: float = FIND_THRESHOLD,
    lexicon: Lexicon | None = None,
) -> list[Match]:
    """Candidates a person would call the same as `query`, best first: at most `limit`.

    The one lookup of the dialogue's offer, the staff's possible duplicates and the bench.
    `nearness(query_area, candidate_area)` (0 the same area, 1 the same khu phố, …) breaks
    ties toward the resident's own area, and is kept in each Match for showing the offer.
    """
    check_threshold(threshold, limit)
    if isinstance(query, str):
        query = Candidate(0, query)
    wanted = parse(query.text, lexicon)
    if not wanted.words or not candidates:
        return []
    pool = _pool(candidates, lexicon)
    texts, weight = pool.texts, pool.weight
    # Best first by what they say (exact and cheap), then places only for as many as can
    # still make the best `limit`: among 20,000 concerns, thousands name the same street.
    shortlist = _shortlist(wanted, pool, threshold)
    if query.latitude is not None and query.longitude is not None:
        shortlist |= _close_by(query, candidates, wanted, pool, threshold)
    ranked = sorted(_said(wanted, pool, shortlist), reverse=True)
    matches: list[Match] = []
    for bound, said, index in ranked:
        if bound < threshold or (len(matches) >= limit and bound + 1.0 < matches[limit - 1].score):
            break
        candidate = candidates[index]
        if query.concern_id and candidate.concern_id == query.concern_id:
            continue
        found = score(wanted, texts[index], weight, metres_between(query, candidate), threshold, said)
        if found >= threshold:
            near = nearness(query.area_id, candidate.area_id) if nearness else 0
            matches.append(Match(candidate.concern_id, found, near))
            matches.sort(key=lambda m: -m.score)
    # The resident's own area first among equals, then the nearer, then the older concern.
    matches.sort(key=lambda m: (-round(m.score), m.nearness, m.concern_id))
    return matches[:limit]


def _close_by(
    query: Candidate, candidates: Sequence[Candidate], wanted: ParsedText, pool: _Pool, threshold: float
) -> set[int]:
    """Candidates located near `query` that share a word: their places agree (see score)."""
    loose = set(prefix_words(wanted.words - wanted.names, pool.weight, least_said(threshold, NEAR_SPOT)))
    return {
        i for i, c in enumerate(candidates)
        if c.latitude is not None and not loose.isdisjoint(pool.texts[i].words)
        and (metres := metres_between(query, c)) is not None and metres <= NEAR_M
    }


def _said(wanted: ParsedText, pool: _Pool, indices: Iterable[int]) -> Iterable[tuple[float, float, int]]:
    """(the most the pair can score, said_alike, index) for each shortlisted text.

    As score() computes it: each text's words without the other's places' names (its own
    are not among its words).
    """
    weight, texts, totals = pool.weight, pool.texts, pool.totals
    words, names = wanted.words, wanted.names
    total = sum(map(weight, words))
    top = 100.0 * PLACE_SHARE
    rest = 100.0 * (1.0 - PLACE_SHARE)
    half = OVERLAP_SHARE
    # said_from, inlined: this runs for thousands of texts a lookup.
    for index in indices:
        text = texts[index]
        theirs_words = text.words
        common = words & theirs_words
        if not common:
            yield top, 0.0, index
            continue
        shared = sum(map(weight, common))
        mine = total
        if text.names:
            named = words & text.names
            if named:
                mine -= sum(map(weight, named))
        theirs = totals(index)
        if names:
            named = theirs_words & names
            if named:
                theirs -= sum(map(weight, named))
        if mine <= 0 or theirs <= 0:
            said = 0.0
        else:
            smaller = min(theirs, mine)
            said = half * shared / (max(OVERLAP_FLOOR, smaller)) + (
                1.0 - half
            ) * 2.0 * shared / (mine + theirs)
        yield top + rest * said, said, index


def _shortlist(wanted: ParsedText, pool: _Pool, threshold: float) -> set[int]:
    """Indices of the texts that may reach `threshold` against `wanted`; the others cannot.

    A match shares the alley if `wanted` names one (numbers_agree). Otherwise it shares a
    word of the prefix (prefix_words) for the best agreement of places it could have with
    `wanted`, and unless it names one of `wanted`'s places, of the prefix for no place.
    Holders of a word are found in the pool's index of the texts' keys.
    """
    joined, texts, weight = pool.joined, pool.texts, pool.weight
    alleys = alleys_of(wanted)
    if alleys:
        return joined.holding(key_form(a) for a in alleys)
    if least_said(threshold, 1.0) <= 0.0:
        # A bar so low that agreeing places alone reach it: every text may.
        return set(range(len(texts)))
    problem = wanted.words - wanted.names
    strict = prefix_words(problem, weight, least_said(threshold, UNSAID_PLACE))
    loose = set(prefix_words(problem, weight, least_said(threshold, 1.0)))
    # A text sharing a word of `strict` may match whatever it names.
    found = joined.holding(map(key_form, strict))
    if not wanted.places:
        # Neither naming a place, they are judged on what they say.
        even = set(prefix_words(problem, weight, least_said(threshold, None)))
        found |= {i for i in joined.holding(map(key_form, even)) if not texts[i].places}
    # The others must share less of what they say if they may name one of the same places
    # (bot.domain.similar._run_in): a name of one written in the other.
    # Its names among theirs or among what they wrote, its initials; or their names among its
    # words (one half of the agreement of places: "lanh binh thang" typed, not read as a name).
    said = [w for w in wanted.words if " " not in w]
    near = joined.holding(NAME_MARK + s for s in chain(wanted.names, said))
    if wanted.places:
        near |= joined.holding(WRITTEN_MARK + s for s in wanted.names)
        near |= joined.holding(INITIALS_MARK + initials_of(run) for run in wanted.places)
    runs = [(frozenset(run), min(len(run), max(len(run) - 1, 2))) for run in wanted.places]
    for i in near - found:
        text = texts[i]
        if loose.isdisjoint(text.words):
            continue
        if text.places or any(len(run.intersection(text.syllables)) >= enough for run, enough in runs):
            found.add(i)
    return found


class _Index:
    """Which texts hold each word of their keys (ParsedText.key): words, numbers, marks."""

    def __init__(self) -> None:
        self._holders: dict[str, set[int]] = {}

    def add(self, start: int, keys: Iterable[str]) -> None:
        holders = self._holders
        for index, key in enumerate(keys, start):
            for word in key.split():
                found = holders.get(word)
                if found is None:
                    holders[word] = {index}
                else:
                    found.add(index)

    def holding(self, words: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for word in words:
            found |= self.holders(word)
        return found

    def holders(self, word: str) -> set[int]:
        return self._holders.get(word, _NONE)


_NONE: set[int] = set()


class _Pool:
    """Candidates parsed and indexed, with their word weights (rarity among them)."""

    def __init__(self, candidates: Sequence[Candidate], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.ids = tuple(map(_ID, candidates))
        self.sources = tuple(map(_TEXT, candidates))
        self.texts = parsed_all(list(self.sources), lexicon)
        self.joined = _Index()
        self.joined.add(0, map(_KEY, self.texts))
        step = -(-len(self.texts) // SAMPLE_SIZE)
        sample = self.texts[::step]
        df: Counter[str] = Counter(chain.from_iterable(t.words for t in sample))
        self.weight = weights_from(df.__getitem__, len(sample), lexicon)
        self.sampled_from = len(self.texts)
        self._totals: dict[int, float] = {}

    def totals(self, index: int) -> float:
        """The weight of a text's words."""
        found = self._totals.get(index)
        if found is None:
            found = self._totals[index] = sum(map(self.weight, self.texts[index].words))
        return found

    def grown_by(self, ids: tuple[int, ...], sources: tuple[str, ...]) -> bool:
        """Take in these candidates if they are this pool's and a few more after them (the
        meeting has received new concerns since); whether it did. Word weights stay those of
        the pool as first seen, until it has grown by a tenth."""
        old = len(self.ids)
        if not old < len(ids) <= self.sampled_from + self.sampled_from // GROWTH:
            return False
        if ids[:old] != self.ids or sources[:old] != self.sources:
            return False
        added = parsed_all(list(sources[old:]), self.lexicon)
        self.joined.add(old, map(_KEY, added))
        self.texts = self.texts + added
        self.ids, self.sources = ids, sources
        return True


def _pool(candidates: Sequence[Candidate], lexicon: Lexicon | None) -> _Pool:
    # A concern's text does not change once sent, so its id stands for it; a sample of the
    # texts too, for two databases (tests) whose ids are the same.
    key = (id(lexicon), hash((tuple(map(_ID, candidates)), tuple(c.text for c in candidates[::_KEY_STEP]))))
    pool = _POOLS.get(key)
    if pool is None:
        # The usual change: a concern or two sent since the last lookup.
        ids, sources = tuple(map(_ID, candidates)), tuple(map(_TEXT, candidates))
        grown = next((p for k, p in _POOLS.items() if k[0] == key[0] and p.grown_by(ids, sources)), None)
        if grown is not None:
            _POOLS.pop(next(k for k, p in _POOLS.items() if p is grown))
        pool = grown or _Pool(candidates, lexicon or load_lexicon())
        if len(_POOLS) >= _POOLS_KEPT:
            del _POOLS[next(iter(_POOLS))]
        _POOLS[key] = pool
    return pool
