"""Finding concerns that say the same thing (bot/similar.py).

The defaults (60 for the intake lookup and for clustering) are pinned by WARD below:
concerns of one ward written the way residents write them. Among its pairs that should not
match, the highest score is 55 (theft and fire safety in the same alley) and 54 (flooding
and a broken lamp on the same street); every expected group holds together through links
of 62 or more to its centre. Scores move with the pool they are computed in (word weights
are IDF over the concerns compared), so the cases below are checked in the pools they occur
in: a pair alone, one alley's concerns, the whole ward.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import similar
from bot.domain.similar import (
    CLUSTER_THRESHOLD,
    FIND_THRESHOLD,
    Match,
    SimilarityIndex,
    find_similar,
    keywords,
    stop_words,
)
from bot.domain.clustering import cluster
from bot.domain.textnorm import fold

# (id, what it is about, text). Same label = should be grouped; the label says what a
# resident would call the problem and its place.
WARD: list[tuple[int, str, str]] = [
    (1, "lamp48", "Đèn hẻm 48 Tân Hóa bị hư"),
    (2, "lamp48", "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng"),
    (3, "lamp48", "Đề nghị sửa đèn đường trong hẻm 48 Tân Hóa, buổi tối rất tối"),
    (4, "lamp48", "hem 48 tan hoa den bi hu lau roi chua ai sua"),
    (5, "jam", "Kẹt xe giờ cao điểm ở ngã tư Phú Thọ – Hàn Hải Nguyên"),
    (6, "jam", "Ngã tư Hàn Hải Nguyên Phú Thọ thường xuyên kẹt xe vào giờ cao điểm"),
    (7, "jam", "Đề nghị bố trí cảnh sát giao thông điều tiết ngã tư Phú Thọ Hàn Hải Nguyên giờ cao điểm vì kẹt xe"),
    (8, "flood", "Đường Ông Ích Khiêm ngập nước mỗi khi mưa lớn"),
    (9, "flood", "Mưa lớn là đường Ông Ích Khiêm ngập sâu, xe chết máy"),
    (10, "flood", "ngap nuoc duong ong ich khiem khi mua"),
    (11, "garbage_market", "Rác thải tập kết ở chợ Thiếc bốc mùi hôi"),
    (12, "garbage_market", "Điểm tập kết rác chợ Thiếc hôi thối, ruồi nhặng nhiều"),
    (13, "garbage_market", "Đề nghị thu gom rác ở chợ Thiếc mỗi ngày, rác để qua đêm bốc mùi hôi"),
    (14, "garbage48", "Rác thải hẻm 48 Tân Hóa không được thu gom"),
    (15, "alley112", "Mặt đường hẻm 112 Phú Thọ xuống cấp, nhiều ổ gà"),
    (16, "alley112", "Hẻm 112 Phú Thọ nhiều ổ gà, đề nghị sửa chữa mặt đường"),
    (17, "alley114", "Hẻm 114 Phú Thọ xuống cấp, nhiều ổ gà"),
    (18, "sidewalk", "Lấn chiếm vỉa hè buôn bán trên đường Hàn Hải Nguyên"),
    (19, "sidewalk", "Vỉa hè đường Hàn Hải Nguyên bị lấn chiếm để buôn bán, người đi bộ phải xuống lòng đường"),
    (20, "theft48", "Trộm cắp xe máy xảy ra nhiều ở hẻm 48 Tân Hóa"),
    (21, "theft_market", "Tình trạng trộm xe máy ở khu vực chợ Thiếc"),
    (22, "racing", "Thanh niên tụ tập đua xe trên đường Lãnh Binh Thăng ban đêm"),
    (23, "fire48", "Hẻm 48 Tân Hóa quá nhỏ, xe chữa cháy không vào được"),
    (24, "fire_market", "Nhiều ki ốt ở chợ Thiếc không có bình chữa cháy"),
    (25, "school_rooms", "Trường tiểu học Phú Thọ thiếu phòng học cho học sinh lớp 1"),
    (26, "school_gate", "Cổng trường tiểu học Phú Thọ kẹt xe giờ tan học"),
    (27, "landtax", "Thuế sử dụng đất phi nông nghiệp năm nay tăng cao, đề nghị giải thích cách tính"),
    (28, "landtax", "Xin hướng dẫn cách tính thuế sử dụng đất phi nông nghiệp, sao năm nay tăng nhiều vậy"),
    (29, "certificate", "Thủ tục cấp giấy chứng nhận quyền sử dụng đất quá chậm"),
    (30, "poor", "Xin hỗ trợ cho hộ nghèo ở tổ dân phố 5"),
    (31, "dogs48", "Chó thả rông không rọ mõm ở hẻm 48 Tân Hóa"),
    (32, "lamp_oik", "Đèn đường Ông Ích Khiêm bị hư"),
    (33, "lamp84", "Đèn hẻm 84 Tân Hóa bị hư"),
    (34, "filler1", "Đề nghị phường quan tâm khu phố 2"),
    (35, "filler2", "Đề nghị phường kiểm tra tổ dân phố 3"),
]
LABEL = {concern_id: label for concern_id, label, _ in WARD}
WARD_FOLDED = [(concern_id, fold(text)) for concern_id, _, text in WARD]
ALLEY_48 = [(i, t) for i, t in WARD_FOLDED if i in {1, 2, 3, 4, 14, 20, 23, 31, 33}]

LAMP = "Đèn hẻm 48 Tân Hóa bị hư"
LAMP_LONG = "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng"


def scores(query: str, pool: list[tuple[int, str]]) -> dict[int, float]:
    """Every candidate's score, however low: what the threshold is judged against."""
    return {m.concern_id: m.score for m in find_similar(query, pool, limit=len(pool), threshold=0.01)}


