"""After the meeting: the results as files, the public notice (DOCX) and the table (XLSX).

The law asks for the results within :data:`RESULTS_DEADLINE_DAYS` days of the meeting, also
to the heads of residential groups: what each item was, how it was dealt with, the answer,
who gave it, and for forwarded items the agency, the due date and the agency's final answer.
No resident's name is in the data; phone numbers and e-mail addresses in any free text are
masked like in the agenda. Pure functions from a :class:`ResultsDocument` to bytes.
"""

from __future__ import annotations

from datetime import date, timedelta

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from bot.documents.labels import DISPOSITION_LABELS, FORWARD_STATES, ResultStatus, result_status
from bot.documents.records import ExportError, ResultConcern, ResultEntry, ResultsDocument
from bot.documents.style import (
    HEADER_PT,
    Runs,
    document_filename,
    docx_body,
    docx_bytes,
    docx_heading,
    docx_paragraph,
    docx_official,
    docx_signed,
    docx_title,
    docx_widths,
    xlsx_bytes,
    xlsx_table,
    xlsx_workbook,
)
from bot.documents.words import (
    as_sentence,
    committee_name,
    date_parts,
    day_of,
    day_text,
    free_text,
    plain_text,
    recipients,
    spoken_time,
)
from bot.domain.vocabulary import Disposition

# The law: results are published no later than this many days after the meeting.
RESULTS_DEADLINE_DAYS = 10


def results_deadline(held_on: date) -> date:
    """The last day to publish the results of a meeting held on ``held_on``."""
    return held_on + timedelta(days=RESULTS_DEADLINE_DAYS)


# --- What the documents count ----------------------------------------------------------------


def _forward_state(entry: ResultEntry, today: date | None) -> ResultStatus:
    """Where a forwarded item stands, from its own dates (the summary never trusts free text)."""
    final_at = day_of(entry.final_at)
    if final_at is None and entry.final_answer and entry.final_answer.strip():
        final_at = date.min  # answered, date unknown: count it as answered, not as overdue
    return result_status(
        Disposition.FORWARDED, due_date=day_of(entry.due_date), final_at=final_at, today=today or date.min
    )


def _check(document: ResultsDocument) -> None:
    if not document.entries:
        raise ExportError("refusal.export_empty_results")
    for entry in document.entries:
        if entry.disposition not in DISPOSITION_LABELS:
            raise ExportError("refusal.export_disposition", number=entry.number, disposition=entry.disposition)
    if document.satisfied < 0 or document.unsatisfied < 0:
        raise ExportError("refusal.export_satisfaction")


def _clean(text: str | None) -> str:
    """Free text for a published document: NFC, no phone numbers, no stray spaces."""
    return free_text(text or "").strip()


_Counts = tuple[dict[Disposition, int], dict[Disposition, int], dict[ResultStatus, int], dict[ResultStatus, int]]


def _counts(document: ResultsDocument) -> _Counts:
    """Items and concerns per disposition, and per state of the forwarded items."""
    today = day_of(document.generated_at)
    items = dict.fromkeys(DISPOSITION_LABELS, 0)
    concerns = dict.fromkeys(DISPOSITION_LABELS, 0)
    forward_items = dict.fromkeys(FORWARD_STATES, 0)
    forward_concerns = dict.fromkeys(FORWARD_STATES, 0)
    for entry in document.entries:
        disposition = Disposition(entry.disposition)
        items[disposition] += 1
        concerns[disposition] += len(entry.concerns)
        if disposition is Disposition.FORWARDED:
            state = _forward_state(entry, today)
            forward_items[state] += 1
            forward_concerns[state] += len(entry.concerns)
    return items, concerns, forward_items, forward_concerns


# --- DOCX ----------------------------------------------------------------------------------

_TITLE = "THÔNG BÁO KẾT QUẢ HỘI NGHỊ ĐỐI THOẠI"
_NUMBER_LINE = "Số:        /TB-UBND"


def results_docx(document: ResultsDocument) -> bytes:
    """The public notice of the meeting's results, as a DOCX in the agenda's layout (Decree 30/2020)."""
    _check(document)

    doc = docx_official(
        _clean(f"Thông báo kết quả hội nghị đối thoại - {document.meeting_title}"),
        document.unit_name,
        document.generated_at,
        number_line=_NUMBER_LINE,
    )
    docx_title(
        doc,
        _TITLE,
        _clean(document.meeting_title),
        (
            f"Thời gian: {as_sentence(spoken_time(document.held_at))}",
            f"Địa điểm: {as_sentence(_clean(document.place))}",
        ),
    )
    committee = committee_name(document.unit_name)
    docx_body(docx_paragraph(doc), [(_opening(document, committee), "")])

    _docx_section(doc, "I. KẾT QUẢ TRẢ LỜI CÁC Ý KIẾN, KIẾN NGHỊ")
    for entry in document.entries:
        _docx_entry(doc, entry)

    _docx_section(doc, "II. TỔNG HỢP KẾT QUẢ")
    _docx_summary(doc, document)

    _docx_section(doc, "III. Ý KIẾN PHẢN HỒI CỦA NGƯỜI DÂN")
    docx_body(docx_paragraph(doc), [(_satisfaction(document), "")])

    closing = docx_body(docx_paragraph(doc), [(_closing(document, committee), "")])
    closing.paragraph_format.space_before = Pt(6)

    # "Nơi nhận" and the signature. The results go to the residential groups' heads too (the law).
    docx_signed(
        doc, document.chair_name, recipients(document.unit_name, document.levels, posted="Niêm yết công khai")
    )
    return docx_bytes(doc)


