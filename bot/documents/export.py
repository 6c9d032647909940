"""The chair's agenda as files: DOCX for reading and printing, XLSX and CSV for filling in.

Pure functions from plain data to bytes. Nothing here talks to Telegram or the database: the
caller builds an :class:`AgendaDocument` and sends or stores the bytes.

The XLSX main sheet (and the CSV) is also the form the answers come back on after the
meeting: the header is row 1, the columns are :data:`AGENDA_COLUMNS` (read them by their
Vietnamese header), ``Mã mục`` is the agenda item's database id, and the disposition column
holds one of the labels in :data:`DISPOSITION_LABELS` (:func:`disposition_from_label`
turns a label back into its key).

Residents' personal data: an author's name is printed only when the caller passes one
(the resident agreed to it being shown), and anything that looks like a Vietnamese phone
number in free text (a concern, a title, a name) is replaced by :data:`PHONE_PLACEHOLDER`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.packaging.custom import IntProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from bot.domain.redaction import VIETNAMESE, redact
from bot.domain.refusal import Refusal


@dataclass(frozen=True)
class AgendaConcern:
    code: str  # tracking code, e.g. "TT-0147"
    text: str  # the resident's words
    area: str  # e.g. "Tổ dân phố 1, Khu phố 1"
    author: str | None  # a name ONLY if the resident agreed to it being shown; never a phone number


@dataclass(frozen=True)
class AgendaEntry:
    number: int  # 1, 2, 3 … order on the agenda
    item_id: int  # database id of the agenda item (used again when answers are imported)
    title: str  # short heading staff wrote or the first concern's text shortened
    topic: str  # e.g. "Hẻm, đường sá, đèn chiếu sáng"
    areas: tuple[str, ...]  # distinct areas of its concerns
    agency: str  # office usually responsible, e.g. "Phòng Kinh tế, Hạ tầng và Đô thị"
    residents: int  # number of residents (authors + supporters) behind it
    minutes: int  # time budget at the meeting
    concerns: tuple[AgendaConcern, ...]


@dataclass(frozen=True)
class AgendaDocument:
    unit_name: str  # "Phường Phú Thọ"
    chair_title: str  # "Chủ tịch Ủy ban nhân dân phường Phú Thọ"
    meeting_id: int
    meeting_title: str
    starts_at: str  # already formatted "20/12/2026 08:00" in local time
    place: str
    format_label: str  # "Trực tiếp" / "Trực tuyến" / "Trực tiếp kết hợp trực tuyến"
    generated_at: str  # "05/12/2026 16:30"
    entries: tuple[AgendaEntry, ...]


class ExportError(Refusal):
    """An agenda that cannot be exported; the catalog key under [refusal] says why, for staff."""


# --- Columns shared by the XLSX main sheet, the CSV and the future answer importer ---------

AGENDA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "STT"),
    ("item_id", "Mã mục"),
    ("title", "Nội dung"),
    ("topic", "Lĩnh vực"),
    ("areas", "Khu vực"),
    ("residents", "Số người dân"),
    ("agency", "Cơ quan tham mưu"),
    ("minutes", "Thời lượng (phút)"),
    ("concern_codes", "Mã ý kiến"),
    # Filled in after the meeting, then imported back.
    ("disposition", "Hình thức trả lời"),
    ("answer", "Nội dung trả lời"),
    ("forwarded_to", "Cơ quan được chuyển"),
    ("due_date", "Hạn giải quyết (dd/mm/yyyy)"),
    ("answered_by", "Người trả lời"),
)
# The keys of the columns left empty for the answers.
ANSWER_KEYS: tuple[str, ...] = ("disposition", "answer", "forwarded_to", "due_date", "answered_by")

# The second sheet: every concern of every item.
CONCERN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item_number", "STT mục"),
    ("code", "Mã ý kiến"),
    ("area", "Khu vực"),
    ("text", "Nội dung"),
    ("author", "Người nêu"),
)

AGENDA_SHEET = "Chương trình"
CONCERN_SHEET = "Ý kiến"
# Custom document property of the XLSX holding the meeting id, so an import can check that
# the file belongs to the meeting it is imported into (Excel and LibreOffice keep it).
XLSX_MEETING_PROPERTY = "doithoai_meeting_id"

# How an item was dealt with at the meeting: key -> the label shown in the dropdown.
DISPOSITION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "answered": "Đã trả lời tại hội nghị",
        "explained": "Lãnh đạo phường giải thích",
        "forwarded": "Chuyển cơ quan chức năng",
        "not_accepted": "Không tiếp nhận",
    }
)

PHONE_PLACEHOLDER = VIETNAMESE.phone

# Separators inside one cell: area names contain commas, codes do not.
_AREA_SEPARATOR = "; "
_CODE_SEPARATOR = ", "


def disposition_from_label(value: str | None) -> str | None:
    """The disposition key for a label (or a key) typed in the sheet; None if not one.

    Case, accents' encoding (NFC/NFD) and surrounding spaces do not matter.
    """
    if value is None:
        return None
    wanted = " ".join(unicodedata.normalize("NFC", str(value)).split()).casefold()
    if not wanted:
        return None
    for key, label in DISPOSITION_LABELS.items():
        if wanted in (key, label.casefold()):
            return key
    return None


# --- Text hygiene -------------------------------------------------------------------------

# Characters XML 1.0 (and so DOCX and XLSX) cannot hold.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Vietnamese phone numbers as people type them: 0903 123 456, 0903.123.456, +84 903 123 456,
# (028) 3812 3456. Not preceded by a digit (or a digit and a dot/comma, as in money amounts).
def redact_phones(text: str) -> str:
    """Phone numbers (and e-mail addresses) hidden, through the one redaction function."""
    return redact(text)


def plain_text(text: object) -> str:
    """NFC, and nothing an Office file cannot store."""
    return _XML_ILLEGAL.sub("", unicodedata.normalize("NFC", str(text)))


def free_text(text: str) -> str:
    """Free text from residents or staff: plain, without phone numbers."""
    return redact_phones(plain_text(text))


def as_sentence(text: str) -> str:
    """Text ending in one full stop (none added after '.', '!', '?', '…')."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", "…")) else text + "."


