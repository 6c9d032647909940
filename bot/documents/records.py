"""What the documents are made from and what an answer sheet reads back: plain frozen records.

The callers (the agenda and answer services) build these from the database; the document
modules turn them into bytes or read bytes into them, and never see the database.

Residents' personal data: an author's name is in an :class:`AgendaConcern` only when the
resident agreed to it being shown; the results carry no resident's name at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.domain.refusal import Refusal
from bot.domain.vocabulary import Disposition, MeetingFormat


class ExportError(Refusal):
    """A document that cannot be made; the catalog key under [refusal] says why, for staff."""


# --- The agenda ------------------------------------------------------------------------------


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
    levels: tuple[str, ...] = ()  # the config's level names, the unit first: ("phường", "khu phố", "tổ dân phố")


# --- The answer sheet, read back ------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    row: int  # spreadsheet row (the header is row 1), to point staff at it later
    item_id: int  # the agenda item's database id ("Mã mục")
    concern_codes: tuple[str, ...]  # as written in "Mã ý kiến"; informational, () if the column is gone
    disposition: Disposition
    answer: str
    forwarded_to: str | None  # only for a forwarded item
    due_date: date | None  # only for a forwarded item
    answered_by: str  # who answered at the meeting, e.g. "Chủ tịch UBND phường"


@dataclass(frozen=True)
class SheetProblem:
    row: int  # 0: the file itself; 1: the header / the workbook; 2…: a data row
    column: str  # the column's header as exported ("" for the whole file or row)
    message: str  # the problem in Vietnamese, as the sheet is (logs, tests)
    # The same problem as a catalog key and its values, for a reader of any language.
    problem: Refusal | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AnswerSheet:
    rows: tuple[AnswerRow, ...]  # the usable answers, in sheet order
    problems: tuple[SheetProblem, ...]  # by row, then column order of the export


# --- The results -----------------------------------------------------------------------------


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
    disposition: str  # a Disposition value, as stored with the answer
    answer: str  # the answer given at the meeting
    answered_by: str
    forwarded_to: str | None
    due_date: str | None  # "31/01/2027"
    final_answer: str | None  # the agency's answer to a forwarded item, once it came
    final_at: str | None  # "15/01/2027" or "15/01/2027 10:00"
    status: str  # shown as it is; labels.result_status() gives the standard labels
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
    levels: tuple[str, ...] = ()  # the config's level names, the unit first: ("xã", "thôn")
    chair_name: str | None = None  # printed under the signature when the config names the chair


# --- The announcement, 7 days ahead ------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementDocument:
    unit_name: str  # "Phường Phú Thọ"
    chair_title: str  # "Chủ tịch Ủy ban nhân dân phường Phú Thọ"
    meeting_id: int
    meeting_title: str
    starts_at: str  # "20/12/2026 08:00"
    place: str
    format: MeetingFormat
    format_label: str  # "Trực tiếp" …
    intake_opens_at: str  # "01/12/2026 00:00"
    intake_closes_at: str  # "15/12/2026 17:00"
    generated_at: str  # "05/12/2026 16:30": the notice's date
    topics: tuple[str, ...]  # the subjects residents may raise (the config's topics)
    channels: tuple[str, ...]  # where residents write to the bot: ("Telegram (https://t.me/…)", "Zalo")
    levels: tuple[str, ...] = ()
    chair_name: str | None = None
    page_url: str | None = None  # the meeting's public page, when the web server is on
