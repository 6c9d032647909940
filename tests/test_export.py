"""The chair's agenda as DOCX, XLSX and CSV: read each file back and check what staff will see."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table

from bot.documents.agenda import (
    CONCERN_COLUMNS,
    CONCERN_SHEET,
    agenda_csv,
    agenda_docx,
    agenda_xlsx,
    export_filename,
)
from bot.documents.answer_sheet import AGENDA_COLUMNS, AGENDA_SHEET, ANSWER_KEYS, XLSX_MEETING_PROPERTY
from bot.documents.labels import DISPOSITION_LABELS, disposition_from_label
from bot.documents.records import AgendaConcern, AgendaDocument, AgendaEntry, ExportError
from bot.documents.words import PHONE_PLACEHOLDER
from bot.domain.redaction import redact
from bot.domain.vocabulary import Disposition
from tests.system import needs_program

KP1_T1 = "Tổ dân phố 1 (hẻm 48 Tân Hóa), Khu phố 1"
KP2_T4 = "Tổ dân phố 4 (đường Phú Thọ), Khu phố 2"
KP2_T5 = "Tổ dân phố 5 (đường Hàn Hải Nguyên), Khu phố 2"
KP3_T9 = "Tổ dân phố 9 (đường Lãnh Binh Thăng), Khu phố 3"
INFRA = "Phòng Kinh tế, Hạ tầng và Đô thị"

LIGHTS = AgendaConcern(
    "TT-0147",
    "Đèn chiếu sáng trong hẻm 48 Tân Hóa hư hỏng hơn hai tháng, buổi tối rất tối, "
    "người già và trẻ em đi lại khó khăn, đề nghị phường sớm sửa chữa.",
    KP1_T1,
    "Nguyễn Thị Lan",
)
LIGHTS_2 = AgendaConcern(
    "TT-0152",
    "Hẻm 48 ngập và tối, xin lắp thêm bóng đèn ở đoạn cuối hẻm.",
    KP1_T1,
    None,
)
TRAFFIC = AgendaConcern(
    "TT-0160",
    "Giờ cao điểm ùn tắc tại giao lộ Phú Thọ – Hàn Hải Nguyên, xe tải đậu lấn chiếm lòng đường.",
    KP2_T4,
    None,
)
# A resident who typed a phone number into the concern itself.
TRAFFIC_2 = AgendaConcern(
    "TT-0171",
    "Vỉa hè bị lấn chiếm làm nơi buôn bán; cần gì xin gọi tôi 0903 123 456.",
    KP2_T5,
    None,
)
FLOOD = AgendaConcern(
    "TT-0183",
    "Mỗi lần mưa lớn đường Lãnh Binh Thăng ngập sâu 30-40 cm, nước tràn vào nhà.",
    KP3_T9,
    "Trần Văn Hùng",
)
TAX = AgendaConcern(
    "TT-0190",
    "Đề nghị hướng dẫn cách tính thuế sử dụng đất phi nông nghiệp cho hộ có 2 thửa đất.",
    KP3_T9,
    None,
)

ENTRIES = (
    AgendaEntry(
        number=1,
        item_id=41,
        title="Sửa đèn chiếu sáng hẻm 48 Tân Hóa",
        topic="Hẻm, đường sá, đèn chiếu sáng",
        areas=(KP1_T1,),
        agency=INFRA,
        residents=7,
        minutes=10,
        concerns=(LIGHTS, LIGHTS_2),
    ),
    AgendaEntry(
        number=2,
        item_id=44,
        title="Ùn tắc giao thông, lấn chiếm vỉa hè đường Phú Thọ – Hàn Hải Nguyên",
        topic="Giao thông, trật tự đô thị, vỉa hè",
        areas=(KP2_T4, KP2_T5),
        agency=INFRA,
        residents=12,
        minutes=15,
        concerns=(TRAFFIC, TRAFFIC_2),
    ),
    AgendaEntry(
        number=3,
        item_id=45,
        title="Ngập nước đường Lãnh Binh Thăng",
        topic="Thoát nước, ngập úng",
        areas=(KP3_T9,),
        agency=INFRA,
        residents=4,
        minutes=10,
        concerns=(FLOOD,),
    ),
    AgendaEntry(
        number=4,
        item_id=50,
        title="Thuế sử dụng đất phi nông nghiệp",
        topic="Thuế sử dụng đất phi nông nghiệp, phí",
        areas=(KP3_T9,),
        agency="Thuế cơ sở",
        residents=1,
        minutes=5,
        concerns=(TAX,),
    ),
)

DOCUMENT = AgendaDocument(
    unit_name="Phường Phú Thọ",
    chair_title="Chủ tịch Ủy ban nhân dân phường Phú Thọ",
    meeting_id=12,
    meeting_title="Hội nghị đối thoại giữa Chủ tịch UBND phường với Nhân dân năm 2026",
    starts_at="20/12/2026 08:00",
    place="Hội trường Ủy ban nhân dân phường Phú Thọ, 1 Lữ Gia",
    format_label="Trực tiếp kết hợp trực tuyến",
    generated_at="05/12/2026 16:30",
    entries=ENTRIES,
)
CONCERNS = [(entry, concern) for entry in ENTRIES for concern in entry.concerns]

PHONE_LIKE = re.compile(r"(?:\+84|0)[\s.\-]?\d(?:[\s.\-]?\d){8,9}")


def docx_texts(data: bytes) -> list[str]:
    """Every paragraph of the body, the tables' cells included, in order."""
    doc = Document(io.BytesIO(data))
    texts = []
    for block in doc.element.body.iter():
        if block.tag.endswith("}p"):
            texts.append("".join(node.text or "" for node in block.iter() if node.tag.endswith("}t")))
    return texts


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return agenda_docx(DOCUMENT)


