"""The chair's agenda as files: DOCX for reading and printing, XLSX and CSV for filling in.

Pure functions from an :class:`AgendaDocument` to bytes; nothing here talks to a chat
platform or the database. The XLSX main sheet (and the CSV) is also the form the answers
come back on after the meeting: see :mod:`bot.documents.answer_sheet`. The second sheet of
the XLSX lists every concern of every item.

Residents' personal data: an author's name is printed only when the caller passes one
(the resident agreed to it being shown), and phone numbers and e-mail addresses in free text
(a concern, a title, a name) are masked.
"""

from __future__ import annotations

import csv
import io

from docx.document import Document as DocxDocument

from bot.documents import answer_sheet
from bot.documents.ooxml import cell_lines, header_row, row_cells
from bot.documents.records import AgendaConcern, AgendaDocument, AgendaEntry, ExportError
from bot.documents.style import (
    BODY_PT,
    SIGNATURE_HINT,
    csv_cell,
    document_filename,
    docx_body,
    docx_bytes,
    docx_paragraph,
    docx_line,
    docx_official,
    docx_signatures,
    docx_table,
    docx_title,
    xlsx_bytes,
    xlsx_table,
    xlsx_workbook,
)
from bot.documents.words import as_sentence, duration, free_text, plain_text, spoken_time

# The second sheet: every concern of every item.
CONCERN_SHEET = "Ý kiến"
CONCERN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item_number", "STT mục"),
    ("code", "Mã ý kiến"),
    ("area", "Khu vực"),
    ("text", "Nội dung"),
    ("author", "Người nêu"),
)
_CONCERN_WIDTHS = {"item_number": 8, "code": 12, "area": 30, "text": 80, "author": 24}

_TITLE = "TỔNG HỢP Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN"


def _check(document: AgendaDocument) -> None:
    if not document.entries:
        raise ExportError("refusal.export_empty_agenda")


def _author(concern: AgendaConcern) -> str | None:
    if concern.author is None:
        return None
    name = " ".join(free_text(concern.author).split())
    return name or None


# --- DOCX ----------------------------------------------------------------------------------


def agenda_docx(document: AgendaDocument) -> bytes:
    """The summary of residents' concerns for the chair, as a DOCX (Decree 30/2020 layout):
    the administrative heading with its number line, then one table row per agenda item."""
    _check(document)

    doc = docx_official(
        f"Tổng hợp ý kiến, kiến nghị - {document.meeting_title}", document.unit_name, document.generated_at,
        number_line=NUMBER_LINE,
    )
    docx_title(
        doc,
        _TITLE,
        plain_text(document.meeting_title).strip(),
        (
            f"Thời gian: {as_sentence(spoken_time(document.starts_at))} "
            f"Hình thức: {as_sentence(plain_text(document.format_label))}",
            f"Địa điểm: {as_sentence(plain_text(document.place))}",
        ),
    )
    docx_body(docx_paragraph(doc), [(f"Số liệu tổng hợp đến {spoken_time(document.generated_at)}.", "i")])
    _docx_table(doc, document.entries)

    preparer = docx_signatures(doc, document.chair_title)
    docx_line(preparer.paragraphs[0], "NGƯỜI LẬP", size=BODY_PT, bold=True)
    docx_line(preparer.add_paragraph(), SIGNATURE_HINT, size=BODY_PT, italic=True)
    return docx_bytes(doc)


# The agenda's number line: a report (báo cáo) of the committee, numbered when it is issued.
NUMBER_LINE = "Số:        /BC-UBND"
# The table's columns and their widths (cm), filling the 16 cm between the margins.
TABLE_COLUMNS: tuple[tuple[str, float], ...] = (
    ("STT", 1.3),
    ("Nội dung", 5.9),
    ("Khu vực", 2.8),
    ("Số người nêu", 1.7),
    ("Cơ quan tham mưu", 2.5),
    ("Thời lượng", 1.8),
)
_TABLE_PT = 12
_HEADER_PT = 11


