"""How well the bot finds concerns a person would call the same, on a labelled file. Run by hand:

    .venv/bin/python bench/similarity.py --labelled ../shared/similarity/dev.json [--results]

The file: {"concerns": [{"id", "cluster", "area", "topic", "text"}, ...], "notes": ...}, in
submission order; concerns with the same `cluster` are what staff would merge.

Measured through the bot's own code paths, with their real filters and thresholds:
- the offer (bot.resident.steps.confirm calls bot.domain.similar.find_similar with every
  open concern of the meeting, ordered by nearness in the area tree of config.example.toml):
  concerns are submitted one by one; for each one whose cluster has an earlier member, is one
  of them among the (at most 3) offered (offer_recall_at_3); of all offers, how many were of
  the concern's cluster (offer_precision); of the concerns with no earlier member of their
  cluster, how many were offered anything (singleton_false_offer_rate);
- the agenda's grouping of the whole file (bot.services.agenda calls
  bot.domain.clustering.cluster with every waiting concern of the meeting), pairwise
  against the labels;
- lookup_p99_ms: find_similar for each labelled concern (three rounds) against a synthetic
  meeting of 20,000 open concerns (bench/synthetic_concerns.py) plus the file's, parsed once
  beforehand as the bot's cache holds them after the first lookup (that first, cold lookup
  is printed apart, and so is a round in which the meeting grows by each concern looked up,
  as during intake).

Prints one JSON line with the figures; --results also appends a section to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_concerns import generate

from bot.config import load_settings
from bot.domain.areas import AreaTree
from bot.domain.clustering import cluster
from bot.domain.similar import Candidate
from bot.domain.similar_lookup import find_similar
from bot.domain.similar_text import parse

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC = 20_000


@dataclass(frozen=True)
class Labelled:
    number: int  # the concern id the bench gives it: its position in the file, from 1
    name: str
    cluster: str
    area: str
    topic: str
    text: str


def read_labelled(path: Path) -> list[Labelled]:
    data = json.loads(path.read_text("utf-8"))
    return [
        Labelled(n, c["id"], c["cluster"], c.get("area", ""), c.get("topic", ""), c["text"])
        for n, c in enumerate(data["concerns"], start=1)
    ]


def _areas(config: Path) -> tuple[AreaTree, str]:
    settings = load_settings(config)
    tree = AreaTree(settings)
    return tree, tree.roots[0].id


def offer_figures(concerns: Sequence[Labelled], tree: AreaTree, ward: str) -> dict[str, float]:
    """Submit the concerns one by one and score what each was offered."""
    cluster_of = {c.number: c.cluster for c in concerns}
    seen: Counter[str] = Counter()
    open_ones: list[Candidate] = []
    hits = wanted = offers = right = lonely = lonely_offered = 0
    for concern in concerns:
        me = Candidate(concern.number, concern.text, concern.area or ward)
        found = find_similar(me, open_ones, nearness=tree.nearness)
        if seen[concern.cluster]:
            wanted += 1
            hits += any(cluster_of[m.concern_id] == concern.cluster for m in found)
        else:
            lonely += 1
            lonely_offered += bool(found)
        offers += len(found)
        right += sum(1 for m in found if cluster_of[m.concern_id] == concern.cluster)
        seen[concern.cluster] += 1
        open_ones.append(me)
    return {
        "offer_recall_at_3": hits / wanted if wanted else 1.0,
        "offer_precision": right / offers if offers else 1.0,
        "singleton_false_offer_rate": lonely_offered / lonely if lonely else 0.0,
    }


def pairwise(groups: Sequence[Sequence[int]], truth: dict[int, str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of groups against labelled clusters."""
    together = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    both = sum(n * (n - 1) // 2 for g in groups for n in Counter(truth[i] for i in g).values())
    labelled = sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())
    precision = both / together if together else 1.0
    recall = both / labelled if labelled else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"cluster_precision": precision, "cluster_recall": recall, "cluster_f1": f1}


