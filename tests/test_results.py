"""After the meeting: the filled agenda sheet read back, and the results notice written out."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pytest
from docx import Document
from openpyxl.packaging.custom import IntProperty

from bot.documents.agenda import agenda_csv, agenda_docx, agenda_xlsx
from bot.documents.answer_sheet import (
    AGENDA_COLUMNS,
    AGENDA_SHEET,
    XLSX_MEETING_PROPERTY,
    parse_answers_csv,
    parse_answers_xlsx,
)
from bot.documents.labels import DISPOSITION_LABELS, ResultStatus, result_status
from bot.documents.records import (
    AgendaConcern,
    AgendaDocument,
    AgendaEntry,
    AnswerRow,
    AnswerSheet,
    ExportError,
    ResultConcern,
    ResultEntry,
    ResultsDocument,
    SheetProblem,
)
from bot.documents.results import (
    RESULT_COLUMNS,
    RESULTS_SHEET,
    results_deadline,
    results_docx,
    results_filename,
    results_xlsx,
)
from bot.documents.words import PHONE_PLACEHOLDER

TODAY = date(2026, 12, 22)  # two days after the meeting
MEETING = 12
HEADERS = dict(AGENDA_COLUMNS)
KEYS = [key for key, _ in AGENDA_COLUMNS]

KP1 = "Tổ dân phố 1 (hẻm 48 Tân Hóa), Khu phố 1"
KP2 = "Tổ dân phố 4 (đường Phú Thọ), Khu phố 2"
KP3 = "Tổ dân phố 9 (đường Lãnh Binh Thăng), Khu phố 3"
INFRA = "Phòng Kinh tế, Hạ tầng và Đô thị"


def entry(number: int, item_id: int, title: str, *codes: str) -> AgendaEntry:
    concerns = tuple(AgendaConcern(code, f"Ý kiến {code}", KP1, None) for code in codes)
    return AgendaEntry(number, item_id, title, "Hạ tầng", (KP1,), INFRA, len(codes), 10, concerns)


AGENDA = AgendaDocument(
    unit_name="Phường Phú Thọ",
    chair_title="Chủ tịch Ủy ban nhân dân phường Phú Thọ",
    meeting_id=MEETING,
    meeting_title="Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân năm 2026",
    starts_at="20/12/2026 08:00",
    place="Hội trường Ủy ban nhân dân phường Phú Thọ",
    format_label="Trực tiếp",
    generated_at="05/12/2026 16:30",
    entries=(
        entry(1, 41, "Sửa đèn chiếu sáng hẻm 48 Tân Hóa", "TT-0147", "TT-0152"),
        entry(2, 44, "Ùn tắc giao thông đường Phú Thọ", "TT-0160"),
        entry(3, 45, "Ngập nước đường Lãnh Binh Thăng", "TT-0183"),
        entry(4, 50, "Thuế sử dụng đất phi nông nghiệp", "TT-0190"),
    ),
)

CHAIR = "Chủ tịch UBND phường"
ANSWERED = DISPOSITION_LABELS["answered"]
EXPLAINED = DISPOSITION_LABELS["explained"]
FORWARDED = DISPOSITION_LABELS["forwarded"]
NOT_ACCEPTED = DISPOSITION_LABELS["not_accepted"]


# --- Helpers: what staff do to the exported sheet -----------------------------------------


def agenda_book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(agenda_xlsx(AGENDA)))


def columns(sheet) -> dict[str, int]:  # type: ignore[no-untyped-def]
    by_header = {cell.value: cell.column for cell in sheet[1]}
    return {key: by_header[header] for key, header in AGENDA_COLUMNS if header in by_header}


def fill(sheet, row: int, **values: object) -> None:  # type: ignore[no-untyped-def]
    where = columns(sheet)
    for key, value in values.items():
        sheet.cell(row, where[key]).value = value


def save(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parse(content: bytes, *, meeting_id: int = MEETING) -> AnswerSheet:
    return parse_answers_xlsx(content, meeting_id=meeting_id, today=TODAY)


def blank_book(*rows: dict[str, object], meeting_id: int | None = MEETING) -> bytes:
    """A sheet with the export's header and the given rows (keys of AGENDA_COLUMNS)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = AGENDA_SHEET
    sheet.append([header for _, header in AGENDA_COLUMNS])
    for row in rows:
        sheet.append([row.get(key) for key in KEYS])
    if meeting_id is not None:
        book.custom_doc_props.append(IntProperty(name=XLSX_MEETING_PROPERTY, value=meeting_id))
    return save(book)