def _docx_table(doc: DocxDocument, entries: tuple[AgendaEntry, ...]) -> None:
    """One row per item, the header row repeated on every page, a total row at the end."""
    widths = tuple(width for _, width in TABLE_COLUMNS)
    table = docx_table(doc, len(entries) + 2, widths)
    rows = table._tbl.tr_lst
    header_row(rows[0], [header for header, _ in TABLE_COLUMNS], size_pt=_HEADER_PT)
    for tr, entry in zip(rows[1:], entries, strict=False):
        number, content, areas, residents, agency, minutes = row_cells(tr)
        cell_lines(number, [[(str(entry.number), "")]], size_pt=_TABLE_PT, align="center")
        cell_lines(content, _content(entry), size_pt=_TABLE_PT)
        cell_lines(
            areas, [[(plain_text(a), "")] for a in entry.areas] or [[("-", "")]], size_pt=_TABLE_PT
        )
        cell_lines(residents, [[(str(entry.residents), "")]], size_pt=_TABLE_PT, align="center")
        cell_lines(agency, [[(plain_text(entry.agency).strip() or "-", "")]], size_pt=_TABLE_PT)
        cell_lines(minutes, [[(f"{entry.minutes} phút", "")]], size_pt=_TABLE_PT, align="center")
    cells = row_cells(rows[-1])
    cell_lines(cells[0], [[("", "")]], size_pt=_TABLE_PT)
    cell_lines(cells[1], [[(f"Tổng cộng: {len(entries)} nội dung", "b")]], size_pt=_TABLE_PT)
    cell_lines(cells[2], [[("", "")]], size_pt=_TABLE_PT)
    cell_lines(cells[3], [[(str(sum(e.residents for e in entries)), "b")]], size_pt=_TABLE_PT, align="center")
    cell_lines(cells[4], [[("", "")]], size_pt=_TABLE_PT)
    cell_lines(
        cells[5], [[(duration(sum(e.minutes for e in entries)), "b")]], size_pt=_TABLE_PT, align="center"
    )


def _content(entry: AgendaEntry) -> list[list[tuple[str, str]]]:
    """What an item is: its title, its topic, and each of its concerns (with its author's
    name only where the resident agreed)."""
    lines: list[list[tuple[str, str]]] = [
        [(free_text(entry.title).strip(), "b")],
        [("Lĩnh vực: ", "i"), (as_sentence(plain_text(entry.topic)), "")],
    ]
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
        lines.append(runs)
    return lines


# --- XLSX and CSV ----------------------------------------------------------------------------


def agenda_xlsx(document: AgendaDocument) -> bytes:
    """The agenda as a workbook: the answer sheet (one row per item with empty answer
    columns), and every concern."""
    _check(document)

    workbook = xlsx_workbook(
        plain_text(f"Chương trình hội nghị đối thoại - {document.meeting_title}"), document.unit_name
    )
    answer_sheet.write_sheet(workbook, document)
    concerns = (
        [entry.number, plain_text(concern.code), plain_text(concern.area), free_text(concern.text), _author(concern)]
        for entry in document.entries
        for concern in entry.concerns
    )
    xlsx_table(workbook.create_sheet(CONCERN_SHEET), CONCERN_COLUMNS, _CONCERN_WIDTHS, concerns)
    return xlsx_bytes(workbook)


def agenda_csv(document: AgendaDocument) -> bytes:
    """The answer sheet as CSV: UTF-8 with BOM (Excel on Windows), comma, CRLF."""
    _check(document)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in answer_sheet.AGENDA_COLUMNS])
    for row in answer_sheet.sheet_rows(document):
        writer.writerow([csv_cell(row[key]) for key, _ in answer_sheet.AGENDA_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


# --- File names ----------------------------------------------------------------------------


def export_filename(document: AgendaDocument, extension: str) -> str:
    """A safe ASCII name: 'chuong-trinh-hoi-nghi-12-20261220.docx'."""
    return document_filename(f"Chương trình hội nghị {document.meeting_id}", document.starts_at, extension)