def _author(concern: AgendaConcern) -> str | None:
    if concern.author is None:
        return None
    name = " ".join(free_text(concern.author).split())
    return name or None


def _check(document: AgendaDocument) -> None:
    if not document.entries:
        raise ExportError("refusal.export_empty_agenda")


def _totals(document: AgendaDocument) -> tuple[int, int, int]:
    entries = document.entries
    return len(entries), sum(e.residents for e in entries), sum(e.minutes for e in entries)


# --- Dates as the documents write them ------------------------------------------------------

_DATE_TIME = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?\s*$")


def date_parts(value: str) -> tuple[int, int, int, int | None, int | None] | None:
    match = _DATE_TIME.match(value)
    if match is None:
        return None
    day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    hour = int(match.group(4)) if match.group(4) is not None else None
    minute = int(match.group(5)) if match.group(5) is not None else None
    return day, month, year, hour, minute


def long_date(value: str) -> str:
    """'05/12/2026 16:30' -> 'ngày 05 tháng 12 năm 2026' (Decree 30/2020: months 1-2 as 01, 02)."""
    parts = date_parts(value)
    if parts is None:
        return "ngày … tháng … năm …"
    day, month, year, _, _ = parts
    month_text = f"{month:02d}" if month < 3 else str(month)
    return f"ngày {day:02d} tháng {month_text} năm {year}"


def spoken_time(value: str) -> str:
    """'20/12/2026 08:00' -> '08 giờ 00, ngày 20/12/2026'; anything else as it is."""
    parts = date_parts(value)
    if parts is None:
        return plain_text(value).strip()
    day, month, year, hour, minute = parts
    date = f"ngày {day:02d}/{month:02d}/{year}"
    if hour is None:
        return date
    return f"{hour:02d} giờ {minute:02d}, {date}"