def ids(matches: list[Match]) -> list[int]:
    return [m.concern_id for m in matches]


# --- words ----------------------------------------------------------------------------


def test_stop_words_are_folded_filler() -> None:
    words = stop_words()
    for filler in ["de nghi", "bi", "cua", "o", "phuong", "khu pho", "to", "to dan pho", "xin", "va"]:
        assert filler in words
    assert all(fold(w) == w for w in words)
    # Folding merges these with words that matter: đèn, chợ/chó, tối.
    assert not {"den", "cho", "toi"} & words


def test_keywords_drop_filler_and_keep_what_folds_onto_it() -> None:
    assert keywords(fold("Đề nghị phường sửa đèn ở chợ Thiếc")) == ("sua", "den", "cho", "thiec")
    # "ổ gà", "ô tô" start with the folded "ở": kept as one word, "ô tô" equal to "oto".
    assert keywords(fold("Hẻm 112 nhiều ổ gà")) == ("hem", "112", "oga")
    assert keywords(fold("Xe ô tô đậu")) == keywords(fold("xe oto đậu")) == ("xe", "oto", "dau")
    # ... but "ở tổ 5" is a place, not a car.
    assert keywords(fold("Hộ nghèo ở tổ 5")) == ("ho", "ngheo", "tdp5")


def test_keywords_code_areas_and_drop_durations() -> None:
    for text in ["khu phố 3", "Khu Phố 3", "KP3", "kp 3"]:
        assert keywords(fold(text)) == ("kp3",)
    assert keywords(fold("tổ dân phố 12")) == keywords(fold("tổ 12")) == ("tdp12",)
    assert keywords(fold("Đèn hư 2 tuần nay")) == keywords(fold("Đèn hư hơn một tháng")) == ("den", "hu")
    assert keywords(fold("Đã phản ánh 3 lần")) == ("lan",)
    # A number after a word that introduces a place is that place, whatever follows.
    assert "48" in keywords(fold("Hẻm 48 tháng nào cũng ngập"))
    assert keywords(fold("Mất xe máy 2 tuần nay")) == ("mat", "xe", "may")


# --- the intake lookup ----------------------------------------------------------------


