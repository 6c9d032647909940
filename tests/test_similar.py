"""Finding concerns a person would call the same (bot/domain/similar*.py, clustering.py).

Three parts: how a text is read (accents, NFD, case, short forms, synonyms, filler, places),
which pairs match and which near-misses do not (thresholds are judged on behaviour, never
on timing), and that the fast paths of the lookup and the grouping lose nothing against
scoring every pair. The figures on whole labelled files are bench/similarity.py's.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.clustering import CORE_SHARE, CORE_SIZE, cluster, similar_pairs
from bot.domain.lexicon import (
    lexicon_for,
    load_lexicon,
    parse_lexicon,
    shipped_lexicon_text,
)
from bot.domain.similar import (
    CLUSTER_THRESHOLD,
    FIND_THRESHOLD,
    Candidate,
    Match,
    score,
    weights_of,
)
from bot.domain.similar_lookup import find_similar
from bot.domain.similar_text import parse

ROOT = Path(__file__).resolve().parent.parent

# (id, what it is about, text). Same label = what staff would merge.
WARD: list[tuple[int, str, str]] = [
    (1, "lamp48", "Đèn hẻm 48 Tân Hóa bị hư"),
    (2, "lamp48", "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng"),
    (3, "lamp48", "Đề nghị sửa đèn đường trong hẻm 48 Tân Hóa, buổi tối rất tối"),
    (4, "lamp48", "hem 48 tan hoa den bi hu lau roi chua ai sua"),
    (5, "jam", "Kẹt xe giờ cao điểm ở ngã tư Phú Thọ – Hàn Hải Nguyên"),
    (6, "jam", "Ngã tư Hàn Hải Nguyên Phú Thọ thường xuyên ùn tắc vào giờ cao điểm"),
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
    (24, "school_gate", "Cổng trường tiểu học Phú Thọ kẹt xe giờ tan học"),
    (25, "landtax", "Thuế sử dụng đất phi nông nghiệp năm nay tăng cao, đề nghị giải thích cách tính"),
    (26, "landtax", "Sao thuế đất phi nông nghiệp năm nay tăng gấp đôi vậy, xin giải thích cách tính"),
    (27, "dogs48", "Chó thả rông không rọ mõm ở hẻm 48 Tân Hóa"),
    (28, "lamp_oik", "Đèn đường Ông Ích Khiêm bị hư"),
    (29, "lamp84", "Đèn hẻm 84 Tân Hóa bị hư"),
    (30, "filler1", "Đề nghị phường quan tâm khu phố 2"),
    (31, "filler2", "Kính gửi UBND phường, xin phản ánh tình trạng ở tổ dân phố 3"),
]
LABEL = {concern_id: label for concern_id, label, _ in WARD}
POOL = [Candidate(concern_id, text) for concern_id, _, text in WARD]

LAMP = "Đèn hẻm 48 Tân Hóa bị hư"
# The issue's pair: the same broken light, in other words and without accents.
FORMAL = (
    "Đề nghị lắp đặt đèn chiếu sáng công cộng tại hẻm 48 Tân Hóa, buổi tối rất tối, "
    "người dân đi lại không an toàn"
)
NEIGHBOUR = "den hem 48 tan hoa bi hu, toi qua"


def pair(a: str, b: str, pool: list[str] = ()) -> float:  # type: ignore[assignment]
    """The score of a and b among `pool` (plus themselves): word rarity is the pool's."""
    texts = [parse(t) for t in [a, b, *pool]]
    return score(texts[0], texts[1], weights_of(texts))


def ids(matches: list[Match]) -> list[int]:
    return [m.concern_id for m in matches]


# --- reading a text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "den hem 48 tan hoa bi hu",
        unicodedata.normalize("NFD", LAMP),
        LAMP.upper(),
        "hư đèn, Tân Hóa hẻm 48",
        "Đèn  hẻm\u200b 48 Tân Hoá bị hư",  # old-style tone placement, a zero-width space
        "Kính đề nghị UBND phường: đèn ngõ 48 Tân Hóa bị hỏng ạ",
    ],
)
def test_accents_nfd_case_word_order_and_formulas_do_not_matter(typed: str) -> None:
    mine, theirs = parse(typed), parse(LAMP)
    assert mine.words == theirs.words == {"den", "hu"}
    assert mine.numbers == theirs.numbers == {"hem 48"}
    assert {" ".join(r) for r in mine.places} == {"tan hoa"}


def test_polite_formulas_and_filler_say_nothing() -> None:
    for filler in ["Kính đề nghị", "Xin phản ánh:", "Cho hỏi", "Kính gửi đ/c Chủ tịch UBND phường", "Đề nghị phường xem xét giải quyết giúp bà con ạ"]:
        assert parse(filler).words == frozenset(), filler