def good(item_id: object, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "item_id": item_id,
        "disposition": ANSWERED,
        "answer": "Phường đã bố trí kinh phí sửa chữa trong tháng 01/2027.",
        "answered_by": CHAIR,
    }
    row.update(changes)
    return row


# --- Import: the normal case --------------------------------------------------------------


def test_filled_agenda_sheet_is_read_back() -> None:
    book = agenda_book()
    sheet = book[AGENDA_SHEET]
    fill(sheet, 2, disposition=ANSWERED, answer="Phường sẽ thay bóng đèn trong tuần sau.", answered_by=CHAIR)
    fill(
        sheet,
        3,
        disposition=FORWARDED,
        answer="Chuyển Công an phường xử lý xe tải đậu lấn chiếm lòng đường.",
        forwarded_to="Công an phường Phú Thọ",
        due_date="31/01/2027",  # typed into the text-formatted cell
        answered_by="Phó Chủ tịch UBND phường",
    )
    # Row 4 (item 45) was not reached at the meeting: left empty.
    nfd = unicodedata.normalize("NFD", "  Lãnh đạo phường giải thích cách tính thuế.  ")
    fill(sheet, 5, disposition=f" {EXPLAINED.upper()} ", answer=nfd, answered_by=" Công chức Tài chính - Kế toán ")

    result = parse(save(book))

    assert result.problems == ()
    assert result.rows == (
        AnswerRow(
            2, 41, ("TT-0147", "TT-0152"), "answered", "Phường sẽ thay bóng đèn trong tuần sau.", None, None, CHAIR
        ),
        AnswerRow(
            3,
            44,
            ("TT-0160",),
            "forwarded",
            "Chuyển Công an phường xử lý xe tải đậu lấn chiếm lòng đường.",
            "Công an phường Phú Thọ",
            date(2027, 1, 31),
            "Phó Chủ tịch UBND phường",
        ),
        AnswerRow(
            5,
            50,
            ("TT-0190",),
            "explained",
            "Lãnh đạo phường giải thích cách tính thuế.",
            None,
            None,
            "Công chức Tài chính - Kế toán",
        ),
    )
    assert all(unicodedata.is_normalized("NFC", row.answer) for row in result.rows)


