"""After the meeting: the answers come back in on the agenda sheet, the results go out as files.

Two halves, both pure functions from bytes or plain data to plain data or bytes (no database,
no Telegram, no storage):

* :func:`parse_answers_xlsx` / :func:`parse_answers_csv` read the agenda sheet written by
  :func:`bot.documents.export.agenda_xlsx` / :func:`bot.documents.export.agenda_csv` once staff have filled in the
  answer columns. They never raise on bad input: every row that cannot be used becomes a
  :class:`SheetProblem` (row number as the spreadsheet shows it, column header, a short
  Vietnamese sentence for ward staff) and every good row an :class:`AnswerRow`. A problem on
  row 0 (not a readable file) or row 1 (wrong meeting, missing columns) means the file as a
  whole is unusable, and then no rows are returned at all, so a caller that imports "the good
  rows" can never write answers read from the wrong file.
* :func:`results_docx` / :func:`results_xlsx` publish the results (the law asks for them within
  :data:`RESULTS_DEADLINE_DAYS` days of the meeting, also to the heads of residential groups):
  what each item was, how it was dealt with, the answer, who gave it, and for forwarded items
  the agency, the due date and the agency's final answer. No resident's name is in the data;
  phone numbers in any free text are redacted like in the agenda.

The caller still has to check that every imported ``item_id`` belongs to the meeting: the
workbook's meeting property is only a best-effort guard (a CSV has none, and a sheet rebuilt
in another program may lose it).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import openpyxl
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.documents.export import (
    AGENDA_COLUMNS,
    AGENDA_SHEET,
    BODY_PT,
    DISPOSITION_LABELS,
    FORMULA_START,
    HEADER_PT,
    TEXT_WIDTH_CM,
    UNIT_KINDS,
    XLSX_MEETING_PROPERTY,
    ExportError,
    as_sentence,
    date_parts,
    disposition_from_label,
    document_filename,
    docx_body,
    docx_grid,
    docx_line,
    docx_official,
    docx_rule,
    free_text,
    plain_text,
    spoken_time,
    xlsx_frame,
)

# --- Import of the filled agenda sheet -----------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    row: int  # spreadsheet row (the header is row 1), to point staff at it later
    item_id: int  # the agenda item's database id ("Mã mục")
    concern_codes: tuple[str, ...]  # as written in "Mã ý kiến"; informational, () if the column is gone
    disposition: str  # a key of DISPOSITION_LABELS
    answer: str
    forwarded_to: str | None  # only for "forwarded"
    due_date: date | None  # only for "forwarded"
    answered_by: str  # who answered at the meeting, e.g. "Chủ tịch UBND phường"


@dataclass(frozen=True)
class SheetProblem:
    row: int  # 0: the file itself; 1: the header / the workbook; 2…: a data row
    column: str  # the column's header as exported ("" for the whole file or row)
    message: str  # a short Vietnamese sentence for ward staff


@dataclass(frozen=True)
class AnswerSheet:
    rows: tuple[AnswerRow, ...]  # the usable answers, in sheet order
    problems: tuple[SheetProblem, ...]  # by row, then column order of the export


_HEADERS: Mapping[str, str] = dict(AGENDA_COLUMNS)
_COLUMN_ORDER = {key: index for index, (key, _) in enumerate(AGENDA_COLUMNS)}
# Columns without which an answer cannot be read. "Mã ý kiến" is only informational (the item
# id is the key), so a sheet where staff deleted it still imports.
_REQUIRED = ("item_id", "disposition", "answer", "forwarded_to", "due_date", "answered_by")
_OPTIONAL = ("concern_codes",)
# Cells where a leading apostrophe can never be meant literally (ids, dates, dropdown values):
# it is always the "keep this as text" mark. In free text it is removed only where the export
# itself put it, i.e. before a character that would start a formula.
_STRUCTURED = frozenset({"item_id", "disposition", "due_date", "concern_codes"})

# Limits that keep a hostile or mistaken upload from eating the bot's memory. A real answer
# sheet is tens of kilobytes and has one row per agenda item.
MAX_FILE_BYTES = 10 * 1024 * 1024
_MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 2000

_NOT_XLSX = "Tệp không phải bảng tính Excel (.xlsx) đọc được; hãy gửi lại tệp chương trình đã điền"
_NOT_CSV = "Tệp không phải tệp CSV đọc được; hãy gửi lại tệp chương trình đã điền"
_TOO_BIG = "Tệp quá lớn để là bảng trả lời của một hội nghị"
_ONLY_FORWARDED = "chỉ ghi khi hình thức trả lời là “" + DISPOSITION_LABELS["forwarded"] + "”"


def parse_answers_xlsx(content: bytes, *, meeting_id: int, today: date) -> AnswerSheet:
    """The answers on a filled agenda workbook; bad rows become problems, never exceptions."""
    if len(content) > MAX_FILE_BYTES:
        return _unusable(0, _TOO_BIG)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except Exception:  # noqa: BLE001 - zipfile has many ways to say "damaged" (even NotImplementedError)
        return _unusable(0, _NOT_XLSX)
    if unzipped > _MAX_UNZIPPED_BYTES:  # a zip bomb, or certainly not our sheet
        return _unusable(0, _TOO_BIG)
    try:
        # openpyxl warns about extensions it drops (e.g. LibreOffice's) and raises a whole zoo
        # of exceptions on zips that are not workbooks (DOCX, ODS, damaged files): all of them
        # mean the same thing to staff.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    except Exception:  # noqa: BLE001 - see above
        return _unusable(0, _NOT_XLSX)

    found = _workbook_meeting(workbook)
    if isinstance(found, str):
        return _unusable(1, "Không đọc được mã hội nghị trong tệp; hãy xuất lại bảng chương trình của hội nghị này")
    if found is not None and found != meeting_id:
        return _unusable(
            1, f"Tệp này thuộc hội nghị khác (mã {found}), không phải hội nghị đang nhập (mã {meeting_id})"
        )

    sheet = _answer_sheet(workbook)
    if sheet is None:
        return _unusable(0, _NOT_XLSX)
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, ())
    return _read_table(header, enumerate(rows, start=2), today=today)


def parse_answers_csv(content: bytes, *, meeting_id: int, today: date) -> AnswerSheet:
    """The same for the CSV variant (UTF-8, with or without BOM; comma, semicolon or tab).

    ``meeting_id`` is accepted for symmetry with the XLSX import, but a CSV carries no meeting
    id: the caller's check that the item ids belong to the meeting is the only guard here.
    """
    del meeting_id  # nothing in a CSV to compare it with (see the docstring)
    if len(content) > MAX_FILE_BYTES:
        return _unusable(0, _TOO_BIG)
    if content.startswith(b"PK\x03\x04"):
        return _unusable(0, "Tệp là bảng tính Excel (.xlsx), không phải CSV; hãy gửi đúng tệp .xlsx")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" saves in the Windows code page and loses Vietnamese letters.
        return _unusable(0, "Tệp CSV phải lưu bằng mã UTF-8 (trong Excel chọn “CSV UTF-8”)")
    if "\x00" in text:
        return _unusable(0, _NOT_CSV)
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(first_line)))
    except csv.Error:
        return _unusable(0, _NOT_CSV)
    if not records:
        return _unusable(0, _NOT_CSV)
    # One CSV record is one spreadsheet row, even when a quoted answer spans several lines.
    return _read_table(records[0], enumerate(records[1:], start=2), today=today)


def _unusable(row: Literal[0, 1], message: str) -> AnswerSheet:
    return AnswerSheet(rows=(), problems=(SheetProblem(row, "", message),))


def _workbook_meeting(workbook) -> int | str | None:  # type: ignore[no-untyped-def]
    """The meeting id stored in the workbook; None if there is none, the raw text if unreadable."""
    try:
        value = workbook.custom_doc_props[XLSX_MEETING_PROPERTY].value
    except (KeyError, AttributeError):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():  # some programs write numbers as doubles
        return int(value)
    text = str(value).strip()
    return int(text) if text.isdecimal() else text


def _answer_sheet(workbook):  # type: ignore[no-untyped-def]
    """The agenda sheet: by its name, else the first sheet whose header has the answer columns."""
    if AGENDA_SHEET in workbook.sheetnames:
        return workbook[AGENDA_SHEET]
    sheets = workbook.worksheets
    for sheet in sheets:
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        if set(_REQUIRED) <= set(_columns(header)[0]):
            return sheet
    return sheets[0] if sheets else None


def _header_key(value: object) -> str:
    """Header text compared loosely: case, spacing, NFC/NFD and a trailing '(…)' hint don't matter."""
    text = " ".join(plain_text("" if value is None else value).split()).casefold()
    return re.sub(r"\s*\([^()]*\)$", "", text)


