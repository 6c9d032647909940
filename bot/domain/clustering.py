"""Grouping concerns that say the same thing into agenda items.

Pairs are scored by `bot.domain.similar.score`, the very measure of the resident's offer and
the staff's possible duplicates; this module only decides which concerns form one group.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from bot.domain.lexicon import Lexicon
from bot.domain.similar import (
    CLUSTER_THRESHOLD,
    Candidate,
    Weight,
    alleys_of,
    check_threshold,
    least_said,
    metres_between,
    prefix_words,
    score,
    weights_of,
)
from bot.domain.similar_text import ParsedText, parse

# A member must resemble the group's centre at the threshold, and the centre and its first
# members (up to CORE_SIZE, those most like the centre) on average at this share of it:
# a concern that names two problems ("đèn hư, rác không thu gom") resembles both problems'
# concerns, and would otherwise chain two groups into one.
CORE_SHARE = 0.85
CORE_SIZE = 8


def cluster(
    items: Sequence[Candidate], *, threshold: float = CLUSTER_THRESHOLD, lexicon: Lexicon | None = None
) -> list[list[int]]:
    """Group concerns a person would call the same, for agenda items.

    Each group is built around one concern, the one that resembles the most others: every
    other member scores at least `threshold` against it and resembles its first members on
    average too (CORE_SHARE). Linking any two similar concerns instead (single linkage) lets
    chains of near-misses merge unrelated groups. Every id is in exactly one group, alone if
    nothing matches it; groups are sorted largest first, then by smallest id, ids ascending
    inside. Word rarity is taken from `items`.
    """
    check_threshold(threshold)
    ids = [item.concern_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("each concern id may appear only once")
    if not items:
        return []
    texts = [parse(item.text, lexicon) for item in items]
    weight = weights_of(texts, lexicon)
    graph = _Graph(items, texts, weight, threshold)
    groups = [sorted(ids[n] for n in group) for group in graph.groups()]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def similar_pairs(
    items: Sequence[Candidate], *, threshold: float = CLUSTER_THRESHOLD, lexicon: Lexicon | None = None
) -> list[tuple[int, int, float]]:
    """Every pair of concerns scoring at least `threshold`, as (smaller id, larger id, score),
    best first: the possible duplicates staff are shown."""
    check_threshold(threshold)
    if not items:
        return []
    texts = [parse(item.text, lexicon) for item in items]
    graph = _Graph(items, texts, weights_of(texts, lexicon), threshold)
    pairs = {
        (min(items[a].concern_id, items[b].concern_id), max(items[a].concern_id, items[b].concern_id), found)
        for a, near in enumerate(graph.near) for b, found in near.items()
    }
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


class _Graph:
    """The pairs that reach the threshold, found by blocking on what a match must share."""

    def __init__(self, items: Sequence[Candidate], texts: list[ParsedText], weight: Weight, threshold: float) -> None:
        self.items, self.texts, self.weight, self.threshold = items, texts, weight, threshold
        self.near: list[dict[int, float]] = [{} for _ in texts]
        least = least_said(threshold, 1.0)
        blocks: dict[tuple[str, str], list[int]] = {}
        for node, text in enumerate(texts):
            # A match shares the rarest word they share, which is in the prefix of both (see
            # prefix_words), and, for an alley, the alley: only nodes in one block are compared.
            # Under a bar that agreeing places alone reach, every pair is.
            words = prefix_words(text.words - text.names, weight, least) if least > 0 else [""]
            for alley in alleys_of(text) or [""]:
                for word in words:
                    blocks.setdefault((alley, word), []).append(node)
        for block in blocks.values():
            for a, b in combinations(block, 2):
                if b not in self.near[a]:
                    found = self.score(a, b)
                    if found >= threshold:
                        self.near[a][b] = self.near[b][a] = found

    def score(self, a: int, b: int) -> float:
        known = self.near[a].get(b)
        if known is not None:
            return known
        return score(self.texts[a], self.texts[b], self.weight, metres_between(self.items[a], self.items[b]))

    def groups(self) -> list[list[int]]:
        taken = [False] * len(self.texts)
        # Texts with nothing said (only filler) resemble nothing and come last.
        order = sorted(
            range(len(self.texts)),
            key=lambda n: (-len(self.near[n]) if self.texts[n].words else 1, self.items[n].concern_id),
        )
        groups: list[list[int]] = []
        for centre in order:
            if taken[centre]:
                continue
            taken[centre] = True
            groups.append(self._grow(centre, taken))
        return groups

    def _grow(self, centre: int, taken: list[bool]) -> list[int]:
        group = [centre]
        near = self.near[centre]
        bar = self.threshold * CORE_SHARE
        for other in sorted((n for n in near if not taken[n]), key=lambda n: (-near[n], self.items[n].concern_id)):
            core = group[:CORE_SIZE]
            # And match half of them: two problems at one place share the place's part of the
            # score (PLACE_SHARE) without being alike.
            scores = [self.score(other, member) for member in core]
            matching = sum(1 for found in scores if found >= self.threshold)
            if sum(scores) >= bar * len(core) and 2 * matching >= len(core):
                group.append(other)
                taken[other] = True
        return group