def test_reordered_and_extra_columns_real_dates_keys_and_apostrophes() -> None:
    # Staff moved the answer columns to the front, added a notes column, deleted "Mã ý kiến",
    # typed keys instead of labels and pasted a real Excel date.
    order = ["answered_by", "answer", "disposition", "due_date", "forwarded_to", "item_id", "title"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = AGENDA_SHEET
    sheet.append(["Ghi chú"] + [HEADERS[key] for key in order])
    sheet.append(["gọi lại", CHAIR, "'=Đã sửa xong", "answered", None, None, 41, "Đèn"])
    sheet.append([None, CHAIR, "Chuyển Công an.", "forwarded", datetime(2027, 1, 15), "Công an phường", "'44", "Xe"])
    sheet.append([None, CHAIR, "Đã giải thích.", EXPLAINED, None, None, 45.0, "Ngập"])
    result = parse(save(book))  # no meeting property at all: accepted

    assert result.problems == ()
    assert [(r.row, r.item_id, r.disposition, r.answer, r.due_date, r.concern_codes) for r in result.rows] == [
        (2, 41, "answered", "=Đã sửa xong", None, ()),
        (3, 44, "forwarded", "Chuyển Công an.", date(2027, 1, 15), ()),
        (4, 45, "explained", "Đã giải thích.", None, ()),
    ]


def test_header_is_matched_loosely_and_other_sheets_are_ignored() -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Ghi chép"
    notes.append(["Không phải bảng trả lời"])
    sheet = book.create_sheet("Trang tính 2")
    sheet.append([
        "  mã   MỤC ",
        unicodedata.normalize("NFD", "Hình thức trả lời"),
        "Nội dung trả lời",
        "Cơ quan được chuyển",
        "Hạn giải quyết",
        "Người trả lời",
    ])
    sheet.append([41, ANSWERED, "Đã trả lời.", None, None, CHAIR])
    result = parse(save(book))
    assert result.problems == ()
    assert [r.item_id for r in result.rows] == [41]


def test_rows_with_only_a_pre_filled_answerer_are_not_yet_answered() -> None:
    result = parse(blank_book({"item_id": 41, "answered_by": CHAIR}, good(44)))
    assert result.problems == ()
    assert [r.item_id for r in result.rows] == [44]


# --- Import: bad rows ----------------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_and_good_rows_are_kept() -> None:
    forwarded = {"disposition": FORWARDED, "forwarded_to": "Công an phường", "due_date": "31/01/2027"}
    content = blank_book(
        good(1),  # row 2
        good(2, disposition=None),  # row 3: answer without disposition
        good(3, answer=None),  # row 4: disposition without answer
        good(4, disposition="Đã xong"),  # row 5
        good(5, **{**forwarded, "forwarded_to": None}),  # row 6
        good(6, **{**forwarded, "due_date": None}),  # row 7
        good(7, **{**forwarded, "due_date": "cuối tháng 1"}),  # row 8
        good(8, **{**forwarded, "due_date": "21/12/2026"}),  # row 9: yesterday
        good(9, answered_by=None),  # row 10
        good("bốn mốt"),  # row 11
        good(None),  # row 12
        good(20),  # row 13: duplicate of row 15
        good(10, **forwarded),  # row 14: good, forwarded
        good(20),  # row 15
        good(11, forwarded_to="Công an phường"),  # row 16: agency on an answered item
        good(12, disposition=None, answered_by=None),  # row 17: two problems
        good(13, **{**forwarded, "due_date": "31/02/2027"}),  # row 18
        good(14, **{**forwarded, "due_date": "22/12/2026"}),  # row 19: due today is fine
        good(15, due_date="31/01/2027"),  # row 20: a deadline on an answered item
    )
    result = parse(content)

    assert [r.row for r in result.rows] == [2, 14, 19]
    assert [r.item_id for r in result.rows] == [1, 10, 14]
    forwarded_row = result.rows[1]
    assert (forwarded_row.forwarded_to, forwarded_row.due_date) == ("Công an phường", date(2027, 1, 31))

    got = [(p.row, p.column, p.message) for p in result.problems]
    only = "chỉ ghi khi hình thức trả lời là “Chuyển cơ quan chức năng”"
    assert got == [
        (3, "Hình thức trả lời", "Thiếu hình thức trả lời"),
        (4, "Nội dung trả lời", "Thiếu nội dung trả lời"),
        (5, "Hình thức trả lời", "Hình thức trả lời không hợp lệ: “Đã xong”"),
        (6, "Cơ quan được chuyển", "Chuyển cơ quan chức năng thì phải ghi cơ quan được chuyển"),
        (7, "Hạn giải quyết (dd/mm/yyyy)", "Chuyển cơ quan chức năng thì phải ghi hạn giải quyết"),
        (8, "Hạn giải quyết (dd/mm/yyyy)", "Hạn giải quyết phải có dạng dd/mm/yyyy"),
        (9, "Hạn giải quyết (dd/mm/yyyy)", "Hạn giải quyết đã qua (21/12/2026)"),
        (10, "Người trả lời", "Thiếu người trả lời"),
        (11, "Mã mục", "Mã mục không phải số"),
        (12, "Mã mục", "Thiếu mã mục"),
        (13, "Mã mục", "Mã mục 20 bị trùng với dòng 15"),
        (15, "Mã mục", "Mã mục 20 bị trùng với dòng 13"),
        (16, "Cơ quan được chuyển", "Cơ quan được chuyển " + only),
        (17, "Hình thức trả lời", "Thiếu hình thức trả lời"),
        (17, "Người trả lời", "Thiếu người trả lời"),
        (18, "Hạn giải quyết (dd/mm/yyyy)", "Hạn giải quyết không phải ngày có thật: 31/02/2027"),
        (20, "Hạn giải quyết (dd/mm/yyyy)", "Hạn giải quyết " + only),
    ]


def test_a_missing_column_is_reported_on_the_header_row() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([HEADERS[key] for key in KEYS if key != "answered_by"])
    sheet.append([1] * (len(KEYS) - 1))
    result = parse(save(book))
    assert result == AnswerSheet((), (SheetProblem(1, "Người trả lời", "Thiếu cột “Người trả lời”"),))


def test_some_other_table_is_one_problem() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Họ tên", "Số tiền"])
    book.active.append(["A", 1])
    result = parse(save(book))
    assert [(p.row, p.column) for p in result.problems] == [(1, "")]
    assert "không có các cột của bảng chương trình" in result.problems[0].message
    assert parse_csv("Họ tên,Số tiền\r\nA,1\r\n".encode()).problems == result.problems


def test_a_doubled_column_is_reported_on_the_header_row() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([HEADERS[key] for key in KEYS] + ["Nội dung trả lời"])
    result = parse(save(book))
    assert [(p.row, p.column) for p in result.problems] == [(1, "Nội dung trả lời")]
    assert result.rows == ()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"this is not a spreadsheet",
        b"PK\x03\x04 broken zip",
        agenda_csv(AGENDA),
        agenda_docx(AGENDA),  # a zip, but a Word document
    ],
    ids=["empty", "text", "broken-zip", "csv", "docx"],
)
def test_a_file_that_is_not_a_workbook_is_one_problem(content: bytes) -> None:
    result = parse(content)
    assert result.rows == ()
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.row, problem.column) == (0, "")
    assert "Excel (.xlsx)" in problem.message