_BY_HEADER = {_header_key(header): key for key, header in AGENDA_COLUMNS}


def _columns(header: Sequence[object]) -> tuple[dict[str, int], list[str]]:
    """Column index of each known key, and the keys we read that appear more than once."""
    found: dict[str, int] = {}
    twice: list[str] = []
    for index, value in enumerate(header):
        key = _BY_HEADER.get(_header_key(value))
        if key is None:
            continue  # an extra column staff added: ignored
        if key in found:
            if key in _REQUIRED + _OPTIONAL and key not in twice:
                twice.append(key)
            continue
        found[key] = index
    return found, twice


def _csv_delimiter(first_line: str) -> str:
    """Excel saves CSV with the list separator of the computer's region: ';' in vi-VN."""
    best, best_hits = ",", -1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        hits = sum(_header_key(cell) in _BY_HEADER for cell in cells)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


def _text(value: object, key: str) -> str:
    """A cell as clean text: NFC, stripped, one kind of line break, CSV protection removed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        text = value.strftime("%d/%m/%Y" if midnight else "%d/%m/%Y %H:%M")
    elif isinstance(value, date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = plain_text(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if text.startswith("'") and (key in _STRUCTURED or text[1:].startswith(FORMULA_START)):
        text = text[1:].strip()
    return text


@dataclass(frozen=True)
class _Candidate:
    row: int
    item_id: int | None
    answer: AnswerRow | None  # None when the row has problems
    problems: tuple[SheetProblem, ...]


def _read_table(
    header: Sequence[object], rows: Iterable[tuple[int, Sequence[object]]], *, today: date
) -> AnswerSheet:
    columns, twice = _columns(header)
    if not any(key in columns for key in _REQUIRED):
        # Some other table altogether: one sentence says more than six "missing column" lines.
        return _unusable(1, "Hàng 1 không có các cột của bảng chương trình; hãy gửi lại tệp chương trình đã điền")
    missing = [key for key in _REQUIRED if key not in columns]
    if missing or twice:
        problems = [SheetProblem(1, _HEADERS[key], f"Thiếu cột “{_HEADERS[key]}”") for key in missing]
        problems += [
            SheetProblem(1, _HEADERS[key], f"Cột “{_HEADERS[key]}” xuất hiện nhiều lần; hãy giữ một cột")
            for key in twice
        ]
        return AnswerSheet(rows=(), problems=tuple(problems))

    candidates: list[_Candidate] = []
    limit_problem: list[SheetProblem] = []
    read = 0
    for number, values in rows:
        # Short rows happen: CSV lines with trailing cells dropped, sheets trimmed by hand.
        raw = {key: values[index] if index < len(values) else None for key, index in columns.items()}
        cells = {key: _text(value, key) for key, value in raw.items()}
        if not cells["disposition"] and not cells["answer"]:
            continue  # not answered yet: nothing to import, nothing wrong
        read += 1
        if read > MAX_ROWS:
            limit_problem.append(
                SheetProblem(number, "", f"Bảng có quá {MAX_ROWS} dòng trả lời; từ dòng này trở đi không được đọc")
            )
            break
        candidates.append(_read_row(number, cells, raw["due_date"], today=today))

    # The same item answered twice: which answer is meant cannot be guessed, so neither is taken.
    rows_of: dict[int, list[int]] = {}
    for candidate in candidates:
        if candidate.item_id is not None:
            rows_of.setdefault(candidate.item_id, []).append(candidate.row)
    answers: list[AnswerRow] = []
    problems: list[SheetProblem] = []
    for candidate in candidates:
        extra: list[SheetProblem] = []
        same = rows_of.get(candidate.item_id, []) if candidate.item_id is not None else []
        if len(same) > 1:
            others = ", ".join(str(r) for r in same if r != candidate.row)
            extra.append(
                SheetProblem(
                    candidate.row, _HEADERS["item_id"], f"Mã mục {candidate.item_id} bị trùng với dòng {others}"
                )
            )
        if candidate.answer is not None and not extra:
            answers.append(candidate.answer)
        problems.extend(sorted((*candidate.problems, *extra), key=_problem_order))
    return AnswerSheet(rows=tuple(answers), problems=tuple(problems + limit_problem))


_HEADER_ORDER = {header: _COLUMN_ORDER[key] for key, header in AGENDA_COLUMNS}


def _problem_order(problem: SheetProblem) -> tuple[int, int]:
    return problem.row, _HEADER_ORDER.get(problem.column, -1)


def _read_row(number: int, cells: Mapping[str, str], raw_due: object, *, today: date) -> _Candidate:
    problems: list[SheetProblem] = []

    def problem(key: str, message: str) -> None:
        problems.append(SheetProblem(number, _HEADERS[key], message))

    item_id = _item_id(cells["item_id"])
    if not cells["item_id"]:
        problem("item_id", "Thiếu mã mục")
    elif item_id is None:
        problem("item_id", "Mã mục không phải số")

    disposition = disposition_from_label(cells["disposition"])
    if not cells["disposition"]:
        problem("disposition", "Thiếu hình thức trả lời")
    elif disposition is None:
        problem("disposition", f"Hình thức trả lời không hợp lệ: “{_short(cells['disposition'])}”")

    answer = cells["answer"]
    if not answer:
        problem("answer", "Thiếu nội dung trả lời")

    forwarded_to = cells["forwarded_to"]
    due, due_problem = _due_date(raw_due, cells["due_date"])
    if disposition == "forwarded":
        if not forwarded_to:
            problem("forwarded_to", "Chuyển cơ quan chức năng thì phải ghi cơ quan được chuyển")
        if not cells["due_date"]:
            problem("due_date", "Chuyển cơ quan chức năng thì phải ghi hạn giải quyết")
        elif due_problem is not None:
            problem("due_date", due_problem)
        elif due is not None and due < today:
            problem("due_date", f"Hạn giải quyết đã qua ({due:%d/%m/%Y})")
    elif disposition is not None:
        # An agency or a deadline on an item marked answered is most often the wrong dropdown
        # choice; importing it as answered would drop the item from the follow-up for good.
        if forwarded_to:
            problem("forwarded_to", "Cơ quan được chuyển " + _ONLY_FORWARDED)
        if cells["due_date"]:
            problem("due_date", "Hạn giải quyết " + _ONLY_FORWARDED)
    elif cells["due_date"] and due_problem is not None:
        problem("due_date", due_problem)  # so staff can fix the whole row in one go

    answered_by = cells["answered_by"]
    if not answered_by:
        problem("answered_by", "Thiếu người trả lời")

    if problems or item_id is None or disposition is None:
        return _Candidate(number, item_id, None, tuple(problems))
    codes = tuple(code for code in re.split(r"[\s,;]+", cells.get("concern_codes", "")) if code)
    row = AnswerRow(
        row=number,
        item_id=item_id,
        concern_codes=codes,
        disposition=disposition,
        answer=answer,
        forwarded_to=forwarded_to if disposition == "forwarded" else None,
        due_date=due if disposition == "forwarded" else None,
        answered_by=answered_by,
    )
    return _Candidate(number, item_id, row, ())


def _item_id(text: str) -> int | None:
    # A number cell arrives as '41' (floats with no fraction are already made whole by _text).
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value < 2**63 else None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TYPED_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _due_date(raw: object, text: str) -> tuple[date | None, str | None]:
    """A due date typed as text (dd/mm/yyyy, also with '-' or '.') or a real Excel date."""
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    if not text:
        return None, None
    # A bare number is refused even if it could be an Excel serial: staff see a number, not a
    # date, and "2026" typed for a year must not become a day in 1905.
    match = _TYPED_DATE.match(text)
    if match is not None:
        day, month, year = (int(group) for group in match.groups())
    else:
        iso = _ISO_DATE.match(text)  # what LibreOffice writes when it converts a date cell to text
        if iso is None:
            return None, "Hạn giải quyết phải có dạng dd/mm/yyyy"
        year, month, day = (int(group) for group in iso.groups())
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f"Hạn giải quyết không phải ngày có thật: {_short(text)}"


# --- Results: data ---------------------------------------------------------------------------

# The law: results are published no later than this many days after the meeting.
RESULTS_DEADLINE_DAYS = 10


def results_deadline(held_on: date) -> date:
    """The last day to publish the results of a meeting held on ``held_on``."""
    return held_on + timedelta(days=RESULTS_DEADLINE_DAYS)


@dataclass(frozen=True)
class ResultConcern:
    code: str  # tracking code, e.g. "TT-0147"
    text: str  # the resident's words (never the resident's name)
    area: str
    followers: int  # residents behind it (author and supporters) who receive the answer


@dataclass(frozen=True)
class ResultEntry:
    number: int  # order on the agenda
    title: str
    topic: str
    disposition: str  # a key of DISPOSITION_LABELS
    answer: str  # the answer given at the meeting
    answered_by: str
    forwarded_to: str | None
    due_date: str | None  # "31/01/2027"
    final_answer: str | None  # the agency's answer to a forwarded item, once it came
    final_at: str | None  # "15/01/2027" or "15/01/2027 10:00"
    status: str  # shown as it is; result_status() gives the standard labels
    concerns: tuple[ResultConcern, ...]


@dataclass(frozen=True)
class ResultsDocument:
    unit_name: str  # "Phường Phú Thọ"
    chair_title: str  # "Chủ tịch Ủy ban nhân dân phường Phú Thọ"
    meeting_id: int
    meeting_title: str
    held_at: str  # "20/12/2026 08:00"
    place: str
    generated_at: str  # "28/12/2026 16:30"; also the "today" of the summary's on time / overdue
    entries: tuple[ResultEntry, ...]
    satisfied: int  # residents' feedback on the answers
    unsatisfied: int


# Status labels. Items dealt with at the meeting are simply answered; forwarded items go
# through the follow-up the chair promised, and the notice must say where each one stands.
STATUS_ANSWERED = "Đã trả lời"
STATUS_NOT_ACCEPTED = "Không tiếp nhận"
STATUS_WAITING = "Đang chờ cơ quan trả lời"
STATUS_FINAL_ON_TIME = "Cơ quan đã trả lời đúng hạn"
STATUS_FINAL_LATE = "Cơ quan đã trả lời nhưng quá hạn"
STATUS_OVERDUE = "Quá hạn, chưa có trả lời"
_FORWARD_STATES = (STATUS_FINAL_ON_TIME, STATUS_FINAL_LATE, STATUS_WAITING, STATUS_OVERDUE)


def result_status(disposition: str, *, due_date: date | None, final_at: date | None, today: date) -> str:
    """The standard status label of an item (a final answer on the due day is on time)."""
    if disposition == "not_accepted":
        return STATUS_NOT_ACCEPTED
    if disposition != "forwarded":
        return STATUS_ANSWERED
    if final_at is not None:
        return STATUS_FINAL_LATE if due_date is not None and final_at > due_date else STATUS_FINAL_ON_TIME
    if due_date is not None and today > due_date:
        return STATUS_OVERDUE
    return STATUS_WAITING


def _day(text: str | None) -> date | None:
    parts = date_parts(text) if text else None
    if parts is None:
        return None
    try:
        return date(parts[2], parts[1], parts[0])
    except ValueError:
        return None


def _forward_state(entry: ResultEntry, today: date | None) -> str:
    """Where a forwarded item stands, from its own dates (the summary never trusts free text)."""
    final_at = _day(entry.final_at)
    if final_at is None and entry.final_answer and entry.final_answer.strip():
        final_at = date.min  # answered, date unknown: count it as answered, not as overdue
    return result_status(
        "forwarded", due_date=_day(entry.due_date), final_at=final_at, today=today or date.min
    )


def _check_results(document: ResultsDocument) -> None:
    if not document.entries:
        raise ExportError("refusal.export_empty_results")
    for entry in document.entries:
        if entry.disposition not in DISPOSITION_LABELS:
            raise ExportError("refusal.export_disposition", number=entry.number, disposition=entry.disposition)
    if document.satisfied < 0 or document.unsatisfied < 0:
        raise ExportError("refusal.export_satisfaction")


def _committee(unit_name: str) -> str:
    """'Phường Phú Thọ' -> 'Ủy ban nhân dân phường Phú Thọ' (the kind in lower case mid-sentence)."""
    name = " ".join(plain_text(unit_name).split())
    for kind in UNIT_KINDS:
        if name.casefold().startswith(kind + " "):
            name = kind + name[len(kind) :]
            break
    return f"Ủy ban nhân dân {name}"


def _clean(text: str | None) -> str:
    """Free text for a published document: NFC, no phone numbers, no stray spaces."""
    return free_text(text or "").strip()


def _label(disposition: str) -> str:
    return DISPOSITION_LABELS[disposition]


_Counts = tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]


def _counts(document: ResultsDocument) -> _Counts:
    """Items and concerns per disposition, and per state of the forwarded items."""
    today = _day(document.generated_at)
    items = dict.fromkeys(DISPOSITION_LABELS, 0)
    concerns = dict.fromkeys(DISPOSITION_LABELS, 0)
    forward_items = dict.fromkeys(_FORWARD_STATES, 0)
    forward_concerns = dict.fromkeys(_FORWARD_STATES, 0)
    for entry in document.entries:
        items[entry.disposition] += 1
        concerns[entry.disposition] += len(entry.concerns)
        if entry.disposition == "forwarded":
            state = _forward_state(entry, today)
            forward_items[state] += 1
            forward_concerns[state] += len(entry.concerns)
    return items, concerns, forward_items, forward_concerns


# --- Results: DOCX ---------------------------------------------------------------------------

_TITLE = "THÔNG BÁO KẾT QUẢ HỘI NGHỊ ĐỐI THOẠI"
_SMALL_PT = 12
_RECIPIENT_PT = 11


def results_docx(document: ResultsDocument) -> bytes:
    """The public notice of the meeting's results, as a DOCX in the agenda's layout (Decree 30/2020)."""
    _check_results(document)

    doc = docx_official(
        _clean(f"Thông báo kết quả hội nghị đối thoại - {document.meeting_title}"),
        document.unit_name,
        document.generated_at,
        number_line="Số:        /TB-UBND",
    )

    docx_line(doc.add_paragraph(), _TITLE, bold=True, space_before=18)
    docx_line(doc.add_paragraph(), _clean(document.meeting_title), bold=True)
    docx_line(doc.add_paragraph(), f"Thời gian: {as_sentence(spoken_time(document.held_at))}", italic=True)
    docx_line(doc.add_paragraph(), f"Địa điểm: {as_sentence(_clean(document.place))}", italic=True)
    docx_rule(doc.add_paragraph(), length_cm=4.0, cell_cm=TEXT_WIDTH_CM)

    committee = _committee(document.unit_name)
    items, concerns, _, _ = _counts(document)
    held = date_parts(document.held_at)
    if held is not None:
        held_text = f"ngày {held[0]:02d}/{held[1]:02d}/{held[2]}"
    else:
        held_text = plain_text(document.held_at).strip()
    docx_body(
        doc.add_paragraph(),
        [
            (
                f"Vào {held_text}, {_clean(document.chair_title)} đã chủ trì hội nghị đối thoại với "
                f"Nhân dân. {committee} thông báo kết quả trả lời {sum(items.values())} nội dung "
                f"({sum(concerns.values())} ý kiến, kiến nghị) của Nhân dân như sau:",
                "",
            )
        ],
    )

    _docx_section(doc, "I. KẾT QUẢ TRẢ LỜI CÁC Ý KIẾN, KIẾN NGHỊ")
    for entry in document.entries:
        _docx_entry(doc, entry)

    _docx_section(doc, "II. TỔNG HỢP KẾT QUẢ")
    _docx_summary(doc, document)

    _docx_section(doc, "III. Ý KIẾN PHẢN HỒI CỦA NGƯỜI DÂN")
    docx_body(doc.add_paragraph(), [(_satisfaction(document), "")])

    today = _day(document.generated_at)
    pending = any(
        e.disposition == "forwarded" and _forward_state(e, today) in (STATUS_WAITING, STATUS_OVERDUE)
        for e in document.entries
    )
    closing = f"{committee} thông báo để Nhân dân được biết."
    if pending:
        closing += (
            " Các nội dung đã chuyển cơ quan chức năng tiếp tục được theo dõi, đôn đốc"
            " và thông báo kết quả khi có trả lời."
        )
    paragraph = doc.add_paragraph()
    docx_body(paragraph, [(closing, "")])
    paragraph.paragraph_format.space_before = Pt(6)

    # "Nơi nhận" and signature. The results go to the residential groups' heads too (the law).
    doc.add_paragraph()
    half = TEXT_WIDTH_CM / 2
    signatures = docx_grid(doc, (half, half))
    left, right = signatures.rows[0].cells
    _docx_left(left.paragraphs[0], "Nơi nhận:", size=_SMALL_PT, bold=True, italic=True)
    for line in (
        "- Trưởng thôn, tổ trưởng tổ dân phố (để thông báo đến Nhân dân);",
        f"- Niêm yết tại trụ sở {committee};",
        "- Lưu: VT.",
    ):
        _docx_left(left.add_paragraph(), line, size=_RECIPIENT_PT)
    docx_line(right.paragraphs[0], plain_text(document.chair_title).upper(), size=BODY_PT, bold=True)
    docx_line(right.add_paragraph(), "(Ký, ghi rõ họ tên)", size=BODY_PT, italic=True)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_section(doc, text: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = True
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.space_after = Pt(6)
    paragraph.paragraph_format.keep_with_next = True


def _docx_left(  # type: ignore[no-untyped-def]
    paragraph, text: str, *, size: int, bold: bool = False, italic: bool = False
) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None


def _docx_entry(doc, entry: ResultEntry) -> None:  # type: ignore[no-untyped-def]
    heading = doc.add_paragraph()
    docx_body(heading, [(f"{entry.number}. {_clean(entry.title)}", "b")])
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.space_before = Pt(6)
    docx_body(doc.add_paragraph(), [("Lĩnh vực: ", "i"), (as_sentence(_clean(entry.topic)), "")])
    for concern in entry.concerns:
        runs = [
            ("- ", ""),
            (plain_text(concern.code).strip(), "b"),
            (f" ({_clean(concern.area)}): ", ""),
            (as_sentence(_clean(concern.text)), ""),
        ]
        if concern.followers > 0:
            runs.append((f" Số người dân quan tâm: {concern.followers}.", "i"))
        docx_body(doc.add_paragraph(), runs)
    docx_body(doc.add_paragraph(), [("Hình thức trả lời: ", "i"), (as_sentence(_label(entry.disposition)), "")])
    docx_body(doc.add_paragraph(), [("Nội dung trả lời: ", "i"), (as_sentence(_clean(entry.answer)), "")])
    docx_body(doc.add_paragraph(), [("Người trả lời: ", "i"), (as_sentence(_clean(entry.answered_by)), "")])
    if entry.disposition == "forwarded":
        docx_body(
            doc.add_paragraph(),
            [
                ("Cơ quan được chuyển: ", "i"), (as_sentence(_clean(entry.forwarded_to) or "-") + " ", ""),
                ("Hạn giải quyết: ", "i"), (as_sentence(plain_text(entry.due_date or "-").strip()), ""),
            ],
        )
        final = _clean(entry.final_answer)
        if final:
            when = f" (ngày {_day_text(entry.final_at)})" if _day(entry.final_at) is not None else ""
            runs = [("Kết quả giải quyết của cơ quan" + when + ": ", "i"), (as_sentence(final), "")]
        else:
            runs = [("Kết quả giải quyết của cơ quan: ", "i"), ("chưa có trả lời.", "")]
        docx_body(doc.add_paragraph(), runs)
    docx_body(doc.add_paragraph(), [("Tình trạng: ", "i"), (as_sentence(_clean(entry.status)), "b")])


def _day_text(text: str | None) -> str:
    day = _day(text)
    return day.strftime("%d/%m/%Y") if day is not None else plain_text(text or "").strip()


_SUMMARY_WIDTHS_CM = (10.0, 3.0, 3.0)


def _docx_summary(doc, document: ResultsDocument) -> None:  # type: ignore[no-untyped-def]
    """Items and concerns by disposition, forwarded items split by on time / overdue."""
    items, concerns, forward_items, forward_concerns = _counts(document)
    rows: list[tuple[str, int | str, int | str, str]] = [
        ("Hình thức trả lời", "Số nội dung", "Số ý kiến", "b")
    ]
    for key, label in DISPOSITION_LABELS.items():
        rows.append((label, items[key], concerns[key], ""))
        if key == "forwarded":
            for state in _FORWARD_STATES:
                sub = f"Trong đó: {state[0].lower()}{state[1:]}"
                rows.append((sub, forward_items[state], forward_concerns[state], "i"))
    rows.append(("Tổng cộng", sum(items.values()), sum(concerns.values()), "b"))

    table = doc.add_table(rows=len(rows), cols=len(_SUMMARY_WIDTHS_CM))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for column, width in zip(table.columns, _SUMMARY_WIDTHS_CM, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
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


# --- Results: XLSX ---------------------------------------------------------------------------

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
_RESULT_WIDTHS = {
    "item_number": 8,
    "code": 12,
    "area": 30,
    "text": 60,
    "disposition": 26,
    "answer": 60,
    "answered_by": 24,
    "forwarded_to": 26,
    "due_date": 12,
    "final_answer": 50,
    "status": 24,
}


def results_xlsx(document: ResultsDocument) -> bytes:
    """The results as a workbook: one row per concern, so each area can filter its own."""
    _check_results(document)

    workbook = Workbook()
    workbook.properties.title = _clean(f"Kết quả hội nghị đối thoại - {document.meeting_title}")
    workbook.properties.creator = plain_text(document.unit_name)
    workbook.properties.language = "vi-VN"

    sheet = workbook.active
    sheet.title = RESULTS_SHEET
    keys = [key for key, _ in RESULT_COLUMNS]
    sheet.append([header for _, header in RESULT_COLUMNS])
    for entry in document.entries:
        # An item without concerns still gets its row: the answer must not vanish from the table.
        for concern in entry.concerns or (None,):
            row = _result_row(entry, concern)
            sheet.append([row[key] for key in keys])

    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _RESULT_WIDTHS[key]
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.alignment = wrap
            if cell.row == 1:
                cell.font = bold
                cell.fill = header_fill
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # an answer starting with '=' is text, not a formula
            elif isinstance(cell.value, (date, datetime)):
                cell.number_format = "DD/MM/YYYY"
    xlsx_frame(sheet, keys)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _result_row(entry: ResultEntry, concern: ResultConcern | None) -> dict[str, object]:
    forwarded = entry.disposition == "forwarded"
    final = _clean(entry.final_answer) if forwarded else ""
    if final and _day(entry.final_at) is not None:
        final += f" (ngày {_day_text(entry.final_at)})"
    due = _day(entry.due_date) if forwarded else None
    return {
        "item_number": entry.number,
        "code": plain_text(concern.code).strip() if concern else None,
        "area": _clean(concern.area) if concern else None,
        "text": _clean(concern.text) if concern else None,
        "disposition": _label(entry.disposition),
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
