"""Synthetic concerns of one ward, for the similarity bench (bench/similarity.py): a meeting
of 20,000 concerns to time the lookup against.

Each concern is generated from one "situation" (a problem at a place) with one of a few
templates, an optional polite opening and closing, and, for some, no accents, decomposed
(NFD) text or lower case.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

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