@pytest.mark.parametrize(
    "pool", [WARD_FOLDED, ALLEY_48, [(1, fold(LAMP)), (2, fold(LAMP_LONG))]], ids=["ward", "alley", "pair"]
)
def test_accentless_query_finds_the_lamp_concerns(pool: list[tuple[int, str]]) -> None:
    found = find_similar("den hem 48 tan hoa bi hu", pool)
    assert found[0] == Match(1, 100.0)
    assert 2 in ids(found)


@pytest.mark.parametrize(
    "query",
    [
        unicodedata.normalize("NFD", LAMP),
        LAMP.upper(),
        "HẺM 48 TÂN HÓA: ĐÈN BỊ HƯ!!!",
        "hư đèn, Tân Hóa hẻm 48",
        "den hem 48 tan hoa bi hu",
        "Đèn  hẻm\u200b 48 Tân Hoá bị hư",  # old-style tone placement, zero-width space
    ],
)
def test_form_case_and_word_order_do_not_matter(query: str) -> None:
    assert find_similar(query, WARD_FOLDED, limit=5) == find_similar(LAMP, WARD_FOLDED, limit=5)


def test_candidates_folded_from_decomposed_text_match_too() -> None:
    pool = [(concern_id, fold(unicodedata.normalize("NFD", text))) for concern_id, _, text in WARD]
    assert pool == WARD_FOLDED


def test_same_street_other_problem_scores_clearly_lower() -> None:
    # Each pair alone in its pool, so no other concern tells the alley is common: two lamp
    # concerns, against a lamp and a garbage concern of the same alley.
    lamps = scores(LAMP, [(2, fold(LAMP_LONG))])[2]
    lamp_and_garbage = scores("Đèn hẻm 48 Tân Hóa", [(14, fold("Rác thải hẻm 48 Tân Hóa"))])[14]
    assert lamps >= FIND_THRESHOLD > lamp_and_garbage
    assert lamps - lamp_and_garbage >= 15
    # Among the alley's concerns the alley weighs little, so the gap widens.
    alley = scores("den hem 48 tan hoa bi hu", ALLEY_48)
    assert min(alley[1], alley[2], alley[4]) >= FIND_THRESHOLD
    assert max(alley[14], alley[20], alley[23], alley[31]) < 40
    ward = scores("Rác thải hẻm 48 Tân Hóa", WARD_FOLDED)
    assert ward[14] >= FIND_THRESHOLD > ward[1]


def test_each_ward_concern_is_offered_only_concerns_about_the_same_thing() -> None:
    offered: dict[int, list[int]] = {}
    for concern_id, label, text in WARD:
        others = [(i, t) for i, t in WARD_FOLDED if i != concern_id]
        found = find_similar(text, others)
        assert all(LABEL[m.concern_id] == label for m in found), (text, found)
        offered[concern_id] = ids(found)
    assert offered[1] == [4, 2]
    assert offered[5] == [6, 7]
    assert offered[10] == [8]
    assert offered[27] == [28]
    # Same alley or street, another problem; another alley, same problem: nothing offered.
    for lone in [14, 17, 20, 23, 31, 32, 33]:
        assert offered[lone] == []


def test_shared_filler_alone_is_no_match() -> None:
    pool = [
        (1, fold("Đề nghị phường xem xét hỗ trợ cho hộ nghèo của khu phố ở tổ dân phố")),
        (2, fold("Kính gửi UBND phường, đề nghị phường quan tâm giải quyết giúp bà con khu phố")),
    ]
    assert find_similar("Đề nghị phường xem xét, giải quyết giúp bà con ở khu phố", pool) == []
    assert find_similar("Đề nghị phường sửa đèn ở tổ dân phố, khu phố", pool) == []