def test_damaged_files_never_raise() -> None:
    content = agenda_xlsx(AGENDA)
    for cut in range(0, len(content), max(len(content) // 25, 1)):
        damaged = parse(content[:cut] + b"\xff" * 7 + content[cut + 7 :])
        assert damaged.rows == () or damaged.problems == ()
        assert parse(content[:cut]).problems[0].row == 0
        assert parse_csv(agenda_csv(AGENDA)[:cut]).rows == ()  # header only or less: nothing answered


def test_a_zip_bomb_is_refused_without_unpacking() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (70 * 1024 * 1024))
    result = parse(buffer.getvalue())
    assert [(p.row, p.message) for p in result.problems] == [(0, "Tệp quá lớn để là bảng trả lời của một hội nghị")]


def test_a_sheet_of_another_meeting_is_refused_as_a_whole() -> None:
    book = agenda_book()
    fill(book[AGENDA_SHEET], 2, disposition=ANSWERED, answer="Đã trả lời.", answered_by=CHAIR)
    result = parse(save(book), meeting_id=13)
    assert result.rows == ()
    assert result.problems == (
        SheetProblem(1, "", "Tệp này thuộc hội nghị khác (mã 12), không phải hội nghị đang nhập (mã 13)"),
    )
    assert [r.item_id for r in parse(save(book)).rows] == [41]


# --- Import: CSV -----------------------------------------------------------------------------


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = True) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def parse_csv(content: bytes) -> AnswerSheet:
    return parse_answers_csv(content, meeting_id=MEETING, today=TODAY)


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", False), ("\t", True)])
def test_csv_round_trip(delimiter: str, bom: bool) -> None:
    rows = csv_rows(agenda_csv(AGENDA))
    at = {key: KEYS.index(key) for key in KEYS}
    rows[1][at["disposition"]] = ANSWERED
    rows[1][at["answer"]] = "'- Phường đã thay bóng đèn,\r\n- và sẽ kiểm tra định kỳ."
    rows[1][at["answered_by"]] = CHAIR
    rows[2][at["disposition"]] = FORWARDED
    rows[2][at["answer"]] = "Chuyển Công an phường."
    rows[2][at["forwarded_to"]] = "Công an phường"
    rows[2][at["due_date"]] = "5/1/2027"
    rows[2][at["answered_by"]] = CHAIR
    rows[3][at["disposition"]] = "Đã xong"
    rows[3][at["answer"]] = "?"
    rows[3][at["answered_by"]] = CHAIR

    result = parse_csv(csv_bytes(rows, delimiter=delimiter, bom=bom))

    assert [(r.row, r.item_id, r.disposition, r.answer, r.due_date) for r in result.rows] == [
        (2, 41, "answered", "- Phường đã thay bóng đèn,\n- và sẽ kiểm tra định kỳ.", None),
        (3, 44, "forwarded", "Chuyển Công an phường.", date(2027, 1, 5)),
    ]
    assert result.rows[0].concern_codes == ("TT-0147", "TT-0152")
    assert result.problems == (SheetProblem(4, "Hình thức trả lời", "Hình thức trả lời không hợp lệ: “Đã xong”"),)