@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(agenda_xlsx(DOCUMENT)))


# --- DOCX ------------------------------------------------------------------------------------


def test_docx_header_block_title_and_subtitle(docx_bytes: bytes) -> None:
    doc = Document(io.BytesIO(docx_bytes))
    header = doc.tables[0]
    left, right = (cell.text for cell in header.rows[0].cells)
    assert left.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG PHÚ THỌ"]
    assert right.split("\n")[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert "Phú Thọ, ngày 05 tháng 12 năm 2026" in right
    # Borderless: every edge of the header table is switched off.
    borders = header._tbl.tblPr.xpath("./w:tblBorders/*")
    assert {b.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") for b in borders} == {"nil"}

    paragraphs = [p for p in doc.paragraphs if p.text.strip()]
    title = paragraphs[0]
    assert title.text == "TỔNG HỢP Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN"
    assert title.alignment == 1  # centre
    assert all(run.bold for run in title.runs)
    body = "\n".join(p.text for p in paragraphs[1:5])
    assert DOCUMENT.meeting_title in body
    assert "08 giờ 00, ngày 20/12/2026" in body
    assert DOCUMENT.place in body
    assert DOCUMENT.format_label in body


def agenda_table(data: bytes) -> Table:
    doc = Document(io.BytesIO(data))
    return next(t for t in doc.tables if t.rows[0].cells[0].text == "STT")


def test_docx_is_a_table_of_the_items_with_the_six_columns(docx_bytes: bytes) -> None:
    table = agenda_table(docx_bytes)
    assert [cell.text for cell in table.rows[0].cells] == [
        "STT", "Nội dung", "Khu vực", "Số người nêu", "Cơ quan tham mưu", "Thời lượng"
    ]
    # One row per item, in order, then the total.
    assert len(table.rows) == len(ENTRIES) + 2
    for row, entry in zip(table.rows[1:], ENTRIES, strict=False):
        number, content, areas, residents, agency, minutes = (cell.text for cell in row.cells)
        assert number == str(entry.number)
        lines = content.split("\n")
        assert lines[0] == entry.title
        assert lines[1] == f"Lĩnh vực: {entry.topic}."
        assert areas.split("\n") == list(entry.areas)
        assert (residents, agency, minutes) == (str(entry.residents), entry.agency, f"{entry.minutes} phút")
        # Each concern sits in its own item's row, with its code and area.
        for concern in entry.concerns:
            line = next(t for t in lines if t.startswith(f"- {concern.code} "))
            assert line.startswith(f"- {concern.code} ({concern.area}): ")
            if concern is not TRAFFIC_2:
                assert concern.text in line
        assert sum(line.startswith("- ") for line in lines) == len(entry.concerns)
    assert [cell.text for cell in table.rows[-1].cells] == [
        "", "Tổng cộng: 4 nội dung", "", "24", "", "40 phút"
    ]


def test_docx_table_prints_on_a4_with_its_header_on_every_page(docx_bytes: bytes) -> None:
    table = agenda_table(docx_bytes)
    header = table.rows[0]._tr
    assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
    assert table.style is not None and table.style.name == "Table Grid"
    widths = [column.width for column in table.columns]
    assert all(width is not None and width > Cm(1) for width in widths)
    assert abs(sum(widths) - Cm(16)) < Cm(0.05)  # A4 less the 3 cm and 2 cm margins


def test_docx_item_titles_are_bold(docx_bytes: bytes) -> None:
    for row, entry in zip(agenda_table(docx_bytes).rows[1:], ENTRIES, strict=False):
        title = row.cells[1].paragraphs[0]
        assert title.text == entry.title
        assert all(run.bold for run in title.runs)


def test_docx_has_the_number_line(docx_bytes: bytes) -> None:
    left = Document(io.BytesIO(docx_bytes)).tables[0].rows[0].cells[0].text
    assert re.search(r"^Số: +/BC-UBND$", left, re.M), left


def test_docx_names_only_authors_who_agreed(docx_bytes: bytes) -> None:
    texts = docx_texts(docx_bytes)
    lan = next(t for t in texts if t.startswith("- TT-0147 "))
    assert lan.endswith("(Người nêu: Nguyễn Thị Lan)")
    anonymous = next(t for t in texts if t.startswith("- TT-0152 "))
    assert "Người nêu" not in anonymous
    assert sum("Người nêu:" in t for t in texts) == 2


def test_docx_signature_block(docx_bytes: bytes) -> None:
    doc = Document(io.BytesIO(docx_bytes))
    left, right = (cell.text for cell in doc.tables[-1].rows[0].cells)
    assert left.startswith("NGƯỜI LẬP")
    assert right.startswith("CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG PHÚ THỌ")


def test_docx_is_a4_with_administrative_margins_and_times_new_roman(docx_bytes: bytes) -> None:
    doc = Document(io.BytesIO(docx_bytes))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.05)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.05)
    assert abs(section.top_margin - Cm(2)) < Cm(0.05)
    assert abs(section.bottom_margin - Cm(2)) < Cm(0.05)
    assert abs(section.left_margin - Cm(3)) < Cm(0.05)
    assert Cm(1.5) - Cm(0.05) <= section.right_margin <= Cm(2) + Cm(0.05)
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size in (Pt(13), Pt(14))
    # No run and no style switches to another font.
    xml = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml").decode()
    fonts = set(re.findall(r'w:(?:ascii|hAnsi|cs|eastAsia)="([^"]+)"', xml))
    assert fonts <= {"Times New Roman"}
    styles = zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/styles.xml").decode()
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S)
    assert defaults is not None and "Theme" not in defaults.group(0)