def _opening(document: ResultsDocument, committee: str) -> str:
    """When the meeting was, who chaired it, and how much the notice answers."""
    items, concerns, _, _ = _counts(document)
    held = date_parts(document.held_at)
    if held is not None:
        held_text = f"ngày {held[0]:02d}/{held[1]:02d}/{held[2]}"
    else:
        held_text = plain_text(document.held_at).strip()
    return (
        f"Vào {held_text}, {_clean(document.chair_title)} đã chủ trì hội nghị đối thoại với "
        f"Nhân dân. {committee} thông báo kết quả trả lời {sum(items.values())} nội dung "
        f"({sum(concerns.values())} ý kiến, kiến nghị) của Nhân dân như sau:"
    )


def _closing(document: ResultsDocument, committee: str) -> str:
    """The closing sentence; it promises a follow-up while a forwarded item has no answer yet."""
    today = day_of(document.generated_at)
    pending = any(
        e.disposition == Disposition.FORWARDED
        and _forward_state(e, today) in (ResultStatus.WAITING, ResultStatus.OVERDUE)
        for e in document.entries
    )
    closing = f"{committee} thông báo để Nhân dân được biết."
    if pending:
        closing += (
            " Các nội dung đã chuyển cơ quan chức năng tiếp tục được theo dõi, đôn đốc"
            " và thông báo kết quả khi có trả lời."
        )
    return closing


def _docx_section(doc: DocxDocument, text: str) -> None:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = True
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.space_after = Pt(6)
    paragraph.paragraph_format.keep_with_next = True


def _docx_entry(doc: DocxDocument, entry: ResultEntry) -> None:
    """An item: heading, topic, its concerns, the answer and, if forwarded, the follow-up."""
    docx_heading(doc, f"{entry.number}. {_clean(entry.title)}")
    docx_body(docx_paragraph(doc), [("Lĩnh vực: ", "i"), (as_sentence(_clean(entry.topic)), "")])
    for concern in entry.concerns:
        runs = [
            ("- ", ""),
            (plain_text(concern.code).strip(), "b"),
            (f" ({_clean(concern.area)}): ", ""),
            (as_sentence(_clean(concern.text)), ""),
        ]
        if concern.followers > 0:
            runs.append((f" Số người dân quan tâm: {concern.followers}.", "i"))
        docx_body(docx_paragraph(doc), runs)
    label = DISPOSITION_LABELS[Disposition(entry.disposition)]
    docx_body(docx_paragraph(doc), [("Hình thức trả lời: ", "i"), (as_sentence(label), "")])
    docx_body(docx_paragraph(doc), [("Nội dung trả lời: ", "i"), (as_sentence(_clean(entry.answer)), "")])
    docx_body(docx_paragraph(doc), [("Người trả lời: ", "i"), (as_sentence(_clean(entry.answered_by)), "")])
    if entry.disposition == Disposition.FORWARDED:
        docx_body(
            docx_paragraph(doc),
            [
                ("Cơ quan được chuyển: ", "i"), (as_sentence(_clean(entry.forwarded_to) or "-") + " ", ""),
                ("Hạn giải quyết: ", "i"), (as_sentence(plain_text(entry.due_date or "-").strip()), ""),
            ],
        )
        docx_body(docx_paragraph(doc), _final_answer(entry))
    docx_body(docx_paragraph(doc), [("Tình trạng: ", "i"), (as_sentence(_clean(entry.status)), "b")])


def _final_answer(entry: ResultEntry) -> Runs:
    """The agency's final answer to a forwarded item, with its date when known."""
    final = _clean(entry.final_answer)
    if not final:
        return [("Kết quả giải quyết của cơ quan: ", "i"), ("chưa có trả lời.", "")]
    when = f" (ngày {day_text(entry.final_at)})" if day_of(entry.final_at) is not None else ""
    return [("Kết quả giải quyết của cơ quan" + when + ": ", "i"), (as_sentence(final), "")]


_SUMMARY_WIDTHS_CM = (10.0, 3.0, 3.0)