def test_short_forms_and_teen_code_are_spelled_out() -> None:
    assert parse("KP3").areas == parse("khu phố 3").areas == parse("Khu Phố 3").areas == {"kp 3"}
    assert parse("TDP 5").areas == parse("tổ dân phố 5").areas == parse("tổ 5").areas == {"tdp 5"}
    # The ward and district named in passing ("P. Phú Thọ, Q.11") are no place of the concern.
    passing = parse("Đèn hẻm 48 Tân Hóa, P. Phú Thọ, Q.11 bị hư")
    assert (passing.words, passing.places, passing.numbers) == (parse(LAMP).words, parse(LAMP).places, {"hem 48"})
    assert passing.areas == {"q 11"} and not parse("Phường Phú Thọ thiếu sân chơi").places
    assert parse("thẻ BHYT").words == parse("thẻ bảo hiểm y tế").words == {"bao hiem y te"}
    assert parse("hok ai sửa, ko dc").words == parse("không ai sửa, không được").words == {"sua"}
    assert parse("rác wá trời").words == parse("rác quá trời").words == {"rac"}
    # A letter typed twice is typed once; "ở tổ 5" is a residential group, not "ô tô".
    assert parse("lối đii").words == parse("lối đi").words
    assert parse("Hộ nghèo ở tổ 5").areas == {"tdp 5"} and "o to" not in parse("Hộ nghèo ở tổ 5").words


@pytest.mark.parametrize(
    "one, other",
    [
        ("đèn hư", "đèn hỏng"),
        ("đèn đường hư", "đèn chiếu sáng hư"),
        ("bóng đèn không sáng", "đèn bị hư"),
        ("kẹt xe", "ùn tắc"),
        ("ngập", "ngập úng"),
        ("rác", "rác thải"),
        ("lề đường bị lấn chiếm", "vỉa hè bị chiếm"),
        ("xe hơi đậu", "ô tô đậu"),
    ],
)
def test_synonyms_residents_use_are_one_word(one: str, other: str) -> None:
    assert parse(one).words == parse(other).words


def test_alley_words_are_one_kind_of_place() -> None:
    for alley in ["hẻm 48", "ngõ 48", "kiệt 48", "ngách 48", "hem 48"]:
        assert parse(f"Đèn {alley} Tân Hóa hư").numbers == {"hem 48"}, alley
    assert parse("nhà số 30 hẻm 48").numbers == {"so 30", "hem 48"}
    # Durations and phone numbers are not numbers of anything.
    assert parse("Đèn hẻm 48 hư 2 tuần nay, gọi 0903 123 456").numbers == {"hem 48"}


def test_place_names_are_found_with_or_without_capitals() -> None:
    def names(text: str) -> set[str]:
        return {" ".join(run) for run in parse(text).places}

    assert names("Ngập nước đường Hàn Hải Nguyên khúc ngã tư Ông Ích Khiêm") == {"han hai nguyen", "ong ich khiem"}
    # A name may hold a syllable the lexicon reads as filler elsewhere ("Thăng", "Minh").
    assert names("Đường Lãnh Binh Thăng ngập sâu") == {"lanh binh thang"}
    assert names("Kẹt xe trước trường tiểu học Minh Phụng") == {"minh phung"}
    assert names("duong han hai nguyen ngap nang") == {"han hai nguyen"}
    # Capitals without a word introducing the place, and initials.
    assert names("Hàn Hãi Nguyên ngập úng") == {"han hai nguyen"}
    assert names("hẻm 102 HHN rác") == {"hhn"}
    # "đường ống" is a pipe, not a street.
    assert names("Đề nghị kiểm tra đường ống, nước yếu cả tháng nay") == set()


def test_a_ward_extends_the_synonyms_with_its_own_file(tmp_path: Path, settings: Settings) -> None:
    own = tmp_path / "phu-tho.toml"
    own.write_text('[synonyms]\n"điểm nóng" = ["tụ điểm", "ổ tệ nạn"]\n[stop]\nphrases = ["bà con tổ em"]\n', "utf-8")
    lexicon = load_lexicon(own)
    assert parse("tụ điểm thanh niên", lexicon).words == parse("điểm nóng thanh niên", lexicon).words
    assert parse("bà con tổ em", lexicon).words == frozenset()
    # The shipped words stay.
    assert parse("ùn tắc", lexicon).words == {"ket xe"}
    configured = settings.model_copy(update={"similarity": settings.similarity.model_copy(update={"synonyms": str(own)})})
    assert lexicon_for(configured) is lexicon
    assert lexicon_for(settings) is load_lexicon()