def test_docx_keeps_vietnamese_exactly_nfc(docx_bytes: bytes) -> None:
    texts = docx_texts(docx_bytes)
    joined = "\n".join(texts)
    assert joined == unicodedata.normalize("NFC", joined)
    for expected in (LIGHTS.text, FLOOD.text, ENTRIES[1].title, "Ủy ban nhân dân phường Phú Thọ"):
        assert expected in joined


def test_nfd_input_comes_out_nfc() -> None:
    nfd = unicodedata.normalize("NFD", LIGHTS.text)
    assert nfd != LIGHTS.text
    entry = replace(ENTRIES[0], concerns=(replace(LIGHTS, text=nfd),))
    document = replace(DOCUMENT, entries=(entry,))
    assert LIGHTS.text in "\n".join(docx_texts(agenda_docx(document)))
    sheet = openpyxl.load_workbook(io.BytesIO(agenda_xlsx(document)))[CONCERN_SHEET]
    assert sheet.cell(2, 4).value == LIGHTS.text


# --- Phone numbers ---------------------------------------------------------------------------


def all_xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(
        str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value
    )


def test_no_phone_number_in_any_format(docx_bytes: bytes) -> None:
    docx_xml = "\n".join(
        zipfile.ZipFile(io.BytesIO(docx_bytes)).read(name).decode("utf-8")
        for name in zipfile.ZipFile(io.BytesIO(docx_bytes)).namelist()
        if name in ("word/document.xml", "docProps/core.xml") or name.startswith("word/header")
    )
    for text in (
        "\n".join(docx_texts(docx_bytes)),
        docx_xml,
        all_xlsx_text(agenda_xlsx(DOCUMENT)),
        agenda_csv(DOCUMENT).decode("utf-8-sig"),
    ):
        assert PHONE_LIKE.search(text) is None
    assert f"cần gì xin gọi tôi {PHONE_PLACEHOLDER}." in "\n".join(docx_texts(docx_bytes))
    assert PHONE_PLACEHOLDER in all_xlsx_text(agenda_xlsx(DOCUMENT))


