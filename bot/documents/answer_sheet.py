"""The answer sheet: the agenda's main XLSX sheet (and its CSV) that staff fill in after the
meeting, and the import that reads the answers back from it.

Its columns are declared once, in :data:`AGENDA_COLUMNS`, and used both ways: the export
writes them in this order with these headers, the import finds them by their header (in any
order, loosely matched). ``Mã mục`` is the agenda item's database id, and the disposition
column holds one of the labels in :data:`bot.documents.labels.DISPOSITION_LABELS`.

The import never raises on bad input: every row that cannot be used becomes a
:class:`SheetProblem` (row number as the spreadsheet shows it, column header, a short
Vietnamese sentence for ward staff) and every good row an :class:`AnswerRow`. A problem on
row 0 (not a readable file) or row 1 (wrong meeting, missing columns) means the file as a
whole is unusable, and then no rows are returned at all, so a caller that imports "the good
rows" can never write answers read from the wrong file.

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
from datetime import date, datetime
from typing import Literal

import openpyxl
from openpyxl import Workbook
from openpyxl.packaging.custom import IntProperty
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.labels import DISPOSITION_LABELS, disposition_from_label
from bot.documents.records import AgendaDocument, AgendaEntry, AnswerRow, AnswerSheet, SheetProblem
from bot.documents.style import FORMULA_START, xlsx_table
from bot.documents.words import AREA_SEPARATOR, free_text, plain_text
from bot.domain.refusal import Refusal
from bot.domain.textnorm import cut_at_word
from bot.domain.vocabulary import Disposition

AGENDA_SHEET = "Chương trình"
# Custom document property of the XLSX holding the meeting id, so an import can check that
# the file belongs to the meeting it is imported into (Excel and LibreOffice keep it).
XLSX_MEETING_PROPERTY = "doithoai_meeting_id"

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

# Codes inside one cell (areas are joined with words.AREA_SEPARATOR: their names contain commas).
_CODE_SEPARATOR = ", "

# --- Export ----------------------------------------------------------------------------------


def sheet_rows(document: AgendaDocument) -> list[dict[str, object]]:
    """One row per agenda item, by column key, the answer columns empty ("")."""
    return [_row(entry) for entry in document.entries]


def _row(entry: AgendaEntry) -> dict[str, object]:
    row: dict[str, object] = {
        "number": entry.number,
        "item_id": entry.item_id,
        "title": free_text(entry.title).strip(),
        "topic": plain_text(entry.topic),
        "areas": AREA_SEPARATOR.join(plain_text(a) for a in entry.areas),
        "residents": entry.residents,
        "agency": plain_text(entry.agency),
        "minutes": entry.minutes,
        "concern_codes": _CODE_SEPARATOR.join(plain_text(c.code) for c in entry.concerns),
    }
    row.update(dict.fromkeys(ANSWER_KEYS, ""))
    return row


def write_sheet(workbook: Workbook, document: AgendaDocument) -> None:
    """The answer sheet as the workbook's first sheet, with the meeting's id in the workbook
    and a dropdown of the dispositions."""
    workbook.custom_doc_props.append(IntProperty(name=XLSX_MEETING_PROPERTY, value=document.meeting_id))
    sheet = workbook.active
    sheet.title = AGENDA_SHEET
    keys = [key for key, _ in AGENDA_COLUMNS]
    # An empty text is no value at all in the workbook (the CSV writes both the same way).
    rows = ([row[key] if row[key] != "" else None for key in keys] for row in sheet_rows(document))
    xlsx_table(sheet, AGENDA_COLUMNS, _WIDTHS, rows, to_fill=ANSWER_KEYS)

    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(DISPOSITION_LABELS.values()) + '"',
        allow_blank=True,
        showDropDown=False,  # (sic) False shows the in-cell dropdown arrow
        showErrorMessage=True,
        errorTitle="Hình thức trả lời",
        error="Chọn một giá trị trong danh sách.",
    )
    letter = get_column_letter(keys.index("disposition") + 1)
    validation.add(f"{letter}2:{letter}{max(sheet.max_row, 2)}")
    sheet.add_data_validation(validation)


# --- Import ----------------------------------------------------------------------------------

_HEADERS: Mapping[str, str] = dict(AGENDA_COLUMNS)
# A problem's column (its header as exported) -> the column's key, for naming it in any language.
COLUMN_KEYS: Mapping[str, str] = {header: key for key, header in AGENDA_COLUMNS}
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

_NOT_XLSX = Refusal("refusal.sheet_not_xlsx")
_NOT_CSV = Refusal("refusal.sheet_not_csv")
_TOO_BIG = Refusal("refusal.sheet_too_big")
# The dropdown's own words: what staff choose in the sheet, whatever language they read.
_FORWARDED_LABEL = DISPOSITION_LABELS[Disposition.FORWARDED]


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
        return _unusable(1, Refusal("refusal.sheet_meeting_unreadable"))
    if found is not None and found != meeting_id:
        return _unusable(1, Refusal("refusal.sheet_other_meeting", found=found, id=meeting_id))

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
        return _unusable(0, Refusal("refusal.sheet_xlsx_not_csv"))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" saves in the Windows code page and loses Vietnamese letters.
        return _unusable(0, Refusal("refusal.sheet_not_utf8"))
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


def _unusable(row: Literal[0, 1], problem: Refusal) -> AnswerSheet:
    return AnswerSheet(rows=(), problems=(sheet_problem(row, "", problem),))


def sheet_problem(row: int, column: str, problem: Refusal) -> SheetProblem:
    """A problem as the catalogs word it, kept in Vietnamese as well, as the sheet is written."""
    return SheetProblem(row, column, problem.text("vi"), problem)


def _workbook_meeting(workbook: Workbook) -> int | str | None:
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


def _answer_sheet(workbook: Workbook) -> Worksheet | None:
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
        return _unusable(1, Refusal("refusal.sheet_no_columns"))
    missing = [key for key in _REQUIRED if key not in columns]
    if missing or twice:
        header_problems = [
            sheet_problem(1, _HEADERS[key], Refusal("refusal.sheet_missing_column", column=_HEADERS[key]))
            for key in missing
        ]
        header_problems += [
            sheet_problem(1, _HEADERS[key], Refusal("refusal.sheet_column_twice", column=_HEADERS[key]))
            for key in twice
        ]
        return AnswerSheet(rows=(), problems=tuple(header_problems))

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
            limit_problem.append(sheet_problem(number, "", Refusal("refusal.sheet_too_many_rows", most=MAX_ROWS)))
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
                sheet_problem(
                    candidate.row, _HEADERS["item_id"],
                    Refusal("refusal.sheet_item_twice", item=candidate.item_id, rows=others),
                )
            )
        if candidate.answer is not None and not extra:
            answers.append(candidate.answer)
        problems.extend(sorted((*candidate.problems, *extra), key=_problem_order))
    return AnswerSheet(rows=tuple(answers), problems=tuple(problems + limit_problem))


_HEADER_ORDER = {header: index for index, (_, header) in enumerate(AGENDA_COLUMNS)}


def _problem_order(problem: SheetProblem) -> tuple[int, int]:
    return problem.row, _HEADER_ORDER.get(problem.column, -1)


def _read_row(number: int, cells: Mapping[str, str], raw_due: object, *, today: date) -> _Candidate:
    problems: list[SheetProblem] = []

    def problem(column: str, refusal: Refusal) -> None:
        problems.append(sheet_problem(number, _HEADERS[column], refusal))

    item_id = _item_id(cells["item_id"])
    if not cells["item_id"]:
        problem("item_id", Refusal("refusal.sheet_no_item"))
    elif item_id is None:
        problem("item_id", Refusal("refusal.sheet_item_not_number"))

    disposition = disposition_from_label(cells["disposition"])
    if not cells["disposition"]:
        problem("disposition", Refusal("refusal.sheet_no_disposition"))
    elif disposition is None:
        problem("disposition", Refusal("refusal.sheet_bad_disposition", value=cut_at_word(cells["disposition"], QUOTED)))

    answer = cells["answer"]
    if not answer:
        problem("answer", Refusal("refusal.sheet_no_answer"))

    forwarded_to = cells["forwarded_to"]
    due, due_problem = _due_date(raw_due, cells["due_date"])
    if disposition is Disposition.FORWARDED:
        if not forwarded_to:
            problem("forwarded_to", Refusal("refusal.sheet_forwarded_needs_agency"))
        if not cells["due_date"]:
            problem("due_date", Refusal("refusal.sheet_forwarded_needs_due"))
        elif due_problem is not None:
            problem("due_date", due_problem)
        elif due is not None and due < today:
            problem("due_date", Refusal("refusal.sheet_due_past", due=f"{due:%d/%m/%Y}"))
    elif disposition is not None:
        # An agency or a deadline on an item marked answered is most often the wrong dropdown
        # choice; importing it as answered would drop the item from the follow-up for good.
        if forwarded_to:
            problem("forwarded_to", Refusal("refusal.sheet_agency_only_forwarded", forwarded=_FORWARDED_LABEL))
        if cells["due_date"]:
            problem("due_date", Refusal("refusal.sheet_due_only_forwarded", forwarded=_FORWARDED_LABEL))
    elif cells["due_date"] and due_problem is not None:
        problem("due_date", due_problem)  # so staff can fix the whole row in one go

    answered_by = cells["answered_by"]
    if not answered_by:
        problem("answered_by", Refusal("refusal.sheet_no_answered_by"))

    if problems or item_id is None or disposition is None:
        return _Candidate(number, item_id, None, tuple(problems))
    codes = tuple(code for code in re.split(r"[\s,;]+", cells.get("concern_codes", "")) if code)
    row = AnswerRow(
        row=number,
        item_id=item_id,
        concern_codes=codes,
        disposition=disposition,
        answer=answer,
        forwarded_to=forwarded_to if disposition is Disposition.FORWARDED else None,
        due_date=due if disposition is Disposition.FORWARDED else None,
        answered_by=answered_by,
    )
    return _Candidate(number, item_id, row, ())


def _item_id(text: str) -> int | None:
    # A number cell arrives as '41' (floats with no fraction are already made whole by _text).
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value < 2**63 else None


# How much of a bad cell a problem quotes.
QUOTED = 40


_TYPED_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _due_date(raw: object, text: str) -> tuple[date | None, Refusal | None]:
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
            return None, Refusal("refusal.sheet_due_format")
        year, month, day = (int(group) for group in iso.groups())
    try:
        return date(year, month, day), None
    except ValueError:
        return None, Refusal("refusal.sheet_due_not_a_day", value=cut_at_word(text, QUOTED))


