"""Grouping concerns that say the same thing into agenda items.

The texts are read and scored as in `bot.domain.similar` (content words, rarity weights,
weighted Dice, house and alley numbers that must agree); this module only decides which
concerns form one group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

from rapidfuzz import fuzz, process

from bot.domain.similar import (
    CLUSTER_THRESHOLD,
    CORE_SHARE,
    CORE_SIZE,
    ParsedText,
    check_threshold,
    parse,
    prefix_words,
    texts_agree,
    weighted_dice,
    word_weight,
)


def cluster(items: Sequence[tuple[int, str]], *, threshold: float = CLUSTER_THRESHOLD) -> list[list[int]]:
    """Group concerns (id, folded text) that say the same thing, for agenda items.

    Each group is built around one concern, the one most others resemble first: every other
    member scores at least `threshold` against it, and resembles the group's first members
    on average too (CORE_SHARE). Linking any two similar concerns instead (single linkage)
    lets chains of near-misses merge unrelated groups: on 20,000 synthetic concerns it put
    nearly all of them in one group. Every id appears in exactly one group, alone if nothing
    matches it; groups are sorted largest first, then by smallest id, ids ascending inside.
    Word rarity is taken from `items`: cluster one topic's concerns at a time and the words
    naming the problem weigh little, so the place decides.
    """
    check_threshold(threshold)
    ids = [concern_id for concern_id, _ in items]
    if len(set(ids)) != len(ids):
        raise ValueError("each concern id may appear only once")
    if not items:
        return []
    groups = _Graph.of(ids, [parse(text) for _, text in items], threshold).groups()
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


@dataclass
class _Graph:
    """Distinct texts as nodes, with the scores of the pairs that reach the threshold."""

    nodes: list[ParsedText]
    # Identical texts (after folding and filler) are one node: a petition copied by many
    # residents would otherwise cost a comparison for every pair of copies.
    members: dict[ParsedText, list[int]]
    weights: dict[str, int]
    neighbours: list[dict[int, float]]
    threshold: float

    @classmethod
    def of(cls, ids: list[int], parsed: list[ParsedText], threshold: float) -> _Graph:
        members: dict[ParsedText, list[int]] = {}
        for concern_id, text in zip(ids, parsed, strict=True):
            members.setdefault(text, []).append(concern_id)
        df: Counter[str] = Counter(chain.from_iterable(text.words for text in parsed))
        weights = {w: word_weight(count, len(parsed)) for w, count in df.items()}
        graph = cls(list(members), members, weights, [{} for _ in members], threshold)
        for block in graph._blocks(df).values():
            if len(block) >= 2:
                graph._link(block, df)
        return graph

    def _ranked(self, text: ParsedText, df: Counter[str]) -> list[str]:
        # Rarest first: the one order all prefixes and encodings follow.
        return sorted(text.words, key=lambda word: (df[word], word))

    def _blocks(self, df: Counter[str]) -> dict[tuple[bool, str], list[int]]:
        """Only nodes that could match are compared: those sharing a house or alley number
        (texts_agree demands one) and, among texts without such numbers, those sharing a
        prefix word. This keeps 20,000 concerns far from 200 million pairs."""
        blocks: dict[tuple[bool, str], list[int]] = {}
        for node, text in enumerate(self.nodes):
            if text.numbers:
                keys = [(True, number) for number in text.numbers]
            else:
                words = prefix_words(text.words, self.weights.__getitem__, lambda w: (df[w], w), self.threshold)
                keys = [(False, word) for word in words]
            for key in keys:
                blocks.setdefault(key, []).append(node)
        return blocks

    def _link(self, block: list[int], df: Counter[str]) -> None:
        """Record the exact score of every pair in `block` that reaches the threshold."""
        strings = _encode([self._ranked(self.nodes[node], df) for node in block], self.weights)
        # Under the bar in C (rapidfuzz turns the cutoff into a distance with its own rounding
        # and drops pairs that sit exactly on it), then the exact score from the integers.
        cutoff = max(self.threshold - 0.5, 0.0)
        for position in range(len(block) - 1):
            a = block[position]
            rest = strings[position + 1 :]
            hits = process.extract(
                strings[position], rest, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=None
            )
            for _, ratio, offset in hits:
                b = block[position + 1 + offset]
                if b in self.neighbours[a] or not texts_agree(self.nodes[a], self.nodes[b]):
                    continue
                # The shared weight is an integer (see _encode): recover it, and compute the
                # score exactly as weighted_dice does.
                total = len(strings[position]) + len(rest[offset])
                exact = 200.0 * round(ratio * total / 200.0) / total
                if exact >= self.threshold:
                    self.neighbours[a][b] = self.neighbours[b][a] = exact

    def score(self, a: int, b: int) -> float:
        known = self.neighbours[a].get(b)
        if known is not None:
            return known
        if not texts_agree(self.nodes[a], self.nodes[b]):
            return 0.0
        return weighted_dice(self.nodes[a].words, self.nodes[b].words, self.weights.__getitem__)

    def groups(self) -> list[list[int]]:
        """Groups of concern ids, each grown around the node that would gather the most concerns."""
        size = [len(self.members[text]) for text in self.nodes]
        smallest = [min(self.members[text]) for text in self.nodes]
        # Texts with no content word at all (only filler) resemble nothing and come last.
        gathers = [
            size[n] - 1 + sum(size[m] for m in self.neighbours[n]) if self.nodes[n].words else -1
            for n in range(len(self.nodes))
        ]
        taken = [False] * len(self.nodes)
        groups: list[list[int]] = []
        for centre in sorted(range(len(self.nodes)), key=lambda n: (-gathers[n], smallest[n])):
            if taken[centre]:
                continue
            taken[centre] = True
            if not self.nodes[centre].words:
                # Two texts of nothing but filler are not the same concern: each stays alone.
                groups.extend([concern_id] for concern_id in self.members[self.nodes[centre]])
                continue
            grown = self._grow(centre, taken, smallest.__getitem__)
            groups.append(sorted(chain.from_iterable(self.members[self.nodes[n]] for n in grown)))
        return groups

    def _grow(self, centre: int, taken: list[bool], smallest: Callable[[int], int]) -> list[int]:
        group = [centre]
        near = self.neighbours[centre]
        core_bar = self.threshold * CORE_SHARE
        for other in sorted((n for n in near if not taken[n]), key=lambda n: (-near[n], smallest(n))):
            # Resembling the centre is not enough: a concern about two problems resembles
            # two groups' members and would, as a centre, gather both. A member must also
            # resemble the group's first members on average (see CORE_SHARE).
            core = group[:CORE_SIZE]
            if sum(self.score(other, member) for member in core) >= core_bar * len(core):
                group.append(other)
                taken[other] = True
        return group


def _encode(texts: Sequence[Sequence[str]], weights: dict[str, int]) -> list[str]:
    """Texts (words in one shared order) as strings whose fuzz.ratio is their weighted Dice.

    One character per word, repeated by its weight: with the words in the same order in
    every string, the longest common subsequence of two strings is exactly their shared
    weight, and fuzz.ratio (2 * LCS / total length, in C) the weighted Dice score. Characters
    are numbered per call so that a block of texts usually fits in one byte each, which
    rapidfuzz compares about twice as fast as wider characters.
    """
    codes: dict[str, str] = {}

    def code(word: str) -> str:
        return codes.get(word) or codes.setdefault(word, _char(len(codes)))

    return ["".join(code(w) * weights[w] for w in words) for words in texts]


def _char(number: int) -> str:
    # Printable from "!" on; any valid code point would do, so skip the surrogate block.
    code = 0x21 + number
    return chr(code + 0x800 if code >= 0xD800 else code)