def _docx_summary(doc: DocxDocument, document: ResultsDocument) -> None:
    """Items and concerns by disposition, forwarded items split by on time / overdue."""
    items, concerns, forward_items, forward_concerns = _counts(document)
    rows: list[tuple[str, int | str, int | str, str]] = [
        ("Hình thức trả lời", "Số nội dung", "Số ý kiến", "b")
    ]
    for disposition, label in DISPOSITION_LABELS.items():
        rows.append((label, items[disposition], concerns[disposition], ""))
        if disposition is Disposition.FORWARDED:
            for state in FORWARD_STATES:
                sub = f"Trong đó: {state[0].lower()}{state[1:]}"
                rows.append((sub, forward_items[state], forward_concerns[state], "i"))
    rows.append(("Tổng cộng", sum(items.values()), sum(concerns.values()), "b"))

    table = doc.add_table(rows=len(rows), cols=len(_SUMMARY_WIDTHS_CM))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    docx_widths(table, _SUMMARY_WIDTHS_CM)
    for cells, (label, item_count, concern_count, style) in zip(table.rows, rows, strict=True):
        for index, (cell, value) in enumerate(zip(cells.cells, (label, item_count, concern_count), strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if index == 0 else WD_ALIGN_PARAGRAPH.CENTER
            if index == 0 and style == "i":
                paragraph.paragraph_format.left_indent = Cm(0.5)
            run = paragraph.add_run(str(value))
            run.font.size = Pt(HEADER_PT)
            run.bold = "b" in style or None
            run.italic = "i" in style or None


def _satisfaction(document: ResultsDocument) -> str:
    total = document.satisfied + document.unsatisfied
    if total == 0:
        return "Chưa có ý kiến phản hồi của người dân về nội dung trả lời."
    percent = (200 * document.satisfied + total) // (2 * total)  # rounded half up, whole percent
    return (
        f"Có {total} lượt phản hồi về nội dung trả lời: {document.satisfied} lượt hài lòng "
        f"({percent}%), {document.unsatisfied} lượt chưa hài lòng."
    )


# --- XLSX ----------------------------------------------------------------------------------

RESULTS_SHEET = "Kết quả"
RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item_number", "STT mục"),
    ("code", "Mã ý kiến"),
    ("area", "Khu vực"),
    ("text", "Nội dung"),
    ("disposition", "Hình thức trả lời"),
    ("answer", "Nội dung trả lời"),
    ("answered_by", "Người trả lời"),
    ("forwarded_to", "Cơ quan được chuyển"),
    ("due_date", "Hạn"),
    ("final_answer", "Trả lời cuối cùng"),
    ("status", "Tình trạng"),
)
# Narrow enough that eleven columns print one A4 landscape page wide at a readable size
# (the long texts wrap; rows grow to fit them).
_RESULT_WIDTHS = {
    "item_number": 6,
    "code": 10,
    "area": 18,
    "text": 40,
    "disposition": 16,
    "answer": 40,
    "answered_by": 16,
    "forwarded_to": 18,
    "due_date": 11,
    "final_answer": 30,
    "status": 16,
}


def results_xlsx(document: ResultsDocument) -> bytes:
    """The results as a workbook: one row per concern, so each area can filter its own."""
    _check(document)

    workbook = xlsx_workbook(_clean(f"Kết quả hội nghị đối thoại - {document.meeting_title}"), document.unit_name)
    workbook.active.title = RESULTS_SHEET
    keys = [key for key, _ in RESULT_COLUMNS]
    rows = (
        [row[key] for key in keys]
        for entry in document.entries
        # An item without concerns still gets its row: the answer must not vanish from the table.
        for row in (_result_row(entry, concern) for concern in entry.concerns or (None,))
    )
    xlsx_table(workbook.active, RESULT_COLUMNS, _RESULT_WIDTHS, rows)
    return xlsx_bytes(workbook)


def _result_row(entry: ResultEntry, concern: ResultConcern | None) -> dict[str, object]:
    forwarded = entry.disposition == Disposition.FORWARDED
    final = _clean(entry.final_answer) if forwarded else ""
    if final and day_of(entry.final_at) is not None:
        final += f" (ngày {day_text(entry.final_at)})"
    due = day_of(entry.due_date) if forwarded else None
    return {
        "item_number": entry.number,
        "code": plain_text(concern.code).strip() if concern else None,
        "area": _clean(concern.area) if concern else None,
        "text": _clean(concern.text) if concern else None,
        "disposition": DISPOSITION_LABELS[Disposition(entry.disposition)],
        "answer": _clean(entry.answer) or None,
        "answered_by": _clean(entry.answered_by) or None,
        "forwarded_to": (_clean(entry.forwarded_to) or None) if forwarded else None,
        # A real date sorts and filters as one; text that is not a date stays as it was given.
        "due_date": due if due is not None else (plain_text(entry.due_date or "").strip() or None) if forwarded else None,
        "final_answer": final or None,
        "status": _clean(entry.status) or None,
    }


# --- File names ------------------------------------------------------------------------------


def results_filename(document: ResultsDocument, extension: str) -> str:
    """A safe ASCII name: 'ket-qua-hoi-nghi-12-20261220.docx' (the meeting's date)."""
    return document_filename(f"Kết quả hội nghị {document.meeting_id}", document.held_at, extension)