def test_csv_that_is_not_utf8_or_not_csv_is_one_problem() -> None:
    legacy = agenda_csv(AGENDA).decode("utf-8-sig").encode("cp1258", errors="replace")
    assert parse_csv(legacy).problems[0].row == 0
    assert "UTF-8" in parse_csv(legacy).problems[0].message
    assert parse_csv(agenda_xlsx(AGENDA)).problems[0].row == 0
    assert parse_csv(b"\x00\x01\x02").problems[0].row == 0
    assert parse_csv(b"").problems[0].row == 0
    assert parse_csv(b"").rows == ()


# --- Results ---------------------------------------------------------------------------------

PHONE = "0903 123 456"
PHONE_LIKE = re.compile(r"(?:\+84|0)[\s.\-]?\d(?:[\s.\-]?\d){8,9}")

RESULTS = ResultsDocument(
    unit_name="Phường Phú Thọ",
    chair_title="Chủ tịch Ủy ban nhân dân phường Phú Thọ",
    meeting_id=MEETING,
    meeting_title="Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân năm 2026",
    held_at="20/12/2026 08:00",
    place="Hội trường Ủy ban nhân dân phường Phú Thọ",
    generated_at="15/02/2027 16:30",
    entries=(
        ResultEntry(
            1, "Sửa đèn chiếu sáng hẻm 48 Tân Hóa", "Hẻm, đường sá, đèn chiếu sáng", "answered",
            "Phường đã thay 6 bóng đèn ngày 24/12/2026.", CHAIR, None, None, None, None, ResultStatus.ANSWERED,
            (
                ResultConcern("TT-0147", "Đèn hẻm 48 hư hai tháng, gọi tôi " + PHONE, KP1, 7),
                ResultConcern("TT-0152", "Xin lắp thêm bóng đèn cuối hẻm.", KP1, 2),
            ),
        ),
        ResultEntry(
            2, "Xe tải đậu lấn chiếm đường Phú Thọ", "Giao thông", "forwarded",
            "Chuyển Công an phường xử lý.", "Phó Chủ tịch UBND phường", "Công an phường Phú Thọ", "31/01/2027",
            "Đã lập biên bản 4 trường hợp, liên hệ 0912.345.678.", "25/01/2027", ResultStatus.FINAL_ON_TIME,
            (ResultConcern("TT-0160", "Ùn tắc giờ cao điểm.", KP2, 12),),
        ),
        ResultEntry(
            3, "Ngập nước đường Lãnh Binh Thăng", "Thoát nước", "forwarded",
            "Chuyển Công ty thoát nước khảo sát.", CHAIR, "Công ty Thoát nước đô thị", "31/01/2027",
            None, None, ResultStatus.OVERDUE,
            (ResultConcern("TT-0183", "Mưa lớn ngập 30-40 cm.", KP3, 4),),
        ),
        ResultEntry(
            4, "Cải tạo chợ", "Chợ", "forwarded",
            "Chuyển Ban quản lý chợ.", CHAIR, "Ban quản lý chợ", "30/03/2027",
            None, None, ResultStatus.WAITING,
            (ResultConcern("TT-0185", "Chợ xuống cấp.", KP3, 1),),
        ),
        ResultEntry(
            5, "Đòi bồi thường riêng", "Khác", "not_accepted",
            "Nội dung đang được Tòa án giải quyết.", CHAIR, None, None, None, None, ResultStatus.NOT_ACCEPTED,
            (ResultConcern("TT-0190", "Đề nghị bồi thường.", KP3, 1),),
        ),
    ),
    satisfied=18,
    unsatisfied=3,
)