def test_numbers_are_identifiers() -> None:
    pool = [(48, fold(LAMP)), (84, fold("Đèn hẻm 84 Tân Hóa bị hư")), (0, fold("Đèn hẻm Tân Hóa bị hư"))]
    # Another alley, or an alley against the whole street: no match however similar.
    assert ids(find_similar(LAMP, pool, threshold=1)) == [48]
    assert ids(find_similar("Đèn hẻm Tân Hóa bị hư", pool, threshold=1)) == [0]
    # The same alley with its sub-alley, or with the resident's khu phố added, still matches.
    assert ids(find_similar("Đèn hẻm 48/12 Tân Hóa bị hư", pool)) == [48]
    assert ids(find_similar("Khu phố 1: đèn hẻm 48 Tân Hóa bị hư", pool)) == [48]
    # Durations are not numbers of anything.
    assert ids(find_similar("Đèn hẻm 48 Tân Hóa bị hư 2 tuần nay", pool)) == [48]
    # Two different khu phố named: a clash.
    areas = [(2, fold("Đề nghị sửa đèn đường khu phố 2")), (3, fold("Đề nghị sửa đèn đường khu phố 3"))]
    assert ids(find_similar("Sửa đèn đường khu phố 3", areas, threshold=1)) == [3]


def test_limit_order_and_ties() -> None:
    pool = [(7, fold(LAMP)), (3, fold(LAMP)), (5, fold(LAMP_LONG)), (9, fold("Đèn hẻm 48 Tân Hóa không sáng"))]
    found = find_similar(LAMP, pool, limit=10)
    assert ids(found)[:2] == [3, 7]  # equal scores: smaller id first
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert find_similar(LAMP, pool, limit=1) == [Match(3, 100.0)]


def test_nothing_to_compare() -> None:
    assert find_similar(LAMP, []) == []
    assert find_similar("", WARD_FOLDED) == []
    assert find_similar("Đề nghị phường xem xét giải quyết!!!", WARD_FOLDED) == []
    assert find_similar(LAMP, [(1, ""), (2, fold("Đề nghị phường"))]) == []


@pytest.mark.parametrize("threshold", [0, -1, 100.5, math.nan])
def test_threshold_out_of_range(threshold: float) -> None:
    with pytest.raises(ValueError):
        find_similar(LAMP, WARD_FOLDED, threshold=threshold)
    with pytest.raises(ValueError):
        cluster(WARD_FOLDED, threshold=threshold)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        find_similar(LAMP, WARD_FOLDED, limit=0)


# --- the index ------------------------------------------------------------------------


def test_index_add_find_remove() -> None:
    index = SimilarityIndex()
    assert index.find(LAMP) == [] and len(index) == 0
    for concern_id, _, text in WARD:
        index.add(concern_id, unicodedata.normalize("NFD", text))  # folds itself
    assert len(index) == len(WARD) and 1 in index and 99 not in index
    assert ids(index.find("den hem 48 tan hoa bi hu")) == [1, 4, 2]
    index.remove(1)
    assert 1 not in index and ids(index.find("den hem 48 tan hoa bi hu"))[0] != 1
    with pytest.raises(KeyError):
        index.remove(1)
    # Adding an indexed id again replaces its text.
    index.add(4, "Rác thải hẻm 48 Tân Hóa không ai thu gom")
    assert 4 not in ids(index.find("den hem 48 tan hoa bi hu"))
    assert ids(index.find("Rác thải hẻm 48 Tân Hóa chưa được thu gom"))[:2] == [4, 14]


def test_index_and_find_similar_agree() -> None:
    index = SimilarityIndex(WARD_FOLDED)
    for _, _, text in WARD:
        for threshold in (30.0, FIND_THRESHOLD, 90.0):
            assert index.find(text, limit=50, threshold=threshold) == find_similar(
                text, WARD_FOLDED, limit=50, threshold=threshold
            )


# --- clustering -----------------------------------------------------------------------


def test_ward_clusters() -> None:
    groups = cluster(WARD_FOLDED)
    for expected in [[1, 2, 3, 4], [5, 6, 7], [8, 9, 10], [15, 16], [18, 19], [27, 28]]:
        assert expected in groups
    for group in groups:
        assert len({LABEL[i] for i in group}) == 1, group
    # Word overlap cannot see that these three say the same thing: left apart, not merged
    # with anything else.
    assert [11] in groups and [12] in groups and [13] in groups