def _duration(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} phút"
    hours, rest = divmod(minutes, 60)
    spoken = f"{hours} giờ" + (f" {rest} phút" if rest else "")
    return f"{minutes} phút ({spoken})"


UNIT_KINDS = ("phường", "xã", "đặc khu", "thị trấn")


def place_name(unit_name: str) -> str:
    """The place before the date line: 'Phường Phú Thọ' -> 'Phú Thọ'; 'Phường 5' stays."""
    name = " ".join(plain_text(unit_name).split())
    for kind in UNIT_KINDS:
        if name.casefold().startswith(kind + " "):
            rest = name[len(kind) + 1 :].strip()
            if rest and not rest[0].isdigit():
                return rest
    return name


# --- DOCX ----------------------------------------------------------------------------------

_FONT = "Times New Roman"
BODY_PT = 14
HEADER_PT = 13
TEXT_WIDTH_CM = 21.0 - 3.0 - 2.0  # A4 minus left and right margins
LEFT_HEADER_CM = 6.0
RIGHT_HEADER_CM = TEXT_WIDTH_CM - LEFT_HEADER_CM


def docx_official(title: str, unit_name: str, dated: str, number_line: str | None = None) -> DocxDocument:
    """A new A4 document with the header every administrative document of the unit carries
    (Decree 30/2020): the authority on the left (with the document's number line, if it has
    one), the national motto and the place and date on the right."""
    doc = Document()
    docx_fonts(doc)

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance, section.footer_distance = Cm(1), Cm(1)
    docx_page_numbers(section)

    properties = doc.core_properties
    properties.title = plain_text(title)
    properties.author = plain_text(unit_name)
    properties.last_modified_by = plain_text(unit_name)
    properties.language = "vi-VN"
    properties.comments = ""

    header = docx_grid(doc, (LEFT_HEADER_CM, RIGHT_HEADER_CM))
    left, right = header.rows[0].cells
    docx_line(left.paragraphs[0], "ỦY BAN NHÂN DÂN", size=HEADER_PT, bold=True)
    docx_line(left.add_paragraph(), plain_text(unit_name).upper(), size=HEADER_PT, bold=True)
    docx_rule(left.add_paragraph(), length_cm=2.2, cell_cm=LEFT_HEADER_CM)
    if number_line is not None:
        docx_line(left.add_paragraph(), number_line, size=HEADER_PT, space_before=4)
    docx_line(right.paragraphs[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    docx_line(right.add_paragraph(), "Độc lập - Tự do - Hạnh phúc", size=HEADER_PT, bold=True)
    docx_rule(right.add_paragraph(), length_cm=5.7, cell_cm=RIGHT_HEADER_CM)
    docx_line(
        right.add_paragraph(),
        f"{place_name(unit_name)}, {long_date(dated)}",
        size=BODY_PT,
        italic=True,
        space_before=4,
    )
    return doc


def agenda_docx(document: AgendaDocument) -> bytes:
    """The summary of residents' concerns for the chair, as a DOCX (Decree 30/2020 layout)."""
    _check(document)

    doc = docx_official(
        f"Tổng hợp ý kiến, kiến nghị - {document.meeting_title}", document.unit_name, document.generated_at
    )

    # Title and what meeting it is for.
    docx_line(doc.add_paragraph(), "TỔNG HỢP Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN", bold=True, space_before=18)
    docx_line(doc.add_paragraph(), plain_text(document.meeting_title).strip(), bold=True)
    docx_line(
        doc.add_paragraph(),
        f"Thời gian: {as_sentence(spoken_time(document.starts_at))} "
        f"Hình thức: {as_sentence(plain_text(document.format_label))}",
        italic=True,
    )
    docx_line(doc.add_paragraph(), f"Địa điểm: {as_sentence(plain_text(document.place))}", italic=True)
    docx_rule(doc.add_paragraph(), length_cm=4.0, cell_cm=TEXT_WIDTH_CM)
    docx_body(
        doc.add_paragraph(),
        [(f"Số liệu tổng hợp đến {spoken_time(document.generated_at)}.", "i")],
    )

    # The items.
    for entry in document.entries:
        heading = doc.add_paragraph()
        docx_body(heading, [(f"{entry.number}. {free_text(entry.title).strip()}", "b")])
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.space_before = Pt(6)
        areas = _AREA_SEPARATOR.join(plain_text(a) for a in entry.areas) or "-"
        details = doc.add_paragraph()
        docx_body(
            details,
            [
                ("Lĩnh vực: ", "i"), (as_sentence(plain_text(entry.topic)) + " ", ""),
                ("Khu vực: ", "i"), (as_sentence(areas) + " ", ""),
                ("Số người dân nêu: ", "i"), (f"{entry.residents}. ", ""),
                ("Cơ quan tham mưu: ", "i"), (as_sentence(plain_text(entry.agency)) + " ", ""),
                ("Thời lượng dự kiến: ", "i"), (f"{_duration(entry.minutes)}.", ""),
            ],
        )
        for concern in entry.concerns:
            runs = [
                ("- ", ""),
                (plain_text(concern.code), "b"),
                (f" ({plain_text(concern.area)}): ", ""),
                (as_sentence(free_text(concern.text)), ""),
            ]
            author = _author(concern)
            if author is not None:
                runs += [(" (", ""), ("Người nêu: ", "i"), (author, ""), (")", "")]
            docx_body(doc.add_paragraph(), runs)

    items, residents, minutes = _totals(document)
    closing = doc.add_paragraph()
    docx_body(
        closing,
        [
            ("Tổng cộng: ", "b"),
            (
                f"{items} nội dung; {residents} lượt người dân nêu, kiến nghị; "
                f"thời lượng dự kiến {_duration(minutes)}.",
                "",
            ),
        ],
    )
    closing.paragraph_format.space_before = Pt(12)

    # Signatures.
    doc.add_paragraph()
    half = TEXT_WIDTH_CM / 2
    signatures = docx_grid(doc, (half, half))
    left, right = signatures.rows[0].cells
    docx_line(left.paragraphs[0], "NGƯỜI LẬP", size=BODY_PT, bold=True)
    docx_line(left.add_paragraph(), "(Ký, ghi rõ họ tên)", size=BODY_PT, italic=True)
    docx_line(right.paragraphs[0], plain_text(document.chair_title).upper(), size=BODY_PT, bold=True)
    docx_line(right.add_paragraph(), "(Ký, ghi rõ họ tên)", size=BODY_PT, italic=True)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def docx_fonts(doc) -> None:  # type: ignore[no-untyped-def]
    """Times New Roman 14 everywhere, Vietnamese language, also for the theme-font defaults."""

    def fonts(rpr) -> None:  # type: ignore[no-untyped-def]
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = OxmlElement("w:rFonts")
            rpr.insert(0, rfonts)
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attribute), None)
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attribute), _FONT)

    normal = doc.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    paragraph = normal.paragraph_format
    paragraph.space_before = Pt(0)
    paragraph.space_after = Pt(0)
    paragraph.line_spacing = 1.0

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rpr_default in defaults.iter(qn("w:rPr")):
            fonts(rpr_default)


