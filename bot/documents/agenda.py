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
from docx.shared import Pt

from bot.documents import answer_sheet
from bot.documents.records import AgendaConcern, AgendaDocument, AgendaEntry, ExportError
from bot.documents.style import (
    BODY_PT,
    SIGNATURE_HINT,
    csv_cell,
    document_filename,
    docx_body,
    docx_bytes,
    docx_heading,
    docx_paragraph,
    docx_line,
    docx_official,
    docx_signatures,
    docx_title,
    xlsx_bytes,
    xlsx_table,
    xlsx_workbook,
)
from bot.documents.words import AREA_SEPARATOR, as_sentence, duration, free_text, plain_text, spoken_time

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
    """The summary of residents' concerns for the chair, as a DOCX (Decree 30/2020 layout)."""
    _check(document)

    doc = docx_official(
        f"Tổng hợp ý kiến, kiến nghị - {document.meeting_title}", document.unit_name, document.generated_at
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

    for entry in document.entries:
        _docx_entry(doc, entry)

    entries = document.entries
    items, residents, minutes = len(entries), sum(e.residents for e in entries), sum(e.minutes for e in entries)
    closing = docx_body(
        docx_paragraph(doc),
        [
            ("Tổng cộng: ", "b"),
            (
                f"{items} nội dung; {residents} lượt người dân nêu, kiến nghị; "
                f"thời lượng dự kiến {duration(minutes)}.",
                "",
            ),
        ],
    )
    closing.paragraph_format.space_before = Pt(12)

    preparer = docx_signatures(doc, document.chair_title)
    docx_line(preparer.paragraphs[0], "NGƯỜI LẬP", size=BODY_PT, bold=True)
    docx_line(preparer.add_paragraph(), SIGNATURE_HINT, size=BODY_PT, italic=True)
    return docx_bytes(doc)


def _docx_entry(doc: DocxDocument, entry: AgendaEntry) -> None:
    """An item: its heading, what it is about, and each of its concerns."""
    docx_heading(doc, f"{entry.number}. {free_text(entry.title).strip()}")
    areas = AREA_SEPARATOR.join(plain_text(a) for a in entry.areas) or "-"
    docx_body(
        docx_paragraph(doc),
        [
            ("Lĩnh vực: ", "i"), (as_sentence(plain_text(entry.topic)) + " ", ""),
            ("Khu vực: ", "i"), (as_sentence(areas) + " ", ""),
            ("Số người dân nêu: ", "i"), (f"{entry.residents}. ", ""),
            ("Cơ quan tham mưu: ", "i"), (as_sentence(plain_text(entry.agency)) + " ", ""),
            ("Thời lượng dự kiến: ", "i"), (f"{duration(entry.minutes)}.", ""),
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
        docx_body(docx_paragraph(doc), runs)


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
