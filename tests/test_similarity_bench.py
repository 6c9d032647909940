"""bench/similarity.py computes its figures as it says, on a tiny file labelled by hand."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.domain.similar import Match

BENCH = Path(__file__).resolve().parent.parent / "bench" / "similarity.py"

# Submitted in this order. Lamp (2 members), flooding (2), a dog (alone), another lamp alley
# (alone): a hand count of what the metrics must be is in each test.
TINY = {
    "concerns": [
        {"id": "t1", "cluster": "lamp48", "area": "kp1-t1", "topic": "x", "text": "Đèn hẻm 48 Tân Hóa bị hư"},
        {"id": "t2", "cluster": "flood48", "area": "kp1-t1", "topic": "x", "text": "Hẻm 48 Tân Hóa mưa xuống là ngập nước"},
        {"id": "t3", "cluster": "lamp48", "area": "kp1-t2", "topic": "x", "text": "den hem 48 tan hoa hu roi, toi qua"},
        {"id": "t4", "cluster": "dog", "area": "", "topic": "x", "text": "Chó thả rông ở công viên Phú Thọ"},
        {"id": "t5", "cluster": "flood48", "area": "kp1-t3", "topic": "x", "text": "hem 48 tan hoa ngap nuoc moi khi mua"},
        {"id": "t6", "cluster": "lamp84", "area": "kp1-t1", "topic": "x", "text": "Đèn hẻm 84 Tân Hóa bị hư"},
    ],
    "notes": "tiny, for tests",
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("similarity_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["similarity_bench"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY, ensure_ascii=False), "utf-8")
    return path


def test_pairwise_agreement_by_hand(bench: ModuleType) -> None:
    # Groups {1,2,3} {4} {5}; labels a a b b c. Pairs grouped: 1-2, 1-3, 2-3, of which 1-2 is
    # labelled together; pairs labelled together: 1-2, 3-4.
    figures = bench.pairwise([[1, 2, 3], [4], [5]], {1: "a", 2: "a", 3: "b", 4: "b", 5: "c"})
    assert figures["cluster_precision"] == pytest.approx(1 / 3)
    assert figures["cluster_recall"] == pytest.approx(1 / 2)
    assert figures["cluster_f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert bench.pairwise([[1], [2]], {1: "a", 2: "b"}) == {"cluster_precision": 1.0, "cluster_recall": 1.0, "cluster_f1": 1.0}


def test_offer_figures_count_what_was_offered(bench: ModuleType, tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A scripted lookup: for each concern (by its number), what it is offered.
    script = {1: [], 2: [1], 3: [2, 1], 4: [], 5: [], 6: [1]}

    def scripted(query, candidates, **_: object) -> list[Match]:
        assert {c.concern_id for c in candidates} == set(range(1, query.concern_id))  # the earlier ones
        return [Match(i, 80.0) for i in script[query.concern_id]]

    monkeypatch.setattr(bench, "find_similar", scripted)
    tree, ward = bench._areas(bench.ROOT / "config.example.toml")
    figures = bench.offer_figures(bench.read_labelled(tiny), tree, ward)
    # With an earlier member of their cluster: 3 (lamp: 1 offered, a hit) and 5 (flood: nothing).
    assert figures["offer_recall_at_3"] == pytest.approx(1 / 2)
    # Offers: 2->1 wrong, 3->2 wrong, 3->1 right, 6->1 wrong.
    assert figures["offer_precision"] == pytest.approx(1 / 4)
    # Without one: 1, 2, 4, 6; offered something: 2 and 6.
    assert figures["singleton_false_offer_rate"] == pytest.approx(2 / 4)


def test_the_real_lookup_and_grouping_on_the_tiny_file(bench: ModuleType, tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench.main(["--labelled", str(tiny), "--no-timing"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(printed) == {
        "offer_recall_at_3", "offer_precision", "singleton_false_offer_rate",
        "cluster_precision", "cluster_recall", "cluster_f1",
    }
    # 3 is offered 1, 5 is offered 2, nothing else is offered: every figure is perfect.
    assert figures == {
        "offer_recall_at_3": 1.0, "offer_precision": 1.0, "singleton_false_offer_rate": 0.0,
        "cluster_precision": 1.0, "cluster_recall": 1.0, "cluster_f1": 1.0,
    }