def cluster_figures(concerns: Sequence[Labelled], ward: str) -> dict[str, float]:
    groups = cluster([Candidate(c.number, c.text, c.area or ward) for c in concerns])
    return pairwise(groups, {c.number: c.cluster for c in concerns})


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def lookup_figures(
    concerns: Sequence[Labelled], tree: AreaTree, ward: str, count: int
) -> tuple[float, float, float, float, float]:
    """(p50, p99, CPU p99, cold first lookup, p99 while growing) in ms of find_similar against a synthetic meeting plus the file."""
    areas = [a for a in tree.descendants(ward) if not tree.children(a)]
    synthetic = [
        Candidate(10_000_000 + c.id, c.text, areas[c.id % len(areas)]) for c in generate(count, seed=7)
    ]
    meeting = synthetic + [Candidate(c.number, c.text, c.area or ward) for c in concerns]
    queries = [Candidate(0, c.text, c.area or ward) for c in concerns]
    start = time.perf_counter()
    find_similar(queries[0], meeting, nearness=tree.nearness)
    cold = (time.perf_counter() - start) * 1000
    for candidate in meeting:  # as the cache holds them once the bot has looked once
        parse(candidate.text)
    times, cpu = [], []
    for _ in range(3):
        for query in queries:
            start, start_cpu = time.perf_counter(), time.thread_time()
            find_similar(query, meeting, nearness=tree.nearness)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            times.append((time.perf_counter() - start) * 1000)
    # As in a meeting taking concerns: each one looked up, then sent (the pool grows by one).
    growing, pool = [], list(meeting)
    for number, query in enumerate(queries, start=1):
        start = time.perf_counter()
        find_similar(query, pool, nearness=tree.nearness)
        growing.append((time.perf_counter() - start) * 1000)
        pool.append(Candidate(20_000_000 + number, query.text, query.area_id))
    return percentile(times, 50), percentile(times, 99), percentile(cpu, 99), cold, percentile(growing, 99)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=Path, required=True, help="a file in the form of dev.json")
    parser.add_argument("--config", type=Path, default=ROOT / "config.example.toml", help="its area tree")
    parser.add_argument("--synthetic", type=int, default=SYNTHETIC, help="open concerns of the timed meeting")
    parser.add_argument("--no-timing", action="store_true", help="skip the lookup timing (for tests)")
    parser.add_argument("--results", action="store_true", help="append a section to bench/RESULTS.md")
    args = parser.parse_args(argv)
    concerns = read_labelled(args.labelled)
    tree, ward = _areas(args.config)
    figures: dict[str, float] = {**offer_figures(concerns, tree, ward), **cluster_figures(concerns, ward)}
    if not args.no_timing:
        p50, p99, cpu99, cold, growing = lookup_figures(concerns, tree, ward, args.synthetic)
        figures["lookup_p99_ms"] = p99
        timing = (
            f"lookup against {args.synthetic + len(concerns):,} open concerns ({3 * len(concerns)} lookups): "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms wall, p99 {cpu99:.2f} ms CPU; p99 {growing:.2f} ms wall while the "
            f"meeting grows by each concern looked up; first lookup (cold cache: every text parsed) {cold:.0f} ms; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        print(timing, file=sys.stderr)
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    if args.results:
        _append(args, figures, len(concerns), timing if not args.no_timing else "")
    return figures


def _append(args: argparse.Namespace, figures: dict[str, float], count: int, timing: str) -> None:
    from common import append_results

    lines = [f"File: `{args.labelled}` ({count} concerns); synthetic meeting for the timing: {args.synthetic:,} open concerns"]
    lines += ["", "```", json.dumps({k: round(v, 4) for k, v in figures.items()}), "```", ""]
    lines += [f"- {timing}"] if timing else []
    append_results(f"Similar concerns (bench/similarity.py --labelled {args.labelled.name})", lines)


if __name__ == "__main__":
    main()