def test_a_file_saying_two_things_of_one_spelling_is_refused() -> None:
    with pytest.raises(ValueError, match="'hong'"):
        parse_lexicon(['[synonyms]\n"hư" = ["hỏng"]\n"hoa" = ["hồng"]\n'])
    parse_lexicon([shipped_lexicon_text()])  # the shipped file says one thing of each


# --- what matches, what does not -----------------------------------------------------------


def test_the_issue_pair_matches() -> None:
    assert pair(FORMAL, NEIGHBOUR) >= FIND_THRESHOLD
    assert ids(find_similar(NEIGHBOUR, [Candidate(7, FORMAL)])) == [7]


@pytest.mark.parametrize(
    "one, other",
    [
        # The same alley, another problem.
        ("Đèn hẻm 48 Tân Hóa bị hư, tối quá", "Hẻm 48 Tân Hóa cứ mưa là ngập, đề nghị nạo vét cống"),
        ("Đèn chiếu sáng hẻm 48 Tân Hóa hư hỏng", "Nắp cống trước nhà số 30 hẻm 48 Tân Hóa bị bể, xe máy sụp bánh"),
        # The same problem, another alley: "hẻm 12" is not "hẻm 21".
        ("Ô tô đậu hai bên hẻm 21 Lạc Long Quân, xe cứu hỏa không vào được", "Ô tô đậu hai bên hẻm 12 Lạc Long Quân, xe cứu hỏa không vào được"),
        ("Đèn hẻm 48 Tân Hóa bị hư", "Đèn hẻm 84 Tân Hóa bị hư"),
        # The same problem, another street or school.
        ("Đường Hàn Hải Nguyên mưa lớn là ngập sâu", "Đường Lãnh Binh Thăng mưa lớn là ngập sâu"),
        ("Kẹt xe trước trường tiểu học Phú Thọ giờ tan học", "Kẹt xe trước trường tiểu học Minh Phụng giờ tan học"),
        # An alley is not the whole street.
        ("Đèn hẻm 48 Tân Hóa bị hư", "Đèn đường Tân Hóa bị hư"),
        # Two khu phố named.
        ("Sửa đèn đường khu phố 2", "Sửa đèn đường khu phố 3"),
    ],
)
def test_near_misses_do_not_match(one: str, other: str) -> None:
    assert pair(one, other) < FIND_THRESHOLD


@pytest.mark.parametrize(
    "one, other",
    [
        (LAMP, "Bóng đèn hẻm 48 TH cháy rồi, tối thui, sợ trộm lắm"),  # "TH": Tân Hóa's initials
        ("hẻm 102 HHN rác wá trời, ai đi ngang cũng phải bịt mũi", "Đầu hẻm 102 Hàn Hải Nguyên người dân xả rác bừa bãi, bốc mùi hôi thối"),
        ("Mất điện thường xuyen ở đường Minh Phụg", "Khu vực đường Minh Phụng cúp điện liên tục mà không thông báo trước"),
        ("Hẻm 48 Tân Hóa đèn ko sáng mấy bữa nay rồi", "Cho hỏi bao giờ sửa đèn ngõ 48 Tân Hóa? Tôi báo tổ trưởng rồi"),
        ("tro cap nguoi cao tuoi cham chi tra", "Người cao tuổi chưa được nhận tiền trợ cấp, chờ lâu quá"),
    ],
)
def test_rewordings_of_one_problem_at_one_place_match(one: str, other: str) -> None:
    assert pair(one, other) >= FIND_THRESHOLD


def test_each_ward_concern_is_offered_only_concerns_about_the_same_thing() -> None:
    for concern_id, label, text in WARD:
        others = [c for c in POOL if c.concern_id != concern_id]
        found = find_similar(text, others)
        assert all(LABEL[m.concern_id] == label for m in found), (text, found)
        if sum(1 for l in LABEL.values() if l == label) > 1:
            assert found, text


def test_a_shared_location_counts_for_a_lot() -> None:
    here = (10.76260, 106.65180)
    near = (10.76290, 106.65190)  # about 35 m away
    far = (10.77500, 106.66500)  # about 2 km
    mine = Candidate(0, "Cây xanh trước nhà sắp đổ", "kp1-t1", *here)
    said = "Đề nghị cắt tỉa cây xanh, mùa mưa rất nguy hiểm"
    close, away = Candidate(1, said, "kp1-t2", *near), Candidate(2, said, "kp1-t2", *far)
    assert ids(find_similar(mine, [close, away])) == [1]