def docx_texts(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    return [
        "".join(node.text or "" for node in block.iter() if node.tag.endswith("}t"))
        for block in doc.element.body.iter()
        if block.tag.endswith("}p")
    ]


@pytest.fixture(scope="module")
def notice() -> bytes:
    return results_docx(RESULTS)


def test_docx_title_meeting_and_header(notice: bytes) -> None:
    doc = Document(io.BytesIO(notice))
    left, right = (cell.text for cell in doc.tables[0].rows[0].cells)
    assert left.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG PHÚ THỌ"]
    assert "/TB-UBND" in left
    assert "Phú Thọ, ngày 15 tháng 02 năm 2027" in right
    paragraphs = [p.text for p in doc.paragraphs if p.text.strip()]
    assert paragraphs[0] == "THÔNG BÁO KẾT QUẢ HỘI NGHỊ ĐỐI THOẠI"
    assert paragraphs[1] == RESULTS.meeting_title
    assert "08 giờ 00, ngày 20/12/2026" in paragraphs[2]
    assert RESULTS.place in paragraphs[3]
    assert "kết quả trả lời 5 nội dung (6 ý kiến, kiến nghị)" in "\n".join(paragraphs)


def test_docx_every_item_with_its_concerns_answer_and_follow_up(notice: bytes) -> None:
    texts = docx_texts(notice)
    joined = "\n".join(texts)
    headings = [texts.index(f"{e.number}. {e.title}") for e in RESULTS.entries]
    assert headings == sorted(headings)
    for e, start in zip(RESULTS.entries, headings, strict=True):
        block = "\n".join(texts[start : (headings + [len(texts)])[headings.index(start) + 1]])
        for concern in e.concerns:
            assert f"- {concern.code} ({concern.area}): " in block
        assert f"Hình thức trả lời: {DISPOSITION_LABELS[e.disposition]}." in block
        assert f"Nội dung trả lời: {e.answer}" in block
        assert f"Người trả lời: {e.answered_by}." in block
        assert f"Tình trạng: {e.status}." in block
        if e.disposition == "forwarded":
            assert f"Cơ quan được chuyển: {e.forwarded_to}. Hạn giải quyết: {e.due_date}." in block
        else:
            assert "Cơ quan được chuyển" not in block
    assert "Xin lắp thêm bóng đèn cuối hẻm. Số người dân quan tâm: 2." in joined
    assert "Kết quả giải quyết của cơ quan (ngày 25/01/2027): Đã lập biên bản 4 trường hợp" in joined
    assert joined.count("Kết quả giải quyết của cơ quan: chưa có trả lời.") == 2
    assert "18 lượt hài lòng (86%), 3 lượt chưa hài lòng" in joined
    assert "tiếp tục được theo dõi, đôn đốc" in joined


def test_docx_summary_table_counts_dispositions_and_forwarded_timeliness(notice: bytes) -> None:
    doc = Document(io.BytesIO(notice))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Hình thức trả lời")
    rows = {row.cells[0].text: (row.cells[1].text, row.cells[2].text) for row in table.rows[1:]}
    assert rows == {
        ANSWERED: ("1", "2"),
        EXPLAINED: ("0", "0"),
        FORWARDED: ("3", "3"),
        "Trong đó: cơ quan đã trả lời đúng hạn": ("1", "1"),
        "Trong đó: cơ quan đã trả lời nhưng quá hạn": ("0", "0"),
        "Trong đó: đang chờ cơ quan trả lời": ("1", "1"),
        "Trong đó: quá hạn, chưa có trả lời": ("1", "1"),
        NOT_ACCEPTED: ("1", "1"),
        "Tổng cộng": ("5", "6"),
    }


def test_docx_signature_and_recipients(notice: bytes) -> None:
    doc = Document(io.BytesIO(notice))
    left, right = (cell.text for cell in doc.tables[-1].rows[0].cells)
    assert left.startswith("Nơi nhận:") and "Lưu: VT." in left
    assert right.split("\n")[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_docx_has_no_phone_number_and_only_times_new_roman(notice: bytes) -> None:
    archive = zipfile.ZipFile(io.BytesIO(notice))
    xml = "\n".join(
        archive.read(name).decode()
        for name in archive.namelist()
        if name in ("word/document.xml", "docProps/core.xml") or name.startswith("word/header")
    )
    assert PHONE_LIKE.search(xml) is None
    assert PHONE_LIKE.search("\n".join(docx_texts(notice))) is None
    assert "\n".join(docx_texts(notice)).count(PHONE_PLACEHOLDER) == 2
    # No run switches to another font, and the defaults are not theme fonts.
    assert set(re.findall(r'w:(?:ascii|hAnsi|cs|eastAsia)="([^"]+)"', xml)) <= {"Times New Roman"}
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", archive.read("word/styles.xml").decode(), re.S)
    assert defaults is not None and "Theme" not in defaults.group(0)
    assert Document(io.BytesIO(notice)).styles["Normal"].font.name == "Times New Roman"


def test_docx_without_feedback_and_nothing_pending() -> None:
    document = replace(RESULTS, entries=RESULTS.entries[:1], satisfied=0, unsatisfied=0)
    joined = "\n".join(docx_texts(results_docx(document)))
    assert "Chưa có ý kiến phản hồi của người dân về nội dung trả lời." in joined
    assert "tiếp tục được theo dõi" not in joined


def test_xlsx_one_row_per_concern() -> None:
    book = openpyxl.load_workbook(io.BytesIO(results_xlsx(RESULTS)))
    assert book.sheetnames == [RESULTS_SHEET]
    sheet = book[RESULTS_SHEET]
    assert [c.value for c in sheet[1]] == [
        "STT mục", "Mã ý kiến", "Khu vực", "Nội dung", "Hình thức trả lời", "Nội dung trả lời",
        "Người trả lời", "Cơ quan được chuyển", "Hạn", "Trả lời cuối cùng", "Tình trạng",
    ]
    assert [header for _, header in RESULT_COLUMNS] == [c.value for c in sheet[1]]
    keys = [key for key, _ in RESULT_COLUMNS]
    rows = [dict(zip(keys, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r["item_number"], r["code"]) for r in rows] == [
        (1, "TT-0147"), (1, "TT-0152"), (2, "TT-0160"), (3, "TT-0183"), (4, "TT-0185"), (5, "TT-0190"),
    ]
    first, forwarded, overdue = rows[0], rows[2], rows[3]
    assert first["text"] == f"Đèn hẻm 48 hư hai tháng, gọi tôi {PHONE_PLACEHOLDER}"
    assert (first["disposition"], first["answered_by"], first["forwarded_to"], first["due_date"]) == (
        ANSWERED, CHAIR, None, None,
    )
    assert forwarded["disposition"] == FORWARDED
    assert forwarded["forwarded_to"] == "Công an phường Phú Thọ"
    assert forwarded["due_date"] == datetime(2027, 1, 31)
    assert forwarded["final_answer"] == f"Đã lập biên bản 4 trường hợp, liên hệ {PHONE_PLACEHOLDER}. (ngày 25/01/2027)"
    assert (overdue["final_answer"], overdue["status"]) == (None, ResultStatus.OVERDUE)
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    assert PHONE_LIKE.search(text) is None
    assert sheet.freeze_panes == "A2"


def test_xlsx_answer_that_looks_like_a_formula_stays_text() -> None:
    entry = replace(RESULTS.entries[0], answer="=HYPERLINK(\"http://x\")", concerns=())
    sheet = openpyxl.load_workbook(io.BytesIO(results_xlsx(replace(RESULTS, entries=(entry,)))))[RESULTS_SHEET]
    assert sheet.max_row == 2  # an item without concerns keeps its row
    cell = sheet.cell(2, 6)
    assert cell.value == entry.answer and cell.data_type == "s"


def test_no_entries_unknown_disposition_and_file_names() -> None:
    for export in (results_docx, results_xlsx):
        with pytest.raises(ExportError):
            export(replace(RESULTS, entries=()))
        with pytest.raises(ExportError):
            export(replace(RESULTS, entries=(replace(RESULTS.entries[0], disposition="done"),)))
    assert results_filename(RESULTS, "docx") == "ket-qua-hoi-nghi-12-20261220.docx"
    assert results_filename(RESULTS, ".XLSX") == "ket-qua-hoi-nghi-12-20261220.xlsx"
    with pytest.raises(ExportError):
        results_filename(RESULTS, "../x")


def test_status_labels_and_publication_deadline() -> None:
    due = date(2027, 1, 31)

    def status(disposition: str, final_at: date | None, today: date) -> str:
        return result_status(disposition, due_date=due, final_at=final_at, today=today)

    assert status("answered", None, TODAY) == ResultStatus.ANSWERED
    assert status("explained", None, TODAY) == ResultStatus.ANSWERED
    assert status("not_accepted", None, TODAY) == ResultStatus.NOT_ACCEPTED
    assert status("forwarded", None, due) == ResultStatus.WAITING
    assert status("forwarded", None, date(2027, 2, 1)) == ResultStatus.OVERDUE
    assert status("forwarded", due, date(2027, 3, 1)) == ResultStatus.FINAL_ON_TIME
    assert status("forwarded", date(2027, 2, 1), date(2027, 3, 1)) == ResultStatus.FINAL_LATE
    assert results_deadline(date(2026, 12, 20)) == date(2026, 12, 30)


def test_results_imports_neither_telegram_nor_storage_nor_handlers() -> None:
    code = (
        "import sys, bot.documents.results; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'storage', 'handlers')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