def test_a_phone_number_given_as_author_is_not_shown() -> None:
    entry = replace(ENTRIES[0], concerns=(replace(LIGHTS, author="Lan 0912.345.678"),))
    document = replace(DOCUMENT, entries=(entry,))
    for text in ("\n".join(docx_texts(agenda_docx(document))), all_xlsx_text(agenda_xlsx(document))):
        assert "345" not in text and "Lan" in text


@pytest.mark.parametrize(
    "text",
    ["0903123456", "0903 123 456", "0903.123.456", "+84 903 123 456", "+84903123456", "(028) 3812 3456", "02838123456"],
)
def test_phone_numbers_are_redacted(text: str) -> None:
    assert redact(f"gọi {text} nhé") == f"gọi {PHONE_PLACEHOLDER} nhé"
    assert redact(f"ĐT:{text}.") == f"ĐT:{PHONE_PLACEHOLDER}."


@pytest.mark.parametrize(
    "text",
    [
        "hẻm 48/12 Tân Hóa",
        "ngập 30-40 cm",
        "phí 1.035.000.000 đồng",
        "840.000.000.000 đồng",
        "ngày 05/12/2026",
        "mã TT-0147",
        "12.035.000.000.000 đồng",
    ],
)
def test_other_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


# --- XLSX ------------------------------------------------------------------------------------


def header_index(sheet) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {cell.value: cell.column for cell in sheet[1]}


def test_xlsx_main_sheet_header_is_row_one(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [AGENDA_SHEET, CONCERN_SHEET]
    sheet = workbook[AGENDA_SHEET]
    assert AGENDA_SHEET == "Chương trình"
    assert [cell.value for cell in sheet[1]] == [header for _, header in AGENDA_COLUMNS]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert all(cell.alignment.wrap_text for row in sheet.iter_rows() for cell in row)
    assert all((sheet.column_dimensions[cell.column_letter].width or 0) >= 6 for cell in sheet[1])
    assert [key for key, _ in AGENDA_COLUMNS][-5:] == list(ANSWER_KEYS)
    assert [header for _, header in AGENDA_COLUMNS][-5:] == [
        "Hình thức trả lời",
        "Nội dung trả lời",
        "Cơ quan được chuyển",
        "Hạn giải quyết (dd/mm/yyyy)",
        "Người trả lời",
    ]


def test_xlsx_one_row_per_item_and_empty_answer_columns(workbook: openpyxl.Workbook) -> None:
    sheet = workbook[AGENDA_SHEET]
    assert sheet.max_row == 1 + len(ENTRIES)
    columns = header_index(sheet)
    headers = dict(AGENDA_COLUMNS)
    for row, entry in enumerate(ENTRIES, start=2):

        def value(key: str, row: int = row) -> object:
            return sheet.cell(row, columns[headers[key]]).value

        assert value("number") == entry.number
        assert value("item_id") == entry.item_id
        assert value("title") == entry.title
        assert value("topic") == entry.topic
        assert value("areas") == "; ".join(entry.areas)
        assert value("residents") == entry.residents
        assert value("agency") == entry.agency
        assert value("minutes") == entry.minutes
        assert value("concern_codes") == ", ".join(c.code for c in entry.concerns)
        for key in ANSWER_KEYS:
            assert value(key) is None
    assert workbook.custom_doc_props[XLSX_MEETING_PROPERTY].value == DOCUMENT.meeting_id


def test_xlsx_disposition_dropdown(workbook: openpyxl.Workbook) -> None:
    sheet = workbook[AGENDA_SHEET]
    column = sheet.cell(1, header_index(sheet)["Hình thức trả lời"]).column_letter
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    validation = validations[0]
    assert validation.type == "list"
    assert validation.formula1 == '"' + ",".join(DISPOSITION_LABELS.values()) + '"'
    assert str(validation.sqref) == f"{column}2:{column}{1 + len(ENTRIES)}"
    assert dict(DISPOSITION_LABELS) == {
        "answered": "Đã trả lời tại hội nghị",
        "explained": "Lãnh đạo phường giải thích",
        "forwarded": "Chuyển cơ quan chức năng",
        "not_accepted": "Không tiếp nhận",
    }


def test_xlsx_concern_sheet(workbook: openpyxl.Workbook) -> None:
    sheet = workbook[CONCERN_SHEET]
    assert [cell.value for cell in sheet[1]] == [header for _, header in CONCERN_COLUMNS]
    assert [header for _, header in CONCERN_COLUMNS] == ["STT mục", "Mã ý kiến", "Khu vực", "Nội dung", "Người nêu"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(CONCERNS)
    for row, (entry, concern) in zip(rows, CONCERNS, strict=True):
        number, code, area, text, author = row
        assert (number, code, area, author) == (entry.number, concern.code, concern.area, concern.author)
        if concern is not TRAFFIC_2:
            assert text == concern.text
    assert sheet.freeze_panes == "A2"


def test_text_that_looks_like_a_formula_stays_text() -> None:
    entry = replace(ENTRIES[0], title='=HYPERLINK("http://x","bấm")')
    document = replace(DOCUMENT, entries=(entry,))
    sheet = openpyxl.load_workbook(io.BytesIO(agenda_xlsx(document)))[AGENDA_SHEET]
    cell = sheet.cell(2, header_index(sheet)["Nội dung"])
    assert cell.value == entry.title and cell.data_type == "s"
    rows = list(csv.reader(io.StringIO(agenda_csv(document).decode("utf-8-sig"))))
    assert rows[1][2] == "'" + entry.title


# --- CSV -------------------------------------------------------------------------------------


def test_csv_has_bom_and_the_main_sheet_columns() -> None:
    data = agenda_csv(DOCUMENT)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0] == [header for _, header in AGENDA_COLUMNS]
    assert len(rows) == 1 + len(ENTRIES)
    for row, entry in zip(rows[1:], ENTRIES, strict=True):
        values = dict(zip([key for key, _ in AGENDA_COLUMNS], row, strict=True))
        assert values["number"] == str(entry.number)
        assert values["item_id"] == str(entry.item_id)
        assert values["title"] == entry.title
        assert values["areas"] == "; ".join(entry.areas)
        assert values["agency"] == entry.agency
        assert values["concern_codes"] == ", ".join(c.code for c in entry.concerns)
        assert all(values[key] == "" for key in ANSWER_KEYS)


# --- Errors, names, labels -------------------------------------------------------------------


@pytest.mark.parametrize("export", [agenda_docx, agenda_xlsx, agenda_csv])
def test_an_empty_agenda_is_refused(export) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ExportError, match="the agenda has no items"):
        export(replace(DOCUMENT, entries=()))
    assert issubclass(ExportError, ValueError)