def test_clusters_partition_sorted() -> None:
    groups = cluster(WARD_FOLDED)
    flat = [i for group in groups for i in group]
    assert sorted(flat) == sorted(LABEL)
    assert all(group == sorted(group) for group in groups)
    assert groups == sorted(groups, key=lambda g: (-len(g), g[0]))


def test_cluster_is_deterministic() -> None:
    expected = cluster(WARD_FOLDED)
    rng = random.Random(4)
    for _ in range(5):
        shuffled = WARD_FOLDED[:]
        rng.shuffle(shuffled)
        assert cluster(shuffled) == expected


def test_cluster_edge_cases() -> None:
    assert cluster([]) == []
    assert cluster([(5, fold(LAMP))]) == [[5]]
    # Only filler, or nothing at all: alone, never a centre.
    assert cluster([(1, ""), (2, fold("Đề nghị phường")), (3, fold(LAMP)), (4, fold(LAMP))]) == [[3, 4], [1], [2]]
    with pytest.raises(ValueError):
        cluster([(1, fold(LAMP)), (1, fold(LAMP_LONG))])


def test_a_concern_about_two_problems_does_not_merge_them() -> None:
    items = [
        (1, fold(LAMP)),
        (2, fold(LAMP_LONG)),
        (3, fold("Rác thải hẻm 48 Tân Hóa không được thu gom")),
        (4, fold("Rác thải hẻm 48 Tân Hóa bốc mùi, không được thu gom")),
        (5, fold("Hẻm 48 Tân Hóa đèn bị hư, rác thải không được thu gom")),
    ]
    # 5 resembles both pairs and would gather them all as the centre with most neighbours.
    assert cluster(items) == [[3, 4, 5], [1, 2]]


# --- the fast paths lose nothing ------------------------------------------------------
# find_similar, SimilarityIndex.find and cluster() look only at candidates that can reach
# the threshold (prefix filtering, number blocks, a C-level comparison); these compare
# them with scoring every pair.


def _reference_find(query: str, pool: list[tuple[int, str]], threshold: float) -> list[Match]:
    texts = {i: similar.parse(t) for i, t in pool}
    mine = similar.parse(fold(query))
    if not mine.words:
        return []
    df = Counter(w for t in texts.values() for w in t.words) + Counter(mine.words)
    weight = {w: similar.word_weight(df[w], len(pool) + 1) for w in df}
    found = [
        Match(i, s)
        for i, t in texts.items()
        if similar.texts_agree(mine, t) and (s := similar.weighted_dice(mine.words, t.words, weight.__getitem__)) >= threshold
    ]
    return sorted(found, key=lambda m: (-m.score, m.concern_id))