def docx_grid(doc, widths_cm: tuple[float, ...]):  # type: ignore[no-untyped-def]
    """A one-row table without borders and with fixed column widths."""

    table = doc.add_table(rows=1, cols=len(widths_cm))
    table.autofit = False  # w:tblLayout fixed
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)
    _docx_sort_tblpr(tbl_pr)
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    return table


# Schema order of the children of w:tblPr, so Word accepts the table.
_TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
)


def _docx_sort_tblpr(tbl_pr) -> None:  # type: ignore[no-untyped-def]
    def rank(element) -> int:  # type: ignore[no-untyped-def]
        local = element.tag.rsplit("}", 1)[-1]
        return _TBLPR_ORDER.index(local) if local in _TBLPR_ORDER else len(_TBLPR_ORDER)

    children = sorted(tbl_pr, key=rank)
    for child in children:
        tbl_pr.remove(child)
    for child in children:
        tbl_pr.append(child)


def docx_line(  # type: ignore[no-untyped-def]
    paragraph,
    text: str,
    *,
    size: int = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    space_before: int = 0,
):
    """A centred line (header block, title, signatures)."""

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(space_before)
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None
    return paragraph


def docx_body(paragraph, runs: Iterable[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """A justified body paragraph with a first-line indent; runs are (text, 'b'/'i'/'')."""

    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    paragraph.paragraph_format.space_after = Pt(6)
    for text, style in runs:
        run = paragraph.add_run(text)
        run.bold = "b" in style or None
        run.italic = "i" in style or None


def docx_rule(paragraph, *, length_cm: float, cell_cm: float) -> None:  # type: ignore[no-untyped-def]
    """A short centred horizontal line (under the authority's name and under the motto)."""

    indent = max((cell_cm - length_cm) / 2, 0)
    paragraph.paragraph_format.left_indent = Cm(indent)
    paragraph.paragraph_format.right_indent = Cm(indent)
    paragraph.paragraph_format.space_before = Pt(0)
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(2)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "6")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    ppr.insert_element_before(
        borders,
        "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange",
    )


def docx_page_numbers(section) -> None:  # type: ignore[no-untyped-def]
    """Page numbers centred at the top, from the second page on (Decree 30/2020)."""

    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = paragraph.add_run("2")
    run.font.size = Pt(HEADER_PT)
    run._r.getparent().remove(run._r)
    field.append(run._r)
    paragraph._p.append(field)


# --- XLSX and CSV ----------------------------------------------------------------------------

_WIDTHS = {
    "number": 6,
    "item_id": 9,
    "title": 48,
    "topic": 24,
    "areas": 30,
    "residents": 10,
    "agency": 26,
    "minutes": 10,
    "concern_codes": 20,
    "disposition": 28,
    "answer": 50,
    "forwarded_to": 26,
    "due_date": 15,
    "answered_by": 22,
}
_CONCERN_WIDTHS = {"item_number": 8, "code": 12, "area": 30, "text": 80, "author": 24}


def _agenda_row(entry: AgendaEntry) -> dict[str, object]:
    row: dict[str, object] = {
        "number": entry.number,
        "item_id": entry.item_id,
        "title": free_text(entry.title).strip(),
        "topic": plain_text(entry.topic),
        "areas": _AREA_SEPARATOR.join(plain_text(a) for a in entry.areas),
        "residents": entry.residents,
        "agency": plain_text(entry.agency),
        "minutes": entry.minutes,
        "concern_codes": _CODE_SEPARATOR.join(plain_text(c.code) for c in entry.concerns),
    }
    row.update(dict.fromkeys(ANSWER_KEYS, ""))
    return row


def agenda_xlsx(document: AgendaDocument) -> bytes:
    """The agenda as a workbook: one row per item with empty answer columns, and every concern."""
    _check(document)

    workbook = Workbook()
    workbook.properties.title = plain_text(f"Chương trình hội nghị đối thoại - {document.meeting_title}")
    workbook.properties.creator = plain_text(document.unit_name)
    workbook.properties.language = "vi-VN"
    workbook.custom_doc_props.append(IntProperty(name=XLSX_MEETING_PROPERTY, value=document.meeting_id))

    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    answer_fill = PatternFill("solid", fgColor="FFF2CC")

    sheet = workbook.active
    sheet.title = AGENDA_SHEET
    keys = [key for key, _ in AGENDA_COLUMNS]
    sheet.append([header for _, header in AGENDA_COLUMNS])
    for entry in document.entries:
        row = _agenda_row(entry)
        sheet.append([row[key] if row[key] != "" else None for key in keys])
    last_row = sheet.max_row
    for index, key in enumerate(keys, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS[key]
        for (cell,) in sheet.iter_rows(min_row=1, max_row=last_row, min_col=index, max_col=index):
            cell.alignment = wrap
            if cell.row == 1:
                cell.font = bold
                cell.fill = header_fill
            elif key in ANSWER_KEYS:
                cell.fill = answer_fill
                cell.number_format = "@"  # typed dates stay the text dd/mm/yyyy
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # a title starting with '=' is text, not a formula
    xlsx_frame(sheet, keys)

    disposition = keys.index("disposition") + 1
    labels = ",".join(DISPOSITION_LABELS.values())
    validation = DataValidation(
        type="list",
        formula1=f'"{labels}"',
        allow_blank=True,
        showDropDown=False,  # (sic) False shows the in-cell dropdown arrow
        showErrorMessage=True,
        errorTitle="Hình thức trả lời",
        error="Chọn một giá trị trong danh sách.",
    )
    letter = get_column_letter(disposition)
    validation.add(f"{letter}2:{letter}{max(last_row, 2)}")
    sheet.add_data_validation(validation)

    concerns = workbook.create_sheet(CONCERN_SHEET)
    concern_keys = [key for key, _ in CONCERN_COLUMNS]
    concerns.append([header for _, header in CONCERN_COLUMNS])
    for entry in document.entries:
        for concern in entry.concerns:
            concerns.append(
                [entry.number, plain_text(concern.code), plain_text(concern.area), free_text(concern.text), _author(concern)]
            )
    for index, key in enumerate(concern_keys, start=1):
        concerns.column_dimensions[get_column_letter(index)].width = _CONCERN_WIDTHS[key]
    for cells in concerns.iter_rows():
        for cell in cells:
            cell.alignment = wrap
            if cell.row == 1:
                cell.font = bold
                cell.fill = header_fill
            elif isinstance(cell.value, str):
                cell.data_type = "s"
    xlsx_frame(concerns, concern_keys)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_frame(sheet, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Frozen header, filter, and A4 landscape printing one page wide with the header repeated."""

    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(sheet.max_row, 1)}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A text cell that Excel would run as a formula gets a leading apostrophe.
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def agenda_csv(document: AgendaDocument) -> bytes:
    """The XLSX main sheet as CSV: UTF-8 with BOM (Excel on Windows), comma, CRLF."""
    _check(document)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in AGENDA_COLUMNS])
    for entry in document.entries:
        row = _agenda_row(entry)
        writer.writerow([_csv_cell(row[key]) for key, _ in AGENDA_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


# --- File names ----------------------------------------------------------------------------

EXTENSION_PATTERN = re.compile(r"^[a-z0-9]{1,10}$")


def ascii_slug(text: str) -> str:
    """'Hội nghị Đối thoại' -> 'hoi-nghi-doi-thoai': ASCII letters, digits and dashes only."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")
    ascii_only = stripped.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def export_filename(document: AgendaDocument, extension: str) -> str:
    """A safe ASCII name: 'chuong-trinh-hoi-nghi-12-20261220.docx'."""
    return document_filename(f"Chương trình hội nghị {document.meeting_id}", document.starts_at, extension)


def document_filename(title: str, dated: str, extension: str) -> str:
    """An ASCII file name from a Vietnamese title and the meeting's 'dd/mm/yyyy HH:MM'."""
    suffix = extension.strip().lstrip(".").lower()
    if not EXTENSION_PATTERN.match(suffix):
        raise ExportError("refusal.export_extension", extension=extension)
    stem = ascii_slug(title)
    parts = date_parts(dated)
    if parts is not None:
        day, month, year, _, _ = parts
        stem += f"-{year:04d}{month:02d}{day:02d}"
    return f"{stem}.{suffix}"