def test_filename_is_ascii() -> None:
    name = export_filename(DOCUMENT, "docx")
    assert name == "chuong-trinh-hoi-nghi-12-20261220.docx"
    assert name.isascii()
    assert export_filename(DOCUMENT, ".XLSX") == "chuong-trinh-hoi-nghi-12-20261220.xlsx"
    with pytest.raises(ExportError):
        export_filename(DOCUMENT, "../x")


def test_disposition_from_label() -> None:
    for key, label in DISPOSITION_LABELS.items():
        assert disposition_from_label(label) == key
        assert disposition_from_label(f"  {unicodedata.normalize('NFD', label).upper()} ") == key
        assert disposition_from_label(key) == key
    assert disposition_from_label("") is None
    assert disposition_from_label(None) is None
    assert disposition_from_label("Đã xong") is None


def test_every_disposition_has_one_printed_label() -> None:
    assert list(DISPOSITION_LABELS) == list(Disposition)
    assert len(set(DISPOSITION_LABELS.values())) == len(Disposition)


def test_export_imports_neither_telegram_nor_storage_nor_handlers() -> None:
    code = (
        "import sys, bot.documents.agenda, bot.documents.answer_sheet; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'storage', 'handlers')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_documents_use_nothing_of_the_bot_but_the_domain() -> None:
    code = (
        "import sys, pkgutil, importlib, bot.documents; "
        "[importlib.import_module('bot.documents.' + m.name) for m in pkgutil.iter_modules(bot.documents.__path__)]; "
        "ours = ('bot', 'bot.documents', 'bot.domain'); "
        "bad = [m for m in sys.modules if m.split('.')[0] == 'bot' and '.'.join(m.split('.')[:2]) not in ours]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_program("libreoffice", "libreoffice-writer-nogui")
def test_docx_converts_to_pdf(docx_bytes: bytes, tmp_path: Path) -> None:
    source = tmp_path / export_filename(DOCUMENT, "docx")
    source.write_bytes(docx_bytes)
    subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=110,
    )
    pdf = source.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
