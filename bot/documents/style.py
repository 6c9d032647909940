"""The house style every document shares: the official DOCX layout, the XLSX table style,
CSV cells and file names (the words themselves, dates included, are in ``words``).

The DOCX layout follows Decree 30/2020 on administrative documents: A4, Times New Roman, the
authority and the national motto in the header, the place and date, page numbers from the
second page on. The Vietnamese wording of that layout is fixed by the decree, so it is kept
here as it is printed rather than in the chat catalogs.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.ooxml import (
    BODY_AFTER_TWIPS,
    BODY_INDENT_TWIPS,
    add_runs,
    paragraph_at_end,
    paragraph_format,
)
from bot.documents.records import ExportError
from bot.documents.words import date_parts, long_date, place_name, plain_text

# --- DOCX ----------------------------------------------------------------------------------

_FONT = "Times New Roman"
BODY_PT = 14
HEADER_PT = 13
TEXT_WIDTH_CM = 21.0 - 3.0 - 2.0  # A4 minus left and right margins
LEFT_HEADER_CM = 6.0
RIGHT_HEADER_CM = TEXT_WIDTH_CM - LEFT_HEADER_CM
SIGNATURE_HINT = "(Ký, ghi rõ họ tên)"

# A body paragraph's runs: (text, "b" for bold / "i" for italic / "" for neither).
Runs = Iterable[tuple[str, str]]


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


def docx_title(doc: DocxDocument, title: str, subtitle: str, details: Iterable[str]) -> None:
    """The document's title, what it is about, its details in italics, and a short rule."""
    docx_line(doc.add_paragraph(), title, bold=True, space_before=18)
    docx_line(doc.add_paragraph(), subtitle, bold=True)
    for detail in details:
        docx_line(doc.add_paragraph(), detail, italic=True)
    docx_rule(doc.add_paragraph(), length_cm=4.0, cell_cm=TEXT_WIDTH_CM)


def docx_signatures(doc: DocxDocument, chair_title: str) -> _Cell:
    """The signature block: the chair signs on the right; the left cell is the caller's."""
    doc.add_paragraph()
    half = TEXT_WIDTH_CM / 2
    signatures = docx_grid(doc, (half, half))
    left, right = signatures.rows[0].cells
    docx_line(right.paragraphs[0], plain_text(chair_title).upper(), size=BODY_PT, bold=True)
    docx_line(right.add_paragraph(), SIGNATURE_HINT, size=BODY_PT, italic=True)
    return left


# The signature block of a notice the chair signs for the committee (Decree 30/2020, Appendix I).
ON_BEHALF = "TM. ỦY BAN NHÂN DÂN"
CHAIR = "CHỦ TỊCH"
_SIGNING_ROOM_LINES = 4  # empty lines for the signature and the seal


def docx_signed(doc: DocxDocument, chair_name: str | None, recipients: Sequence[str]) -> _Cell:
    """The foot of a notice: "Nơi nhận:" and its lines bottom left; on the right
    "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", room to sign and seal, and the chair's name if known."""
    doc.add_paragraph()
    half = TEXT_WIDTH_CM / 2
    left, right = docx_grid(doc, (half, half)).rows[0].cells
    docx_left(left.paragraphs[0], "Nơi nhận:", size=12, bold=True, italic=True)
    for line in recipients:
        docx_left(left.add_paragraph(), line, size=11)
    docx_line(right.paragraphs[0], ON_BEHALF, size=BODY_PT, bold=True)
    docx_line(right.add_paragraph(), CHAIR, size=BODY_PT, bold=True)
    for _ in range(_SIGNING_ROOM_LINES):
        right.add_paragraph()
    name = " ".join(plain_text(chair_name or "").split())
    if name:
        docx_line(right.add_paragraph(), name, size=BODY_PT, bold=True)
    return left