def test_the_own_area_first_then_the_nearer() -> None:
    areas = {"a": 0, "b": 1, "c": 2}
    candidates = [Candidate(i, LAMP, area) for i, area in [(1, "c"), (2, "b"), (3, "a")]]
    found = find_similar(Candidate(0, LAMP, "a"), candidates, nearness=lambda mine, theirs: areas[theirs])
    assert [(m.concern_id, m.nearness) for m in found] == [(3, 0), (2, 1), (1, 2)]
    assert len(find_similar(LAMP, candidates * 2, limit=2)) == 2


def test_a_concern_is_not_its_own_duplicate() -> None:
    assert set(ids(find_similar(Candidate(1, LAMP), POOL))) == {2, 3, 4}


def test_nothing_to_compare() -> None:
    assert find_similar(LAMP, []) == []
    assert find_similar("", POOL) == []
    assert find_similar("Đề nghị phường xem xét giải quyết!!!", POOL) == []
    assert find_similar(LAMP, [Candidate(1, ""), Candidate(2, "Đề nghị phường")]) == []


@pytest.mark.parametrize("threshold", [0, -1, 100.5, float("nan")])
def test_threshold_out_of_range(threshold: float) -> None:
    with pytest.raises(ValueError):
        find_similar(LAMP, POOL, threshold=threshold)
    with pytest.raises(ValueError):
        cluster(POOL, threshold=threshold)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        find_similar(LAMP, POOL, limit=0)


# --- groups for the agenda -----------------------------------------------------------------


def test_ward_groups() -> None:
    groups = cluster(POOL)
    by_label = {frozenset(LABEL[i] for i in g) for g in groups}
    assert all(len(labels) == 1 for labels in by_label)  # no group mixes two problems
    assert [1, 2, 3, 4] in groups and [5, 6, 7] in groups and [8, 9, 10] in groups


def test_groups_partition_sorted_and_deterministic() -> None:
    groups = cluster(POOL)
    flat = sorted(i for g in groups for i in g)
    assert flat == sorted(c.concern_id for c in POOL)
    assert groups == sorted(groups, key=lambda g: (-len(g), g[0]))
    assert all(g == sorted(g) for g in groups)
    shuffled = POOL[:]
    random.Random(3).shuffle(shuffled)
    assert cluster(shuffled) == groups


def test_group_edge_cases() -> None:
    assert cluster([]) == []
    assert cluster([Candidate(5, LAMP)]) == [[5]]
    assert cluster([Candidate(1, ""), Candidate(2, "Đề nghị phường"), Candidate(3, LAMP), Candidate(4, LAMP)]) == [[3, 4], [1], [2]]
    with pytest.raises(ValueError):
        cluster([Candidate(1, LAMP), Candidate(1, LAMP)])


def test_a_concern_about_two_problems_does_not_merge_them() -> None:
    items = [
        Candidate(1, LAMP),
        Candidate(2, "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng"),
        Candidate(3, "Rác thải hẻm 48 Tân Hóa không được thu gom"),
        Candidate(4, "Rác thải hẻm 48 Tân Hóa bốc mùi, không được thu gom"),
        Candidate(5, "Hẻm 48 Tân Hóa đèn bị hư, rác thải không được thu gom"),
    ]
    groups = cluster(items)
    assert not any({1, 3} <= set(g) or {2, 4} <= set(g) for g in groups)


def test_similar_pairs_are_what_the_groups_are_built_from() -> None:
    pairs = similar_pairs(POOL)
    assert pairs == sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))
    assert all(a < b and s >= CLUSTER_THRESHOLD and LABEL[a] == LABEL[b] for a, b, s in pairs)
    assert (1, 2) in {(a, b) for a, b, _ in pairs}


# --- the fast paths lose nothing -------------------------------------------------------------
# find_similar looks only at the candidates that can reach the threshold (alleys, prefixes,
# places, then places only for those that can still make the best few); cluster() compares
# only texts in one block. These compare them with scoring every pair.