def _reference_cluster(items: list[tuple[int, str]], threshold: float) -> list[list[int]]:
    parsed = [similar.parse(t) for _, t in items]
    df = Counter(w for t in parsed for w in t.words)
    weight = {w: similar.word_weight(c, len(items)) for w, c in df.items()}
    members: dict[similar.ParsedText, list[int]] = {}
    for (concern_id, _), text in zip(items, parsed, strict=True):
        members.setdefault(text, []).append(concern_id)
    nodes = list(members)

    def score(a: int, b: int) -> float:
        if not similar.texts_agree(nodes[a], nodes[b]):
            return 0.0
        return similar.weighted_dice(nodes[a].words, nodes[b].words, weight.__getitem__)

    def size(a: int) -> int:
        return len(members[nodes[a]])

    everyone = range(len(nodes))
    linked = {a: {b: score(a, b) for b in everyone if b != a and score(a, b) >= threshold} for a in everyone}
    gathers = {a: size(a) - 1 + sum(map(size, linked[a])) if nodes[a].words else -1 for a in linked}
    taken: set[int] = set()
    groups: list[list[int]] = []
    for centre in sorted(linked, key=lambda a: (-gathers[a], min(members[nodes[a]]))):
        if centre in taken:
            continue
        taken.add(centre)
        if not nodes[centre].words:
            groups.extend([i] for i in members[nodes[centre]])
            continue
        group = [centre]
        near = linked[centre]
        for other in sorted((b for b in near if b not in taken), key=lambda b: (-near[b], min(members[nodes[b]]))):
            core = group[: similar.CORE_SIZE]
            if sum(score(other, m) for m in core) >= threshold * similar.CORE_SHARE * len(core):
                group.append(other)
                taken.add(other)
        groups.append(sorted(i for n in group for i in members[nodes[n]]))
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _generated(count: int, seed: int) -> list[tuple[int, str]]:
    """Concerns recombined from the ward's: problems moved to other places and numbers."""
    rng = random.Random(seed)
    problems = [
        "đèn bị hư", "đèn chiếu sáng không sáng", "rác thải không được thu gom", "ngập nước khi mưa", "nhiều ổ gà",
        "kẹt xe giờ cao điểm", "trộm xe máy", "lấn chiếm vỉa hè", "chó thả rông", "xe ô tô đậu lấn chiếm",
    ]
    places = [
        "hẻm {n} Tân Hóa", "hẻm {n} Phú Thọ", "đường Ông Ích Khiêm", "chợ Thiếc", "ngã tư Phú Thọ Hàn Hải Nguyên",
        "trước nhà số {n} Lò Siêu", "hẻm {n}/{m} Minh Phụng", "khu phố {m}",
    ]
    fillers = ["", "Đề nghị phường xem xét: ", "Kính gửi UBND phường, ", "Bà con tổ {m} phản ánh "]
    items = []
    for concern_id in range(1, count + 1):
        place = rng.choice(places).format(n=rng.choice([12, 48, 84, 112]), m=rng.randint(1, 3))
        parts = [rng.choice(problems), place]
        rng.shuffle(parts)
        opening = rng.choice(fillers).format(m=rng.randint(1, 3))
        text = opening + " ".join(parts) + rng.choice(["", " 2 tuần nay", " lâu rồi"])
        items.append((1000 + concern_id, fold(text)))
    return items


@pytest.mark.parametrize("numbered_first", [False, True], ids=["scan", "numbered-first"])
@pytest.mark.parametrize("threshold", [35.0, 50.0, FIND_THRESHOLD, 75.0])
def test_find_similar_and_index_equal_scoring_everything(
    threshold: float, numbered_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large pools take another path for queries without a number: force it on a small one.
    if numbered_first:
        monkeypatch.setattr(similar, "_NUMBERED_FIRST", 0)
    pool = _generated(300, seed=1) + WARD_FOLDED
    index = SimilarityIndex(pool)
    queries = [text for _, _, text in WARD] + [text for _, text in _generated(5, seed=2)]
    for query in queries:
        expected = _reference_find(query, pool, threshold)
        assert find_similar(query, pool, limit=len(pool), threshold=threshold) == expected
        assert index.find(query, limit=len(pool), threshold=threshold) == expected


@pytest.mark.parametrize("threshold", [35.0, 50.0, CLUSTER_THRESHOLD, 75.0])
def test_cluster_equals_scoring_every_pair(threshold: float) -> None:
    items = _generated(250, seed=3) + WARD_FOLDED
    assert cluster(items, threshold=threshold) == _reference_cluster(items, threshold)


TINY_VOCABULARY = ["den", "hu", "rac", "hem", "48", "84", "tan", "hoa", "kp1", "kp2", "o ga"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(TINY_VOCABULARY), max_size=6), max_size=25),
    st.sampled_from([20.0, 40.0, 50.0, 60.0, 100.0 * 2 / 3, 80.0, 100.0]),
)
def test_cluster_equals_scoring_every_pair_on_random_texts(texts: list[list[str]], threshold: float) -> None:
    # A tiny vocabulary: many ties and pairs that sit exactly on the threshold.
    items = [(i, " ".join(words)) for i, words in enumerate(texts, start=100)]
    assert cluster(items, threshold=threshold) == _reference_cluster(items, threshold)