def docx_bytes(doc: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def docx_fonts(doc: DocxDocument) -> None:
    """Times New Roman 14 everywhere, Vietnamese language, also for the theme-font defaults."""
    normal = doc.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    _fixed_fonts(rpr)
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
            _fixed_fonts(rpr_default)


def _fixed_fonts(rpr: BaseOxmlElement) -> None:
    """The run properties name our font for every script, and no theme font overrides it."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attribute), _FONT)


def docx_grid(doc: DocxDocument, widths_cm: tuple[float, ...]) -> Table:
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
    _sort_tblpr(tbl_pr)
    docx_widths(table, widths_cm)
    return table


def docx_table(doc: DocxDocument, rows: int, widths_cm: tuple[float, ...]) -> Table:
    """A ruled table of fixed column widths at the end of the body, its cells still empty."""
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    docx_widths(table, widths_cm)
    return table


def docx_widths(table: Table, widths_cm: tuple[float, ...]) -> None:
    """Fixed column widths, set on the cells too (Word reads the cells, LibreOffice the columns)."""
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


# Schema order of the children of w:tblPr, so Word accepts the table.
_TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
)


def _sort_tblpr(tbl_pr: BaseOxmlElement) -> None:
    def rank(element: BaseOxmlElement) -> int:
        local = element.tag.rsplit("}", 1)[-1]
        return _TBLPR_ORDER.index(local) if local in _TBLPR_ORDER else len(_TBLPR_ORDER)

    children = sorted(tbl_pr, key=rank)
    for child in children:
        tbl_pr.remove(child)
    for child in children:
        tbl_pr.append(child)


def docx_line(
    paragraph: Paragraph,
    text: str,
    *,
    size: int = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    space_before: int = 0,
) -> Paragraph:
    """A centred line (header block, title, signatures)."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(space_before)
    _styled_run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def docx_left(paragraph: Paragraph, text: str, *, size: int, bold: bool = False, italic: bool = False) -> None:
    """A left-aligned line in a smaller size (the list of recipients)."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _styled_run(paragraph, text, size=size, bold=bold, italic=italic)


def _styled_run(paragraph: Paragraph, text: str, *, size: int, bold: bool, italic: bool) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    # None, not False: the run inherits instead of switching the style off explicitly.
    run.bold = bold or None
    run.italic = italic or None


def docx_body(paragraph: Paragraph, runs: Runs) -> Paragraph:
    """A justified body paragraph with a first-line indent; runs are (text, 'b'/'i'/'')."""
    if paragraph._p.pPr is None:  # a new paragraph: its XML made directly (long documents)
        paragraph_format(
            paragraph._p, align="both", first_line_twips=BODY_INDENT_TWIPS, after_twips=BODY_AFTER_TWIPS
        )
        add_runs(paragraph._p, runs)
        return paragraph
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    paragraph.paragraph_format.space_after = Pt(6)
    for text, style in runs:
        run = paragraph.add_run(text)
        run.bold = "b" in style or None
        run.italic = "i" in style or None
    return paragraph


def docx_paragraph(doc: DocxDocument) -> Paragraph:
    """A new paragraph at the end of the body, in constant time (python-docx's own
    ``add_paragraph`` searches the whole body each time)."""
    return paragraph_at_end(doc)


def docx_heading(doc: DocxDocument, text: str) -> None:
    """An item's bold heading, kept on the page of the lines that follow it."""
    heading = paragraph_at_end(doc)
    paragraph_format(
        heading._p, keep_next=True, before_twips=Pt(6).twips, after_twips=BODY_AFTER_TWIPS,
        first_line_twips=BODY_INDENT_TWIPS, align="both",
    )
    add_runs(heading._p, [(text, "b")])


def docx_rule(paragraph: Paragraph, *, length_cm: float, cell_cm: float) -> None:
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
    # w:pBdr goes before these siblings of w:pPr (schema order; Word refuses a file without it).
    ppr.insert_element_before(
        borders,
        "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange",
    )


def docx_page_numbers(section: Section) -> None:
    """Page numbers centred at the top, from the second page on (Decree 30/2020)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    # A sized run made by python-docx, then moved inside the field: the number's font size.
    run = paragraph.add_run("2")
    run.font.size = Pt(HEADER_PT)
    run._r.getparent().remove(run._r)
    field.append(run._r)
    paragraph._p.append(field)


# --- XLSX ----------------------------------------------------------------------------------

# A table's columns: (key, Vietnamese header) in sheet order.
Columns = Sequence[tuple[str, str]]

_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_TO_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells staff are meant to fill in


def xlsx_workbook(title: str, unit_name: str) -> Workbook:
    """A new workbook whose properties name the document and the unit that made it."""
    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = plain_text(unit_name)
    workbook.properties.language = "vi-VN"
    return workbook


def xlsx_table(
    sheet: Worksheet,
    columns: Columns,
    widths: Mapping[str, int],
    rows: Iterable[Sequence[object]],
    *,
    to_fill: Collection[str] = (),
) -> None:
    """The header and the rows in the house style; the columns in ``to_fill`` are shaded for
    staff to fill in, and hold what they type as text (a date typed stays dd/mm/yyyy)."""
    keys = [key for key, _ in columns]
    sheet.append([header for _, header in columns])
    for row in rows:
        sheet.append(list(row))
    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths[key]
    # Each kind of cell (header, to fill, date, other) is styled once and the others copy its
    # style: openpyxl hashes every style object it is given, which took most of the time.
    styles: dict[tuple[bool, bool, bool], StyleArray] = {}
    for cells in sheet.iter_rows(max_col=len(keys)):
        lines = 1
        header = cells[0].row == 1
        for key, cell in zip(keys, cells, strict=True):
            value = cell.value
            if value is not None:
                lines = max(lines, _lines(str(value), widths[key]))
            if isinstance(value, str) and not header:
                cell.data_type = "s"  # a text starting with '=' is text, not a formula
            kind = (header, key in to_fill and not header, isinstance(value, (date, datetime)) and not header)
            if kind in styles:
                cell._style = StyleArray(styles[kind])
            else:
                _style_cell(cell, *kind)
                styles[kind] = StyleArray(cell._style)
        if to_fill and cells[0].row > 1:
            lines = max(lines, _ROOM_TO_WRITE_LINES)
        # Set, not left to the program: not every one fits a wrapped row to its text on opening,
        # and a printout with overlapping or clipped lines cannot be read.
        sheet.row_dimensions[cells[0].row].height = min(lines * _LINE_PT + 2, _MAX_ROW_PT)
    xlsx_frame(sheet, keys, sum(widths[key] for key in keys))


def _style_cell(cell: Cell, header: bool, to_fill: bool, dated: bool) -> None:
    cell.alignment = _WRAP
    if header:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    if to_fill:
        cell.fill = _TO_FILL
        cell.number_format = "@"
    if dated:
        cell.number_format = "DD/MM/YYYY"


# Row heights: a line of the default 11 pt font is 15 pt; Excel allows at most 409 pt a row.
_LINE_PT = 15
_MAX_ROW_PT = 409
# A row staff fill in (by hand on the printout, or typing) has room for a few lines of answer.
_ROOM_TO_WRITE_LINES = 4
# Wider than this (in characters) a sheet prints across an A4 landscape page.
_PORTRAIT_MAX_WIDTH = 100


def _lines(text: str, width: float) -> int:
    """How many lines a wrapped text takes in a column `width` characters wide (a little
    more rather than less: wrapping at words leaves the ends of lines short)."""
    per_line = max(int(width) - 2, 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def xlsx_frame(sheet: Worksheet, keys: Sequence[str], width: float) -> None:
    """Frozen header and filter; printed on A4 one page wide (landscape when the columns are
    wide), narrow margins, the header row repeated on every page, page numbers at the foot."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(sheet.max_row, 1)}"
    sheet.page_setup.orientation = "landscape" if width > _PORTRAIT_MAX_WIDTH else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "Trang &P/&N"


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- CSV -----------------------------------------------------------------------------------

# What makes Excel run a cell as a formula when it opens a CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell of a CSV staff open in Excel: a text that would run as a formula gets a leading
    apostrophe (the answer import removes it again)."""
    text = "" if value is None else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


# --- File names ----------------------------------------------------------------------------

EXTENSION_PATTERN = re.compile(r"^[a-z0-9]{1,10}$")


def ascii_slug(text: str) -> str:
    """'Hội nghị Đối thoại' -> 'hoi-nghi-doi-thoai': ASCII letters, digits and dashes only."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")
    ascii_only = stripped.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


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
