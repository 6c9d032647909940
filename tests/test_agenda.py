"""The chair's agenda, from residents' words in the dialogue to the files the chair reads.

Residents file realistic concerns through the channel-neutral dialogue (several saying the
same thing in other words, some typed without accents, one +1 through the "similar
concerns" button, one merged by staff, one rejected, one withdrawn, one with a phone number
shared by contact); staff build and edit the agenda with AgendaService; the DOCX, XLSX and
CSV are opened again with python-docx, openpyxl and csv and read as staff and the chair would.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field

import openpyxl
import pytest
from docx import Document

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import AgendaSettings, Settings
from bot.documents.agenda import CONCERN_COLUMNS, CONCERN_SHEET, agenda_csv, agenda_docx, agenda_xlsx
from bot.documents.answer_sheet import AGENDA_COLUMNS, AGENDA_SHEET, ANSWER_KEYS, XLSX_MEETING_PROPERTY
from bot.documents.records import ExportError
from bot.documents.words import PHONE_PLACEHOLDER
from bot.domain.records import Meeting
from bot.services.agenda import AgendaError, AgendaLine, AgendaService
from storage.db import Database
from tests.chat import Chat
from tests.conftest import create_meeting

STAFF = "telegram:100000002"
OTHER_STAFF = "cli:can-bo-van-phong"

INFRA = "Phòng Kinh tế, Hạ tầng và Đô thị"
WELFARE = "Phòng Văn hóa – Xã hội"
POLICE = "Công an phường Phú Thọ"
WARD = "Phường Phú Thọ"
KP1_T1 = f"Tổ dân phố 1 (hẻm 48 Tân Hóa), Khu phố 1, {WARD}"
KP1_T2 = f"Tổ dân phố 2, Khu phố 1, {WARD}"
KP1_T3 = f"Tổ dân phố 3, Khu phố 1, {WARD}"
KP2_T4 = f"Tổ dân phố 4 (đường Phú Thọ), Khu phố 2, {WARD}"
KP2_T5 = f"Tổ dân phố 5 (đường Hàn Hải Nguyên), Khu phố 2, {WARD}"
KP3_T7 = f"Tổ dân phố 7 (chợ Thiếc), Khu phố 3, {WARD}"
KP3_T9 = f"Tổ dân phố 9 (đường Lãnh Binh Thăng), Khu phố 3, {WARD}"

# What residents type, in the order they send it (tracking codes follow that order).
POTHOLES = "Mặt đường hẻm 12 Lãnh Binh Thăng bong tróc, nhiều ổ gà, xe máy đi rất nguy hiểm."  # TT-0001
LIGHTS = "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay, ban đêm rất tối."  # TT-0002
LIGHTS_NO_ACCENTS = "den chieu sang hem 48 Tan Hoa hu roi, ban dem toi lam, de nghi sua gap"  # TT-0003
LIGHTS_SUPPORTER_DRAFT = "Đèn chiếu sáng hẻm 48 Tân Hóa hư, ban đêm tối quá."  # a +1 of TT-0002, not sent
LIGHTS_GROUP_2 = "Hẻm 48 Tân Hóa đoạn tổ 2 đèn chiếu sáng bị hư, ban đêm tối om."  # TT-0004
LIGHTS_DUPLICATE = "Xin sửa đèn chiếu sáng hẻm 48 Tân Hóa, hư lâu rồi, ban đêm tối."  # TT-0005, merged
TRUCKS = "Xe tải đậu vỉa hè Hàn Hải Nguyên gây kẹt xe giờ tan trường. Gọi tôi: 0903 123 456."  # TT-0006
RUBBISH = "Rác tồn đọng ở góc chợ Thiếc nhiều ngày không ai thu gom, bốc mùi hôi."  # TT-0007
RUBBISH_NO_ACCENTS = "rac ton dong o goc cho Thiec nhieu ngay khong ai thu gom, boc mui hoi thoi"  # TT-0008
FLOODING = "Đường Phú Thọ đoạn trước trường học ngập nặng mỗi khi mưa lớn, nước tràn vào nhà dân."  # TT-0009
ADVERT = "Bán đất nền giá rẻ gần chợ, ai có nhu cầu mua xin nhắn tin cho tôi."  # TT-0010, rejected
RACING = "Nhóm thanh niên tụ tập đua xe trên đường Ông Ích Khiêm lúc nửa đêm, rất ồn và nguy hiểm."  # TT-0011, withdrawn
HEALTH_CARDS = "Hộ cận nghèo ở tổ 3 chưa được nhận thẻ bảo hiểm y tế năm nay, đề nghị phường kiểm tra."  # TT-0012

# Filed after the first build.
LIGHTS_LATE = "Hẻm 48 Tân Hóa mất đèn chiếu sáng, ban đêm tối, đề nghị sửa đèn."
THEFT = "Trộm cắp xe máy xảy ra nhiều lần trong hẻm 60 Lũy Bán Bích, đề nghị tăng cường tuần tra ban đêm."

PHONE_SHARED = "0903 123 456"
PHONE_FORMS = ("0903123456", "0903 123 456", "903123456", "903 123 456", "+84903123456", "84903123456", "0903 123")
CONTACT_NAME = "Trần Văn Bình"
# What the files print instead of the number typed in TT-0006.
TRUCKS_EXPORTED = TRUCKS.replace(PHONE_SHARED, PHONE_PLACEHOLDER)
# Titles are at most 90 characters, made after the phone number is hidden: the long text's
# first sentence (never half a word, nor half of the placeholder).
TRUCKS_TITLE = TRUCKS_EXPORTED.split(". ")[0] + "."
assert len(TRUCKS_TITLE) <= 90 < len(TRUCKS_EXPORTED)

LIGHTS_AREA = dict(quarter="Khu phố 1", group="Tổ dân phố 1", topic="Hẻm, đường sá")

# After the first build, in the suggested order: (codes, residents, topic, agency, minutes).
SUGGESTED = [
    (["TT-0006"], 1, "Giao thông, trật tự đô thị, vỉa hè", INFRA, 5),
    (["TT-0002", "TT-0003", "TT-0004"], 5, "Hẻm, đường sá, đèn chiếu sáng", INFRA, 7),
    (["TT-0001"], 1, "Hẻm, đường sá, đèn chiếu sáng", INFRA, 5),
    (["TT-0009"], 1, "Thoát nước, ngập úng", INFRA, 5),
    (["TT-0007", "TT-0008"], 2, "Môi trường, rác thải, vệ sinh", INFRA, 6),
    (["TT-0012"], 1, "An sinh xã hội, chính sách", WELFARE, 5),
]


# --- the dialogue ----------------------------------------------------------------------------


async def file_concern(
    chat: Chat,
    *,
    quarter: str | None,
    group: str | None,
    topic: str,
    text: str,
    phone: str | None = None,
    support: str | None = None,
    meeting_title: str | None = None,
) -> str | None:
    """One resident's whole conversation; returns the tracking code (None after a +1).

    `quarter` None when the meeting's own area has groups directly below it; `group` None
    files for the whole quarter. `phone` is shared with the contact button (the resident
    consents first); otherwise the concern is anonymous. `support` is the code of a similar
    concern to +1 instead of sending this one. `meeting_title` picks among open meetings.
    """
    replies = await chat.text("/start")
    if any("Tôi đồng ý" in b.label for r in replies for b in r.all_buttons()):
        await chat.press("Tôi đồng ý" if phone else "Không đồng ý")
    await chat.press("Gửi ý kiến mới")
    if meeting_title is not None:
        await chat.press(meeting_title)
    if quarter is not None:
        await chat.press(quarter)
    await chat.press(group if group else "Chung cho cả")
    await chat.press(topic)
    await chat.text(text)
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua vị trí")
    if phone:
        replies = await chat.contact(phone, CONTACT_NAME)
    else:
        replies = await chat.press("Gửi ẩn danh")
    if support is not None:
        assert any("Có ý kiến tương tự" in reply.text for reply in replies), [r.text for r in replies]
        replies = await chat.press(f"Ủng hộ ý kiến {support}")
        assert f"Cảm ơn bạn đã ủng hộ ý kiến {support}" in replies[0].text
        return None
    replies = await chat.press("✅ Gửi ý kiến")
    return replies[0].text.split("Mã theo dõi: ")[1].split()[0]


@dataclass
class Ward:
    services: Services
    meeting: Meeting
    database: Database
    chats: dict[str, Chat] = field(default_factory=dict)

    @property
    def agenda(self) -> AgendaService:
        return self.services.agenda

    def chat(self, user: str) -> Chat:
        if user not in self.chats:
            self.chats[user] = Chat(self.services.intake, user)
        return self.chats[user]

    async def lines(self, included_only: bool = False) -> list[AgendaLine]:
        return await self.agenda.lines(self.meeting.id, included_only=included_only)

    async def codes(self) -> list[list[str]]:
        return [codes_of(line) for line in await self.lines()]


async def residents_speak(ward: Ward) -> None:
    """Thirteen residents of Phú Thọ ward file TT-0001 … TT-0012 (the +1 files none)."""
    kp3_t9 = dict(quarter="Khu phố 3", group="Tổ dân phố 9", topic="Hẻm, đường sá")
    kp1_t2 = dict(quarter="Khu phố 1", group="Tổ dân phố 2", topic="Hẻm, đường sá")
    kp3_t7 = dict(quarter="Khu phố 3", group="Tổ dân phố 7")
    codes = [
        await file_concern(ward.chat("2001"), **kp3_t9, text=POTHOLES),
        await file_concern(ward.chat("2002"), **LIGHTS_AREA, text=LIGHTS),
        # The same without accents: shown TT-0002 as similar, sends anyway.
        await file_concern(ward.chat("2003"), **LIGHTS_AREA, text=LIGHTS_NO_ACCENTS),
    ]
    # A neighbour +1s TT-0002 instead of filing a duplicate.
    plus_one = await file_concern(ward.chat("2004"), **LIGHTS_AREA, text=LIGHTS_SUPPORTER_DRAFT, support="TT-0002")
    assert plus_one is None
    codes += [
        await file_concern(ward.chat("2005"), **kp1_t2, text=LIGHTS_GROUP_2),
        await file_concern(ward.chat("2006"), **LIGHTS_AREA, text=LIGHTS_DUPLICATE),
        await file_concern(
            ward.chat("2007"), quarter="Khu phố 2", group="Tổ dân phố 5", topic="Giao thông",
            text=TRUCKS, phone=PHONE_SHARED,
        ),
        await file_concern(ward.chat("2008"), **kp3_t7, topic="Môi trường", text=RUBBISH),
        await file_concern(ward.chat("2009"), **kp3_t7, topic="Môi trường", text=RUBBISH_NO_ACCENTS),
        await file_concern(
            ward.chat("2010"), quarter="Khu phố 2", group="Tổ dân phố 4", topic="Thoát nước", text=FLOODING
        ),
        await file_concern(ward.chat("2011"), **kp3_t7, topic="Vấn đề khác", text=ADVERT),
        await file_concern(ward.chat("2012"), quarter="Khu phố 4", group="Tổ dân phố 10", topic="An ninh", text=RACING),
        await file_concern(
            ward.chat("2013"), quarter="Khu phố 1", group="Tổ dân phố 3", topic="An sinh", text=HEALTH_CARDS
        ),
    ]
    assert codes == [f"TT-{n:04d}" for n in range(1, 13)]


async def staff_triage(ward: Ward) -> None:
    """Staff merge the duplicate, reject the advert; the racing report is withdrawn by its author."""
    triage = ward.services.triage
    await triage.merge("TT-0005", "TT-0002", STAFF)
    await triage.reject("TT-0010", "Nội dung quảng cáo mua bán, không phải ý kiến, kiến nghị.", STAFF)
    author = ward.chat("2012")
    await author.text("/withdraw TT-0011")
    replies = await author.press("Rút ý kiến")
    assert "Đã rút ý kiến TT-0011" in replies[0].text


async def make_ward(settings: Settings, database: Database, clock: ManualClock, meeting: Meeting) -> Ward:
    ward = Ward(build_services(settings, database, clock), meeting, database)
    await residents_speak(ward)
    await staff_triage(ward)
    return ward


@pytest.fixture
async def ward(settings: Settings, database: Database, clock: ManualClock, meeting: Meeting) -> Ward:
    return await make_ward(settings, database, clock, meeting)


@pytest.fixture
async def built(ward: Ward) -> Ward:
    assert await ward.agenda.build(ward.meeting.id, STAFF) == len(SUGGESTED)
    return ward


def codes_of(line: AgendaLine) -> list[str]:
    return [c.code for c in line.concerns]


async def audit_rows(database: Database, prefix: str = "") -> list[dict[str, object]]:
    rows = await database.fetch_all("SELECT * FROM audit_log WHERE action LIKE ? ORDER BY id", (prefix + "%",))
    return [
        {
            "actor": row["actor"],
            "action": row["action"],
            "subject": row["subject"],
            "before": json.loads(row["before"]) if row["before"] else None,
            "after": json.loads(row["after"]) if row["after"] else None,
            "outcome": row["outcome"],
        }
        for row in rows
    ]


# --- reading the files back ------------------------------------------------------------------


def docx_paragraphs(data: bytes) -> list[str]:
    """Every paragraph of the body, then of its tables (header block, signatures)."""
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


def agenda_rows(data: bytes) -> list[list[str]]:
    """The agenda's table, each row as its cells' texts (a cell's paragraphs joined by newlines)."""
    document = Document(io.BytesIO(data))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    return [[cell.text for cell in row.cells] for row in table.rows]


def zip_text(data: bytes) -> str:
    """Every part of an Office file as text: all that a curious reader could dig out."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def assert_private(text: str) -> None:
    """No phone number in any form, not even its start, and not the name given with it."""
    for form in PHONE_FORMS:
        assert form not in text, form
    assert CONTACT_NAME not in text


# --- building -------------------------------------------------------------------------------


async def test_build_groups_similar_concerns_into_ordered_items(built: Ward, database: Database) -> None:
    lines = await built.lines()
    assert [
        (codes_of(line), line.residents, line.topic, line.agency, line.item.minutes) for line in lines
    ] == SUGGESTED
    assert [line.item.position for line in lines] == [1, 2, 3, 4, 5, 6]
    assert all(line.item.included for line in lines)
    # Titles come from the concern with the most residents behind it, whole when short.
    assert [line.item.title for line in lines] == [TRUCKS_TITLE, LIGHTS, POTHOLES, FLOODING, RUBBISH, HEALTH_CARDS]
    assert [line.item.topic_id for line in lines] == [
        "giao-thong", "hem-chieu-sang", "hem-chieu-sang", "thoat-nuoc", "moi-truong", "an-sinh"
    ]
    # One item answers residents of two residential groups.
    assert lines[1].areas == (KP1_T1, KP1_T2)
    assert lines[0].areas == (KP2_T5,)
    # The agenda lists no merged-away, rejected or withdrawn concern.
    on_agenda = {code for line in lines for code in codes_of(line)}
    assert on_agenda.isdisjoint({"TT-0005", "TT-0010", "TT-0011"})
    assert len(on_agenda) == 9
    assert {line.topic for line in lines}.isdisjoint({"An ninh trật tự", "Vấn đề khác"})
    audit = await audit_rows(database, "agenda.")
    assert audit == [
        {"actor": STAFF, "action": "agenda.build", "subject": f"meeting:{built.meeting.id}", "before": None,
         "after": {"new_items": 6}, "outcome": "done"}
    ]


async def test_residents_count_authors_supporters_and_merged_followers(built: Ward, database: Database) -> None:
    lights = (await built.lines())[1]
    assert codes_of(lights) == ["TT-0002", "TT-0003", "TT-0004"]
    # TT-0002: its author, the neighbour's +1 and the author of TT-0005 merged into it.
    rows = await database.fetch_all(
        "SELECT c.code, f.role, r.channel_user_id FROM followers f JOIN concerns c ON c.id = f.concern_id "
        "JOIN residents r ON r.id = f.resident_id WHERE c.code IN ('TT-0002', 'TT-0005') ORDER BY c.code, r.channel_user_id"
    )
    assert [tuple(row) for row in rows] == [
        ("TT-0002", "author", "2002"), ("TT-0002", "supporter", "2004"), ("TT-0005", "author", "2006")
    ]
    # … plus the authors of TT-0003 (no accents) and TT-0004 (the next group).
    assert lights.residents == 5
    document = await built.agenda.document(built.meeting.id)
    assert [entry.residents for entry in document.entries] == [1, 5, 1, 1, 2, 1]


async def test_time_budget_comes_from_the_agenda_settings(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    tight = settings.model_copy(update={"agenda": AgendaSettings(minutes_per_item=3, max_item_minutes=4)})
    ward = await make_ward(tight, database, clock, meeting)
    await ward.agenda.build(meeting.id, STAFF)
    lines = await ward.lines()
    # A base per item, one more per extra concern, never above the ceiling.
    assert [(len(line.concerns), line.item.minutes) for line in lines] == [(1, 3), (3, 4), (1, 3), (1, 3), (2, 4), (1, 3)]
    await ward.agenda.detach("TT-0004", STAFF)
    assert (await ward.lines())[-1].item.minutes == 3


async def test_a_second_build_adds_only_new_concerns(built: Ward, database: Database) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id
    await agenda.rename(meeting_id, 2, "Sửa đèn chiếu sáng hẻm 48 Tân Hóa", STAFF)
    await agenda.set_minutes(meeting_id, 2, 10, STAFF)
    await agenda.set_included(meeting_id, 4, False, STAFF)
    before = await built.lines()

    # New concerns arrive while the intake is still open.
    late = await file_concern(built.chat("2020"), **LIGHTS_AREA, text=LIGHTS_LATE)
    theft = await file_concern(
        built.chat("2021"), quarter="Khu phố 1", group="Tổ dân phố 3", topic="An ninh", text=THEFT
    )
    duplicate = await file_concern(built.chat("2022"), **LIGHTS_AREA, text=LIGHTS_DUPLICATE)
    assert (late, theft, duplicate) == ("TT-0013", "TT-0014", "TT-0015")
    # Staff merge the duplicate into the lamp concern already on the agenda.
    await built.services.triage.merge("TT-0015", "TT-0002", STAFF)

    assert await agenda.build(meeting_id, STAFF) == 2
    after = await built.lines()
    # What staff built and edited stays as it was, in its place; the merged one adds a resident.
    for old, new in zip(before, after[: len(before)], strict=True):
        assert (new.item.id, new.item.position, new.item.title, new.item.minutes, new.item.included, codes_of(new)) == (
            old.item.id, old.item.position, old.item.title, old.item.minutes, old.item.included, codes_of(old)
        )
    assert [line.residents for line in after[: len(before)]] == [1, 6, 1, 1, 2, 1]
    assert after[1].item.title == "Sửa đèn chiếu sáng hẻm 48 Tân Hóa" and after[1].item.minutes == 10
    assert not after[3].item.included
    # New concerns become new items at the end; the merged duplicate is not one of them.
    assert [codes_of(line) for line in after[len(before):]] == [["TT-0013"], ["TT-0014"]]
    assert [line.item.position for line in after[len(before):]] == [7, 8]
    assert after[-1].agency == POLICE and after[-1].topic == "An ninh trật tự"
    # Nothing new: nothing added.
    assert await agenda.build(meeting_id, STAFF) == 0
    assert [line.item.id for line in await built.lines()] == [line.item.id for line in after]
    assert [row["after"] for row in await audit_rows(database, "agenda.build")] == [
        {"new_items": 6}, {"new_items": 2}, {"new_items": 0}
    ]


# --- editing --------------------------------------------------------------------------------


async def test_move_and_sort(built: Ward, database: Database) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id
    suggested = await built.codes()
    ids = [line.item.id for line in await built.lines()]

    await agenda.move(meeting_id, 5, 1, STAFF)  # the rubbish at the market first
    assert await built.codes() == [suggested[4], *suggested[:4], suggested[5]]
    await agenda.move(meeting_id, 1, 6, STAFF)  # … no, last
    assert await built.codes() == [*suggested[:4], suggested[5], suggested[4]]
    assert [line.item.position for line in await built.lines()] == [1, 2, 3, 4, 5, 6]
    for number, to in ((0, 1), (1, 0), (7, 1), (1, 7)):
        with pytest.raises(AgendaError, match="positions go from 1 to 6"):
            await agenda.move(meeting_id, number, to, STAFF)

    await agenda.sort(meeting_id, STAFF)
    assert await built.codes() == suggested

    reorders = await audit_rows(database, "agenda.reorder")
    assert [(row["actor"], row["subject"]) for row in reorders] == [(STAFF, f"meeting:{meeting_id}")] * 3
    assert reorders[0]["before"] == {"order": ids}
    assert reorders[0]["after"] == {"order": [ids[4], *ids[:4], ids[5]]}
    assert reorders[-1]["after"] == {"order": ids}


async def test_sort_orders_by_topic_then_residents_after_edits(built: Ward) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id
    # Staff split two lamp concerns off (items 7 and 8), and neighbours +1 the potholes
    # until that item has more residents than what is left of the lamps.
    await agenda.detach("TT-0003", STAFF)
    await agenda.detach("TT-0004", STAFF)
    pothole_area = dict(quarter="Khu phố 3", group="Tổ dân phố 9", topic="Hẻm, đường sá")
    for user, words in (("2030", "vô cùng"), ("2031", "quá"), ("2032", "cực kỳ")):
        draft = POTHOLES.replace("rất", words)
        assert await file_concern(built.chat(user), **pothole_area, text=draft, support="TT-0001") is None
    await agenda.move(meeting_id, 1, 8, STAFF)
    await agenda.sort(meeting_id, STAFF)
    lines = await built.lines()
    assert [(codes_of(line), line.residents) for line in lines] == [
        (["TT-0006"], 1),
        (["TT-0001"], 4),
        (["TT-0002"], 3),
        (["TT-0003"], 1),
        (["TT-0004"], 1),
        (["TT-0009"], 1),
        (["TT-0007", "TT-0008"], 2),
        (["TT-0012"], 1),
    ]
    assert [line.item.position for line in lines] == list(range(1, 9))


async def test_include_exclude_rename_and_minutes(built: Ward, database: Database) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id
    lights_id = (await built.lines())[1].item.id

    await agenda.set_included(meeting_id, 4, False, STAFF)
    assert [codes_of(line) for line in await built.lines(included_only=True)] == [
        ["TT-0006"], ["TT-0002", "TT-0003", "TT-0004"], ["TT-0001"], ["TT-0007", "TT-0008"], ["TT-0012"]
    ]
    assert len(await built.lines()) == 6  # excluded, not deleted
    document = await agenda.document(meeting_id)
    assert [entry.number for entry in document.entries] == [1, 2, 3, 4, 5]
    assert "TT-0009" not in {c.code for entry in document.entries for c in entry.concerns}
    await agenda.set_included(meeting_id, 4, True, STAFF)
    assert len(await built.lines(included_only=True)) == 6

    await agenda.rename(meeting_id, 2, "  Sửa đèn chiếu sáng hẻm 48 Tân Hóa (3 ý kiến)  ", STAFF)
    await agenda.set_minutes(meeting_id, 2, 12, STAFF)
    lights = (await built.lines())[1]
    assert (lights.item.title, lights.item.minutes) == ("Sửa đèn chiếu sáng hẻm 48 Tân Hóa (3 ý kiến)", 12)

    # Refused, and nothing changes.
    for bad in (0, -5, 241):
        with pytest.raises(AgendaError, match="between 1 and 240"):
            await agenda.set_minutes(meeting_id, 2, bad, STAFF)
    with pytest.raises(AgendaError, match="empty"):
        await agenda.rename(meeting_id, 2, " \n ", STAFF)
    for number in (0, 7):
        with pytest.raises(AgendaError, match="there is no item"):
            await agenda.set_included(meeting_id, number, False, STAFF)
    with pytest.raises(AgendaError, match="no meeting"):
        await agenda.set_minutes(meeting_id + 99, 1, 10, STAFF)
    lights = (await built.lines())[1]
    assert (lights.item.title, lights.item.minutes, lights.item.included) == (
        "Sửa đèn chiếu sáng hẻm 48 Tân Hóa (3 ý kiến)", 12, True
    )

    edits = [row for row in await audit_rows(database, "agenda.") if row["action"] != "agenda.build"]
    subject = f"agenda_item:{lights_id}"
    assert [(row["action"], row["actor"], row["before"], row["after"]) for row in edits] == [
        ("agenda.exclude", STAFF, {"included": True}, {"included": 0}),
        ("agenda.include", STAFF, {"included": False}, {"included": 1}),
        ("agenda.rename", STAFF, {"title": LIGHTS}, {"title": "Sửa đèn chiếu sáng hẻm 48 Tân Hóa (3 ý kiến)"}),
        ("agenda.minutes", STAFF, {"minutes": 7}, {"minutes": 12}),
    ]
    assert [row["subject"] for row in edits][2:] == [subject, subject]


async def test_detach_and_attach_move_concerns_between_items(
    built: Ward, database: Database, clock: ManualClock
) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id

    # TT-0004 is really about the other end of the alley: an item of its own, at the end.
    await agenda.detach("tt 4", STAFF)
    lines = await built.lines()
    assert [codes_of(line) for line in lines] == [
        ["TT-0006"], ["TT-0002", "TT-0003"], ["TT-0001"], ["TT-0009"], ["TT-0007", "TT-0008"], ["TT-0012"], ["TT-0004"]
    ]
    assert lines[1].residents == 4 and lines[1].areas == (KP1_T1,)
    assert (lines[-1].item.title, lines[-1].item.minutes, lines[-1].residents) == (LIGHTS_GROUP_2, 5, 1)
    assert (lines[-1].topic, lines[-1].agency, lines[-1].areas) == ("Hẻm, đường sá, đèn chiếu sáng", INFRA, (KP1_T2,))

    # … no, it belongs with the lamps after all: its item, now empty, goes away.
    await agenda.attach("TT-0004", meeting_id, 2, OTHER_STAFF)
    lines = await built.lines()
    assert [codes_of(line) for line in lines] == [line[0] for line in SUGGESTED]
    assert lines[1].residents == 5


    # What cannot go on the agenda, or is not on it.
    other = await create_meeting(database, clock.now(), title="Đối thoại chuyên đề Khu phố 2", area_id="kp2")
    elsewhere = await file_concern(
        built.chat("2040"), quarter=None, group="Tổ dân phố 4", topic="Thoát nước", text=FLOODING,
        meeting_title="Đối thoại chuyên đề Khu phố 2",
    )
    assert elsewhere == "TT-0013"
    refusals = [
        (agenda.attach("TT-0010", meeting_id, 1, STAFF), "only open concerns"),  # rejected
        (agenda.attach("TT-0011", meeting_id, 1, STAFF), "only open concerns"),  # withdrawn
        (agenda.attach("TT-0005", meeting_id, 1, STAFF), "only open concerns"),  # merged away
        (agenda.attach("TT-0013", meeting_id, 1, STAFF), "another meeting"),
        (agenda.attach("TT-0001", meeting_id, 9, STAFF), "there is no item"),
        (agenda.attach("TT-9999", meeting_id, 1, STAFF), "no concern"),
        (agenda.detach("TT-0010", STAFF), "not on the agenda"),
        (agenda.detach("TT-0013", STAFF), "not on the agenda"),
        (agenda.detach("khong co", STAFF), "no concern"),
    ]
    for call, message in refusals:
        with pytest.raises(AgendaError, match=message):
            await call
    assert await built.codes() == [line[0] for line in SUGGESTED]
    assert await agenda.lines(other.id) == []

    moves = [row for row in await audit_rows(database, "agenda.") if row["action"] in ("agenda.detach", "agenda.attach")]
    assert [(row["action"], row["actor"], row["subject"]) for row in moves] == [
        ("agenda.detach", STAFF, "concern:TT-0004"),
        ("agenda.attach", OTHER_STAFF, "concern:TT-0004"),
    ]
    assert moves[1]["after"] == {"item": lines[1].item.id}


async def test_merge_and_reject_after_the_build_keep_the_agenda_consistent(built: Ward, database: Database) -> None:
    triage, agenda, meeting_id = built.services.triage, built.agenda, built.meeting.id

    # Both rubbish concerns are in one item: merging leaves one concern and both residents.
    await triage.merge("TT-0008", "TT-0007", STAFF)
    rubbish = (await built.lines())[4]
    assert (codes_of(rubbish), rubbish.residents) == (["TT-0007"], 2)

    # Across items: the source's own item disappears, the survivor's item keeps every resident.
    await agenda.detach("TT-0004", STAFF)
    assert len(await built.lines()) == 7
    await triage.merge("TT-0004", "TT-0002", STAFF)
    lines = await built.lines()
    assert [(codes_of(line), line.residents) for line in lines] == [
        (["TT-0006"], 1), (["TT-0002", "TT-0003"], 5), (["TT-0001"], 1), (["TT-0009"], 1), (["TT-0007"], 2),
        (["TT-0012"], 1),
    ]

    # Rejecting one concern of an item takes only that one off.
    await triage.reject("TT-0003", "Trùng nội dung với ý kiến TT-0002.", STAFF)
    lights = (await built.lines())[1]
    assert (codes_of(lights), lights.residents) == (["TT-0002"], 4)

    # Unmerged, TT-0004 is open again but on no item until the next build.
    await triage.unmerge("TT-0004", STAFF)
    assert (await built.lines())[1].residents == 3
    assert await agenda.build(meeting_id, STAFF) == 1
    assert codes_of((await built.lines())[-1]) == ["TT-0004"]

    actions = [row["action"] for row in await audit_rows(database, "concern.") if row["actor"] == STAFF]
    assert actions == [
        "concern.merge", "concern.reject", "concern.merge", "concern.merge", "concern.reject", "concern.unmerge"
    ]


async def test_cancelled_meeting_agenda_is_refused(built: Ward, database: Database) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id
    await built.services.meetings.cancel(meeting_id, STAFF, "Hoãn do mưa bão, sẽ thông báo lịch mới.")
    audit_before = len(await audit_rows(database))
    for call in (
        agenda.build(meeting_id, STAFF),
        agenda.lines(meeting_id),
        agenda.document(meeting_id),
        agenda.move(meeting_id, 1, 2, STAFF),
        agenda.sort(meeting_id, STAFF),
        agenda.set_included(meeting_id, 1, False, STAFF),
        agenda.set_minutes(meeting_id, 1, 10, STAFF),
        agenda.rename(meeting_id, 1, "Xe tải đậu vỉa hè", STAFF),
    ):
        with pytest.raises(AgendaError, match="cancelled"):
            await call
    assert len(await audit_rows(database)) == audit_before
    row = await database.fetch_one(
        "SELECT included, minutes FROM agenda_items WHERE position = 1 AND meeting_id = ?", (meeting_id,)
    )
    assert (row["included"], row["minutes"]) == (1, 5)


# --- the documents --------------------------------------------------------------------------


async def chairs_agenda(ward: Ward):  # type: ignore[no-untyped-def]
    """Staff leave the flooding item out (already handled) and give the lamps more time."""
    await ward.agenda.set_included(ward.meeting.id, 4, False, STAFF)
    await ward.agenda.set_minutes(ward.meeting.id, 2, 10, STAFF)
    return await ward.agenda.document(ward.meeting.id)


async def test_document_for_the_chair(built: Ward, database: Database) -> None:
    # The resident behind TT-0006 shared a verified phone number and a name with staff …
    row = await database.fetch_one("SELECT contact_name, contact_phone, phone_verified FROM concerns WHERE code = 'TT-0006'")
    assert tuple(row) == (CONTACT_NAME, "+84903123456", 1)
    document = await chairs_agenda(built)
    assert (document.unit_name, document.chair_title) == (WARD, "Chủ tịch Ủy ban nhân dân phường Phú Thọ")
    assert (document.meeting_id, document.meeting_title) == (built.meeting.id, "Hội nghị đối thoại quý I/2026")
    assert (document.starts_at, document.generated_at) == ("16/03/2026 09:00", "02/03/2026 09:00")
    assert (document.place, document.format_label) == ("Hội trường UBND phường Phú Thọ", "Trực tiếp")
    assert [
        (e.number, e.title, e.topic, e.agency, e.residents, e.minutes, [c.code for c in e.concerns]) for e in document.entries
    ] == [
        (1, TRUCKS_TITLE, "Giao thông, trật tự đô thị, vỉa hè", INFRA, 1, 5, ["TT-0006"]),
        (2, LIGHTS, "Hẻm, đường sá, đèn chiếu sáng", INFRA, 5, 10, ["TT-0002", "TT-0003", "TT-0004"]),
        (3, POTHOLES, "Hẻm, đường sá, đèn chiếu sáng", INFRA, 1, 5, ["TT-0001"]),
        (4, RUBBISH, "Môi trường, rác thải, vệ sinh", INFRA, 2, 6, ["TT-0007", "TT-0008"]),
        (5, HEALTH_CARDS, "An sinh xã hội, chính sách", WELFARE, 1, 5, ["TT-0012"]),
    ]
    lights = document.entries[1]
    assert lights.areas == (KP1_T1, KP1_T2)
    assert [(c.text, c.area, c.author) for c in lights.concerns] == [
        (LIGHTS, KP1_T1, None), (LIGHTS_NO_ACCENTS, KP1_T1, None), (LIGHTS_GROUP_2, KP1_T2, None)
    ]
    # … for staff to call back: the chair's papers name nobody and print no number.
    trucks = document.entries[0].concerns[0]
    assert (trucks.area, trucks.author) == (KP2_T5, None)
    assert CONTACT_NAME not in repr(document) and "+84903123456" not in repr(document)


async def test_docx_reopened_reads_as_the_chairs_summary(built: Ward) -> None:
    data = agenda_docx(await chairs_agenda(built))
    paragraphs = docx_paragraphs(data)
    text = "\n".join(paragraphs)

    # Administrative header, meeting, date, place.
    for line in (
        "ỦY BAN NHÂN DÂN", "PHƯỜNG PHÚ THỌ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Phú Thọ, ngày 02 tháng 3 năm 2026", "TỔNG HỢP Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN", "Hội nghị đối thoại quý I/2026",
        "Thời gian: 09 giờ 00, ngày 16/03/2026. Hình thức: Trực tiếp.", "Địa điểm: Hội trường UBND phường Phú Thọ.",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG PHÚ THỌ",
    ):
        assert line in paragraphs, line

    # One table row per item in agenda order: number, title and topic, areas, residents, agency, time.
    rows = agenda_rows(data)
    assert [(row[0], row[1].split("\n")[0]) for row in rows[1:-1]] == [
        ("1", TRUCKS_TITLE), ("2", LIGHTS), ("3", POTHOLES), ("4", RUBBISH), ("5", HEALTH_CARDS),
    ]
    lights = rows[2]
    assert lights[1].split("\n")[1] == "Lĩnh vực: Hẻm, đường sá, đèn chiếu sáng."
    assert lights[2:] == [f"{KP1_T1}\n{KP1_T2}", "5", INFRA, "10 phút"]
    assert rows[4][3:] == ["2", INFRA, "6 phút"]
    assert rows[5][4] == WELFARE
    # Every concern with its code, area and the resident's own words (accents or not).
    for code, area, words in (
        ("TT-0002", KP1_T1, LIGHTS),
        ("TT-0003", KP1_T1, LIGHTS_NO_ACCENTS + "."),
        ("TT-0004", KP1_T2, LIGHTS_GROUP_2),
        ("TT-0008", KP3_T7, RUBBISH_NO_ACCENTS + "."),
        ("TT-0012", KP1_T3, HEALTH_CARDS),
    ):
        assert f"- {code} ({area}): {words}" in paragraphs
    assert f"- TT-0006 ({KP2_T5}): {TRUCKS_EXPORTED}" in paragraphs
    assert rows[-1] == ["", "Tổng cộng: 5 nội dung", "", "10", "", "31 phút"]

    # Not on the chair's agenda: the excluded item, the merged, rejected and withdrawn concerns.
    for absent in (FLOODING, "TT-0009", KP2_T4, "TT-0005", LIGHTS_DUPLICATE, "TT-0010", ADVERT, "TT-0011", RACING):
        assert absent not in text, absent
    # No phone number and no name anywhere in the file, metadata included.
    assert_private(zip_text(data))


async def test_xlsx_reopened_has_one_row_per_item_and_empty_answers(built: Ward) -> None:
    document = await chairs_agenda(built)
    data = agenda_xlsx(document)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.custom_doc_props[XLSX_MEETING_PROPERTY].value == built.meeting.id

    sheet = workbook[AGENDA_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(header for _, header in AGENDA_COLUMNS)
    items = [dict(zip([key for key, _ in AGENDA_COLUMNS], row, strict=True)) for row in rows[1:]]
    assert len(items) == 5  # the excluded item has no row
    ids = [line.item.id for line in await built.lines(included_only=True)]
    assert [
        (i["number"], i["item_id"], i["title"], i["topic"], i["residents"], i["agency"], i["minutes"], i["concern_codes"])
        for i in items
    ] == [
        (1, ids[0], TRUCKS_TITLE, "Giao thông, trật tự đô thị, vỉa hè", 1, INFRA, 5, "TT-0006"),
        (2, ids[1], LIGHTS, "Hẻm, đường sá, đèn chiếu sáng", 5, INFRA, 10, "TT-0002, TT-0003, TT-0004"),
        (3, ids[2], POTHOLES, "Hẻm, đường sá, đèn chiếu sáng", 1, INFRA, 5, "TT-0001"),
        (4, ids[3], RUBBISH, "Môi trường, rác thải, vệ sinh", 2, INFRA, 6, "TT-0007, TT-0008"),
        (5, ids[4], HEALTH_CARDS, "An sinh xã hội, chính sách", 1, WELFARE, 5, "TT-0012"),
    ]
    assert items[1]["areas"] == f"{KP1_T1}; {KP1_T2}"
    # Ready for the next step: every answer column is there and empty.
    for item in items:
        assert all(item[key] is None for key in ANSWER_KEYS), item

    concerns = [row for row in workbook[CONCERN_SHEET].iter_rows(values_only=True)]
    assert concerns[0] == tuple(header for _, header in CONCERN_COLUMNS)
    assert [row[:2] for row in concerns[1:]] == [
        (1, "TT-0006"), (2, "TT-0002"), (2, "TT-0003"), (2, "TT-0004"), (3, "TT-0001"), (4, "TT-0007"), (4, "TT-0008"),
        (5, "TT-0012"),
    ]
    assert concerns[3] == (2, "TT-0003", KP1_T1, LIGHTS_NO_ACCENTS, None)
    assert concerns[1][3] == TRUCKS_EXPORTED
    assert all(row[4] is None for row in concerns[1:])  # nobody is named

    everything = zip_text(data)
    for absent in (FLOODING, "TT-0009", "TT-0005", "TT-0010", ADVERT, "TT-0011", RACING):
        assert absent not in everything, absent
    assert_private(everything)


async def test_csv_matches_the_agenda_sheet(built: Ward) -> None:
    document = await chairs_agenda(built)
    data = agenda_csv(document)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [header for _, header in AGENDA_COLUMNS]
    keys = [key for key, _ in AGENDA_COLUMNS]
    items = [dict(zip(keys, row, strict=True)) for row in rows[1:]]
    assert [(i["number"], i["residents"], i["minutes"], i["concern_codes"]) for i in items] == [
        ("1", "1", "5", "TT-0006"),
        ("2", "5", "10", "TT-0002, TT-0003, TT-0004"),
        ("3", "1", "5", "TT-0001"),
        ("4", "2", "6", "TT-0007, TT-0008"),
        ("5", "1", "5", "TT-0012"),
    ]
    assert [i["title"] for i in items] == [
        TRUCKS_TITLE, LIGHTS, POTHOLES, RUBBISH, HEALTH_CARDS
    ]
    assert items[4]["agency"] == WELFARE and items[1]["areas"] == f"{KP1_T1}; {KP1_T2}"
    assert all(i[key] == "" for i in items for key in ANSWER_KEYS)
    # The CSV mirrors the XLSX main sheet cell for cell.
    sheet = openpyxl.load_workbook(io.BytesIO(agenda_xlsx(document)))[AGENDA_SHEET]
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    text = data.decode("utf-8-sig")
    for absent in (FLOODING, "TT-0005", "TT-0010", "TT-0011"):
        assert absent not in text
    assert_private(text)


async def test_a_renamed_title_with_a_phone_number_is_exported_without_it(built: Ward) -> None:
    await built.agenda.rename(built.meeting.id, 1, "Xe tải đậu vỉa hè (người dân để lại số 0903.123.456)", STAFF)
    document = await built.agenda.document(built.meeting.id)
    expected = f"Xe tải đậu vỉa hè (người dân để lại số {PHONE_PLACEHOLDER})"
    docx, xlsx, table = agenda_docx(document), agenda_xlsx(document), agenda_csv(document)
    assert agenda_rows(docx)[1][1].split("\n")[0] == expected
    assert openpyxl.load_workbook(io.BytesIO(xlsx))[AGENDA_SHEET]["C2"].value == expected
    assert expected in table.decode("utf-8-sig")
    for text in (zip_text(docx), zip_text(xlsx), table.decode("utf-8-sig")):
        assert "0903.123.456" not in text
        assert_private(text)


async def test_export_with_no_items_is_refused(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    services = build_services(settings, database, clock)
    # Nobody has written yet: building finds nothing, and there is nothing to export.
    assert await services.agenda.build(meeting.id, STAFF) == 0
    empty = await services.agenda.document(meeting.id)
    assert empty.entries == ()
    for export in (agenda_docx, agenda_xlsx, agenda_csv):
        with pytest.raises(ExportError, match="no items"):
            export(empty)


async def test_export_with_every_item_excluded_is_refused(built: Ward) -> None:
    for number in range(1, 7):
        await built.agenda.set_included(built.meeting.id, number, False, STAFF)
    document = await built.agenda.document(built.meeting.id)
    assert document.entries == ()
    for export in (agenda_docx, agenda_xlsx, agenda_csv):
        with pytest.raises(ExportError, match="no items"):
            export(document)


async def test_every_agenda_change_is_in_the_audit_log(built: Ward, database: Database) -> None:
    agenda, meeting_id = built.agenda, built.meeting.id
    await agenda.move(meeting_id, 2, 1, STAFF)
    await agenda.sort(meeting_id, OTHER_STAFF)
    await agenda.set_included(meeting_id, 6, False, STAFF)
    await agenda.set_included(meeting_id, 6, True, STAFF)
    await agenda.set_minutes(meeting_id, 5, 8, STAFF)
    await agenda.rename(meeting_id, 5, "Rác tồn đọng ở chợ Thiếc", STAFF)
    await agenda.detach("TT-0008", STAFF)
    await agenda.attach("TT-0008", meeting_id, 5, STAFF)
    await agenda.build(meeting_id, OTHER_STAFF)
    rows = await database.fetch_all("SELECT at, actor, action, subject, outcome FROM audit_log ORDER BY id")
    # The staff triage before the build is there too.
    assert {(row["actor"], row["action"], row["subject"]) for row in rows} >= {
        (STAFF, "concern.merge", "concern:TT-0005"), (STAFF, "concern.reject", "concern:TT-0010")
    }
    rows = [row for row in rows if row["action"].startswith("agenda.")]
    assert [(row["actor"], row["action"]) for row in rows] == [
        (STAFF, "agenda.build"),
        (STAFF, "agenda.reorder"),
        (OTHER_STAFF, "agenda.reorder"),
        (STAFF, "agenda.exclude"),
        (STAFF, "agenda.include"),
        (STAFF, "agenda.minutes"),
        (STAFF, "agenda.rename"),
        (STAFF, "agenda.detach"),
        (STAFF, "agenda.attach"),
        (OTHER_STAFF, "agenda.build"),
    ]
    assert all(row["outcome"] == "done" for row in rows)
    assert all(row["at"].startswith("2026-03-02T02:00") for row in rows)  # 09:00 in Hồ Chí Minh City, stored UTC


# --- what the code gets wrong -----------------------------------------------------------------


async def test_rejecting_the_only_concern_of_an_item_removes_the_item(built: Ward) -> None:
    await built.services.triage.reject("TT-0009", "Đã chuyển Công ty Thoát nước đô thị xử lý trước hội nghị.", STAFF)
    lines = await built.lines()
    assert all(line.concerns and line.residents > 0 for line in lines), [(codes_of(line), line.residents) for line in lines]
    assert await built.codes() == [
        ["TT-0006"], ["TT-0002", "TT-0003", "TT-0004"], ["TT-0001"], ["TT-0007", "TT-0008"], ["TT-0012"]
    ]


async def test_a_concern_withdrawn_after_the_build_leaves_the_agenda(built: Ward) -> None:
    author = built.chat("2003")
    await author.text("/withdraw TT-0003")
    replies = await author.press("Rút ý kiến")
    assert "Đã rút ý kiến TT-0003" in replies[0].text
    lights = (await built.lines())[1]
    assert (codes_of(lights), lights.residents) == (["TT-0002", "TT-0004"], 4)
    paragraphs = docx_paragraphs(agenda_docx(await built.agenda.document(built.meeting.id)))
    assert not any(LIGHTS_NO_ACCENTS in p for p in paragraphs)


async def test_a_resident_behind_two_concerns_of_one_item_counts_once(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    ward = Ward(build_services(settings, database, clock), meeting, database)
    # Bà Lan writes about the lamps, then again a few days later in other words.
    assert await file_concern(ward.chat("2050"), **LIGHTS_AREA, text=LIGHTS) == "TT-0001"
    assert await file_concern(ward.chat("2050"), **LIGHTS_AREA, text=LIGHTS_DUPLICATE) == "TT-0002"
    # Ông Tư writes without accents, then also +1s Bà Lan's first concern.
    assert await file_concern(ward.chat("2051"), **LIGHTS_AREA, text=LIGHTS_NO_ACCENTS) == "TT-0003"
    assert await file_concern(ward.chat("2051"), **LIGHTS_AREA, text=LIGHTS_SUPPORTER_DRAFT, support="TT-0001") is None
    await ward.agenda.build(meeting.id, STAFF)
    (lights,) = await ward.lines()
    assert codes_of(lights) == ["TT-0001", "TT-0002", "TT-0003"]
    assert lights.residents == 2


async def test_a_phone_number_cut_by_the_title_is_not_exported(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    ward = Ward(build_services(settings, database, clock), meeting, database)
    text = "Xe tải đậu trên vỉa hè đường Hàn Hải Nguyên gây kẹt xe giờ tan trường. Gọi tôi 0903 123 456 nhé."
    await file_concern(
        ward.chat("2060"), quarter="Khu phố 2", group="Tổ dân phố 5", topic="Giao thông", text=text, phone=PHONE_SHARED
    )
    await ward.agenda.build(meeting.id, STAFF)
    document = await ward.agenda.document(meeting.id)
    assert_private("\n".join(docx_paragraphs(agenda_docx(document))))
    assert_private(zip_text(agenda_xlsx(document)))
    assert_private(agenda_csv(document).decode("utf-8-sig"))


async def test_detach_and_attach_are_refused_for_a_cancelled_meeting(built: Ward) -> None:
    await built.services.meetings.cancel(built.meeting.id, STAFF, "Hoãn do mưa bão, sẽ thông báo lịch mới.")
    with pytest.raises(AgendaError, match="cancelled"):
        await built.agenda.detach("TT-0004", STAFF)
    with pytest.raises(AgendaError, match="cancelled"):
        await built.agenda.attach("TT-0004", built.meeting.id, 1, STAFF)