def _generated(count: int, seed: int) -> list[Candidate]:
    """Concerns recombined from the ward's: problems moved to other places and numbers."""
    rng = random.Random(seed)
    problems = [
        "đèn bị hư", "đèn chiếu sáng không sáng", "rác thải không được thu gom", "ngập nước khi mưa", "nhiều ổ gà",
        "kẹt xe giờ cao điểm", "trộm xe máy", "lấn chiếm vỉa hè", "chó thả rông", "xe ô tô đậu lấn chiếm",
    ]
    places = [
        "hẻm {n} Tân Hóa", "hẻm {n} Phú Thọ", "đường Ông Ích Khiêm", "chợ Thiếc", "ngã tư Phú Thọ Hàn Hải Nguyên",
        "trước nhà số {n} Lò Siêu", "hẻm {n}/{m} Minh Phụng", "khu phố {m}", "HHN", "ong ich khiem",
    ]
    fillers = ["", "Đề nghị phường xem xét: ", "Kính gửi UBND phường, ", "Bà con tổ {m} phản ánh "]
    items = []
    for concern_id in range(1, count + 1):
        place = rng.choice(places).format(n=rng.choice([12, 48, 84, 112]), m=rng.randint(1, 3))
        parts = [rng.choice(problems), place]
        rng.shuffle(parts)
        text = rng.choice(fillers).format(m=rng.randint(1, 3)) + " ".join(parts) + rng.choice(["", " 2 tuần nay"])
        items.append(Candidate(1000 + concern_id, text))
    return items


def _every_score(query: Candidate, pool: list[Candidate]) -> list[Match]:
    texts = [parse(c.text) for c in pool]
    weight = weights_of(texts)
    mine = parse(query.text)
    found = [Match(c.concern_id, round(s, 6)) for c, t in zip(pool, texts) if (s := score(mine, t, weight)) > 0]
    return sorted(found, key=lambda m: (-round(m.score), m.concern_id))


def _rounded(matches: list[Match]) -> list[Match]:
    # The lookup adds the same weights in another order: equal but for the last digit.
    return [Match(m.concern_id, round(m.score, 6), m.nearness) for m in matches]


@pytest.mark.parametrize("threshold", [35.0, FIND_THRESHOLD, 75.0])
def test_find_similar_equals_scoring_everything(threshold: float) -> None:
    pool = _generated(300, seed=1) + POOL
    for query in [*POOL, *_generated(12, seed=2)]:
        everything = [m for m in _every_score(query, pool) if m.score >= threshold and m.concern_id != query.concern_id]
        assert _rounded(find_similar(query, pool, limit=len(pool), threshold=threshold)) == everything, query.text
        # With a limit, the best few are found without scoring the places of the rest.
        top = find_similar(query, pool, limit=3, threshold=threshold)
        assert [round(m.score) for m in top] == [round(m.score) for m in everything[:3]], query.text


def _reference_cluster(items: list[Candidate], threshold: float) -> list[list[int]]:
    texts = [parse(c.text) for c in items]
    weight = weights_of(texts)
    nodes = range(len(items))
    near = {a: {b: s for b in nodes if b != a and (s := score(texts[a], texts[b], weight)) >= threshold} for a in nodes}

    def at(a: int, b: int) -> float:
        return score(texts[a], texts[b], weight)

    taken: set[int] = set()
    groups = []
    order = sorted(nodes, key=lambda n: (-len(near[n]) if texts[n].words else 1, items[n].concern_id))
    for centre in order:
        if centre in taken:
            continue
        taken.add(centre)
        group = [centre]
        for other in sorted((b for b in near[centre] if b not in taken), key=lambda b: (-near[centre][b], items[b].concern_id)):
            core = group[:CORE_SIZE]
            scores = [at(other, m) for m in core]
            alike = sum(1 for s in scores if s >= threshold)
            if sum(scores) >= threshold * CORE_SHARE * len(core) and 2 * alike >= len(core):
                group.append(other)
                taken.add(other)
        groups.append(sorted(items[n].concern_id for n in group))
    return sorted(groups, key=lambda g: (-len(g), g[0]))


@pytest.mark.parametrize("threshold", [40.0, CLUSTER_THRESHOLD, 75.0])
def test_cluster_equals_scoring_every_pair(threshold: float) -> None:
    items = _generated(200, seed=3) + POOL
    assert cluster(items, threshold=threshold) == _reference_cluster(items, threshold)


def test_a_pool_that_grew_finds_what_a_fresh_one_finds() -> None:
    pool = _generated(120, seed=5) + POOL
    find_similar(LAMP, pool)  # the pool as first seen
    grown = [*pool, Candidate(9001, "den hem 48 tan hoa hu roi"), Candidate(9002, "Rác thải hẻm 48 Tân Hóa")]
    assert 9001 in ids(find_similar(LAMP, grown, limit=10))
    assert ids(find_similar("Rác hẻm 48 Tân Hóa không ai thu gom", grown, limit=10))[0] in {14, 9002}


def test_the_old_form_of_candidates_still_works() -> None:
    from bot.domain import similar

    assert ids(similar.find_similar(LAMP, [(1, "den hem 48 tan hoa hu roi"), (2, "rac hem 48 tan hoa")], limit=1)) == [1]
