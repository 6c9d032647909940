"""Benchmark of bot.domain.similar on 20,000 synthetic concerns of one ward. Run by hand:

    .venv/bin/python bench/agenda_similarity.py [--count 20000] [--queries 300] [--seed 7]

Prints lookup latency (find_similar against all concerns, and SimilarityIndex.find),
cluster() time, and how well clusters agree with the generator's ground truth (each
concern is generated from one "situation": a problem at a place). Nothing is written.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.similar import (  # noqa: E402
    CLUSTER_THRESHOLD,
    FIND_THRESHOLD,
    SimilarityIndex,
    find_similar,
)
from bot.domain.clustering import cluster  # noqa: E402
from bot.domain.textnorm import fold  # noqa: E402

STREETS = [
    "Tân Hóa", "Phú Thọ", "Hàn Hải Nguyên", "Ông Ích Khiêm", "Lãnh Binh Thăng", "Lạc Long Quân",
    "Minh Phụng", "Lò Siêu", "Tôn Thất Hiệp", "Bình Thới", "Nguyễn Thị Nhỏ", "Đội Cung",
    "Lê Đại Hành", "Thái Phiên", "Hòa Bình", "Âu Cơ", "Lữ Gia", "Xóm Đất",
]
PLACES = [
    "chợ Thiếc", "chợ Phú Thọ", "công viên Đầm Sen", "nhà văn hóa khu phố 3", "chung cư Lạc Long Quân",
    "trạm y tế phường", "sân bóng Phú Thọ", "chung cư Bình Thới",
]
SCHOOLS = ["trường tiểu học Phú Thọ", "trường THCS Lữ Gia", "trường mầm non Sơn Ca", "trường tiểu học Đề Thám"]

# {loc} is a place: an alley, a house front, a street, a crossing or a landmark.
PROBLEMS: dict[str, list[str]] = {
    "lamp": [
        "Đèn chiếu sáng {loc} bị hư",
        "{loc} đèn đường không sáng, buổi tối tối om",
        "Đèn đường ở {loc} hư lâu rồi chưa ai sửa",
        "Đề nghị sửa đèn {loc}",
        "Bóng đèn {loc} bị cháy, đi đêm rất nguy hiểm",
        "Trụ đèn {loc} không sáng mấy tuần nay",
    ],
    "garbage": [
        "Rác thải {loc} không được thu gom",
        "Rác để ở {loc} bốc mùi hôi",
        "Đề nghị thu gom rác {loc} mỗi ngày",
        "Người dân vứt rác bừa bãi ở {loc}",
        "Điểm tập kết rác {loc} hôi thối, ruồi nhặng",
    ],
    "flood": [
        "{loc} ngập nước mỗi khi mưa",
        "Mưa lớn là {loc} ngập sâu, xe chết máy",
        "Đề nghị nạo vét cống {loc} vì hay ngập",
        "Cống thoát nước {loc} bị nghẹt gây ngập",
    ],
    "jam": [
        "Kẹt xe giờ cao điểm ở {loc}",
        "{loc} thường xuyên ùn tắc giao thông",
        "Đề nghị bố trí người điều tiết giao thông tại {loc} giờ cao điểm",
        "Giờ tan tầm {loc} kẹt xe kéo dài",
    ],
    "pothole": [
        "Mặt đường {loc} xuống cấp, nhiều ổ gà",
        "{loc} nhiều ổ gà, đề nghị sửa chữa",
        "Đề nghị trải nhựa lại mặt đường {loc} vì hư hỏng nặng",
        "{loc} đường lồi lõm, ổ gà, đi xe dễ té",
    ],
    "sidewalk": [
        "Lấn chiếm vỉa hè buôn bán ở {loc}",
        "Vỉa hè {loc} bị lấn chiếm, người đi bộ phải xuống lòng đường",
        "Quán ăn bày bàn ghế chiếm hết vỉa hè {loc}",
    ],
    "theft": [
        "Trộm cắp xe máy ở {loc}",
        "{loc} hay bị mất trộm xe máy",
        "Đề nghị tăng cường tuần tra chống trộm ở {loc}",
    ],
    "racing": [
        "Thanh niên tụ tập đua xe ở {loc} ban đêm",
        "Đua xe lạng lách gây ồn ào {loc} vào ban đêm",
    ],
    "karaoke": [
        "Karaoke ồn ào ở {loc} đến khuya",
        "Hàng xóm hát karaoke quá giờ ở {loc}, không ngủ được",
    ],
    "fire": [
        "{loc} quá nhỏ, xe chữa cháy không vào được",
        "Đề nghị lắp trụ nước chữa cháy ở {loc}",
        "Nhà ở {loc} không có bình chữa cháy, nguy cơ cháy nổ",
    ],
    "dogs": [
        "Chó thả rông không rọ mõm ở {loc}",
        "Chó nuôi thả rông phóng uế bừa bãi {loc}",
    ],
    "trees": [
        "Cây xanh {loc} có nguy cơ ngã đổ mùa mưa",
        "Đề nghị cắt tỉa cây xanh {loc}",
    ],
    "pollution": [
        "Xưởng sản xuất ở {loc} gây ô nhiễm khói bụi",
        "Cơ sở ở {loc} xả nước thải gây ô nhiễm",
    ],
    "parking": [
        "Ô tô đậu lấn chiếm lòng đường {loc}",
        "Xe ô tô đậu hai bên {loc} gây cản trở đi lại",
    ],
    "building": [
        "Công trình xây dựng ở {loc} để vật liệu lấn ra đường",
        "Xây dựng không phép ở {loc}",
    ],
}
# Problems raised without a place: each is one situation of its own.
GENERAL: dict[str, list[str]] = {
    "landtax": [
        "Thuế sử dụng đất phi nông nghiệp năm nay tăng cao, đề nghị giải thích cách tính",
        "Xin hướng dẫn cách tính thuế sử dụng đất phi nông nghiệp",
        "Tại sao thuế đất phi nông nghiệp năm nay tăng nhiều vậy",
    ],
    "certificate": [
        "Thủ tục cấp giấy chứng nhận quyền sử dụng đất quá chậm",
        "Làm sổ hồng chờ quá lâu, đề nghị giải quyết nhanh hồ sơ cấp giấy chứng nhận",
    ],
    "elderly": [
        "Người cao tuổi chưa nhận được trợ cấp tháng này",
        "Tiền trợ cấp người cao tuổi chậm chi trả",
    ],
    "health_insurance": [
        "Xin hướng dẫn gia hạn thẻ bảo hiểm y tế hộ gia đình",
        "Thủ tục gia hạn thẻ bảo hiểm y tế rườm rà",
    ],
}
SCHOOL_PROBLEMS: dict[str, list[str]] = {
    "school_rooms": ["{loc} thiếu phòng học, lớp quá đông", "Đề nghị xây thêm phòng học cho {loc}"],
    "school_gate": ["Cổng {loc} kẹt xe giờ tan học", "Phụ huynh đậu xe trước cổng {loc} gây kẹt xe"],
}
# The topic a resident would pick (config.example.toml): bot/agenda.py clusters per topic.
TOPIC_OF = {
    "lamp": "hem-chieu-sang", "pothole": "hem-chieu-sang", "flood": "thoat-nuoc", "jam": "giao-thong",
    "sidewalk": "giao-thong", "parking": "giao-thong", "racing": "an-ninh", "theft": "an-ninh",
    "karaoke": "an-ninh", "fire": "pccc", "garbage": "moi-truong", "dogs": "moi-truong", "trees": "moi-truong",
    "pollution": "moi-truong", "building": "dat-dai", "certificate": "dat-dai", "landtax": "thue",
    "elderly": "an-sinh", "health_insurance": "an-sinh", "school_rooms": "giao-duc-y-te",
    "school_gate": "giao-duc-y-te",
}
OPENINGS = [
    "", "", "", "Đề nghị phường xem xét: ", "Kính gửi UBND phường, ", "Tôi xin phản ánh: ",
    "Bà con khu phố {k} phản ánh ", "Kiến nghị: ", "Xin cho hỏi ",
]
CLOSINGS = [
    "", "", "", ", mong phường sớm giải quyết", ", đã phản ánh nhiều lần", " hơn một tháng nay",
    ". Xin cảm ơn.", ", rất bức xúc", " {d} tuần nay", "!!!",
]


@dataclass(frozen=True)
class Concern:
    id: int
    text: str
    situation: str


def _places(rng: random.Random) -> list[str]:
    places: list[str] = []
    for street in STREETS:
        places.append(f"đường {street}")
        places.extend(f"hẻm {rng.randint(2, 400)} {street}" for _ in range(rng.randint(3, 10)))
        places.extend(f"trước nhà số {rng.randint(1, 600)} đường {street}" for _ in range(rng.randint(1, 3)))
    crossings = [(a, b) for a in STREETS[:8] for b in STREETS[8:14]]
    places.extend(f"ngã tư {a} – {b}" for a, b in rng.sample(crossings, 12))
    places.extend(PLACES)
    return list(dict.fromkeys(places))


def _situations(rng: random.Random) -> list[tuple[str, list[str], str]]:
    """(situation key, templates, place) for every problem that can occur somewhere."""
    places = _places(rng)
    found = [(f"{p}@{place}", templates, place) for p, templates in PROBLEMS.items() for place in places]
    found += [(f"{p}@{school}", templates, school) for p, templates in SCHOOL_PROBLEMS.items() for school in SCHOOLS]
    found += [(p, templates, "") for p, templates in GENERAL.items()]
    return found


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _swap_crossing(place: str) -> str:
    if place.startswith("ngã tư ") and " – " in place:
        a, b = place.removeprefix("ngã tư ").split(" – ")
        return f"ngã tư {b} – {a}"
    return place


def generate(count: int, seed: int) -> list[Concern]:
    rng = random.Random(seed)
    situations = _situations(rng)
    rng.shuffle(situations)
    # A few situations draw many concerns (the broken lamp the whole alley complains about),
    # most draw one or two: Zipf-like weights over a shuffled list.
    weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(situations))]
    concerns: list[Concern] = []
    for concern_id in range(1, count + 1):
        key, templates, place = rng.choices(situations, weights)[0]
        if rng.random() < 0.3:
            place = _swap_crossing(place)
        text = rng.choice(templates).format(loc=place)
        opening = rng.choice(OPENINGS).format(k=rng.randint(1, 4))
        text = opening + text + rng.choice(CLOSINGS).format(d=rng.randint(2, 5))
        roll = rng.random()
        if roll < 0.3:
            text = _strip_marks(text)  # typed without a Vietnamese keyboard
        elif roll < 0.4:
            text = unicodedata.normalize("NFD", text)  # some phones send decomposed text
        if rng.random() < 0.2:
            text = text.lower()
        concerns.append(Concern(concern_id, text, key))
    return concerns


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _latency(label: str, run: Callable[[str], object], queries: list[str]) -> None:
    run(queries[0])  # warm up rapidfuzz's and the interpreter's first-call setup
    wall, cpu = [], []
    for query in queries:
        start, start_cpu = time.perf_counter(), time.thread_time()
        run(query)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    print(
        f"{label:<42} p50 {_percentile(wall, 50):5.1f} ms  p95 {_percentile(wall, 95):5.1f} ms"
        f"  p99 {_percentile(wall, 99):5.1f} ms  max {max(wall):5.1f} ms  (CPU p99 {_percentile(cpu, 99):5.1f} ms)"
    )


def _pair_agreement(groups: list[list[int]], truth: dict[int, str]) -> tuple[float, float]:
    """Pairwise precision and recall of the clusters against the generator's situations."""
    same_cluster = sum(len(g) * (len(g) - 1) // 2 for g in groups)
    both = 0
    for group in groups:
        counts = Counter(truth[i] for i in group)
        both += sum(c * (c - 1) // 2 for c in counts.values())
    sizes = Counter(truth.values())
    same_truth = sum(c * (c - 1) // 2 for c in sizes.values())
    return (both / same_cluster if same_cluster else 1.0, both / same_truth if same_truth else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    concerns = generate(args.count + args.queries, args.seed)
    pool, fresh = concerns[: args.count], concerns[args.count :]
    start = time.perf_counter()
    candidates = [(c.id, fold(c.text)) for c in pool]
    fold_ms = (time.perf_counter() - start) * 1000
    truth = {c.id: c.situation for c in pool}
    print(f"{len(pool)} concerns, {len(set(truth.values()))} situations; folding them took {fold_ms:.0f} ms")
    print(f"thresholds: lookup {FIND_THRESHOLD:g}, cluster {CLUSTER_THRESHOLD:g}")
    print(f"example: {pool[0].text!r}\n         {pool[1].text!r}")

    queries = [c.text for c in fresh]
    _latency(f"find_similar vs {len(pool)}", lambda q: find_similar(q, candidates), queries)
    start = time.perf_counter()
    index = SimilarityIndex(candidates)
    print(f"SimilarityIndex of {len(pool)} built in {(time.perf_counter() - start) * 1000:.0f} ms")
    _latency(f"SimilarityIndex.find vs {len(pool)}", lambda q: index.find(q), queries)

    hits = [find_similar(c.text, candidates) for c in fresh]
    right = sum(1 for c, found in zip(fresh, hits, strict=True) for m in found if truth[m.concern_id] == c.situation)
    shown = sum(len(found) for found in hits)
    print(
        f"lookup suggestions: {shown} shown for {len(fresh)} queries, "
        f"{right / shown if shown else 1:.1%} of them the query's own situation"
    )

    # An area's open concerns, the pool the intake really looks in: a few hundred at most.
    small = candidates[:300]
    _latency(f"find_similar vs {len(small)}", lambda q: find_similar(q, small), queries)

    timings = []
    for _ in range(3):
        start = time.perf_counter()
        groups = cluster(candidates)
        timings.append(time.perf_counter() - start)
    precision, recall = _pair_agreement(groups, truth)
    sizes = [len(g) for g in groups]
    print(
        f"cluster() of {len(pool)} (threshold {CLUSTER_THRESHOLD:g}): best {min(timings):.2f} s, "
        f"median {statistics.median(timings):.2f} s; {len(groups)} clusters, largest {max(sizes)}, "
        f"singletons {sizes.count(1)}; pairwise precision {precision:.1%}, recall {recall:.1%}"
    )
    by_topic: dict[str, list[tuple[int, str]]] = {}
    for concern, item in zip(pool, candidates, strict=True):
        by_topic.setdefault(TOPIC_OF[concern.situation.split("@")[0]], []).append(item)
    start = time.perf_counter()
    groups = [group for items in by_topic.values() for group in cluster(items)]
    elapsed = time.perf_counter() - start
    precision, recall = _pair_agreement(groups, truth)
    print(
        f"cluster() per topic ({len(by_topic)} topics, as bot/agenda.py does): {elapsed:.2f} s; "
        f"{len(groups)} clusters; pairwise precision {precision:.1%}, recall {recall:.1%}"
    )


if __name__ == "__main__":
    main()
