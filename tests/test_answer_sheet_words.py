"""The answer sheet read as staff type it (issue 16, item 16): an outcome typed without accents
is the dropdown's label, and every import problem is worded whole in the reader's language —
Vietnamese in the staff chat, English on the command line — column names included."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.documents.agenda import agenda_xlsx
from bot.documents.answer_sheet import AGENDA_COLUMNS, parse_answers_csv
from bot.documents.labels import disposition_from_label
from bot.domain.messages import Document, Inbound, InboundKind
from bot.domain.vocabulary import Disposition
from bot.text import Catalog
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.staffchat import STAFF

# Vietnamese letters that English never has: a sentence holding one outside quotes is mixed.
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
QUOTED = re.compile(r"“[^”]*”")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Khong tiep nhan", Disposition.NOT_ACCEPTED),
        ("  KHÔNG TIẾP NHẬN ", Disposition.NOT_ACCEPTED),
        ("chuyen co quan chuc nang", Disposition.FORWARDED),
        ("Lanh dao phuong giai thich", Disposition.EXPLAINED),
        ("da tra loi tai hoi nghi", Disposition.ANSWERED),
        ("forwarded", Disposition.FORWARDED),
        ("Đã xong", None),
        ("", None),
    ],
)
def test_an_outcome_is_read_as_a_typed_label_is(typed: str, meant: Disposition | None) -> None:
    assert disposition_from_label(typed) == meant


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


async def _filled_sheet(services: Services, clock: ManualClock) -> bytes:
    await submit_concern(Chat(services.intake, "801", channel="telegram"), "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay.")
    await submit_concern(Chat(services.intake, "802", channel="telegram"), "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập.")
    await services.agenda.build(1, "cli:test")
    clock.advance(timedelta(days=15))  # the meeting has been held
    book = openpyxl.load_workbook(io.BytesIO(agenda_xlsx(await services.agenda.document(1))))
    table = book.worksheets[0]
    column = {key: n for n, (key, _) in enumerate(AGENDA_COLUMNS, start=1)}
    # Row 2: not accepted, typed without accents; row 3: an outcome that is none of the list.
    table.cell(2, column["disposition"], "Khong tiep nhan")
    table.cell(2, column["answer"], "Không thuộc thẩm quyền của phường.")
    table.cell(2, column["answered_by"], "Chủ tịch UBND phường")
    table.cell(3, column["disposition"], "Đã xong")
    table.cell(3, column["answer"], "Đã nạo vét cống.")
    table.cell(3, column["answered_by"], "Chủ tịch UBND phường")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_import_problems_are_in_one_language_each(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    content = await _filled_sheet(services, clock)
    report = await services.answers.import_sheet(1, "chuong-trinh.xlsx", content, "cli:test")
    assert report.applied == 0 and len(report.problems) == 1
    (problem,) = report.problems
    # The command line's English: the whole sentence, the column's name too.
    english = str(problem)
    assert english == "row 3, column Outcome: the outcome is not one of the list: “Đã xong”"
    assert not VIETNAMESE.search(QUOTED.sub("", english)), english
    # The staff chat's Vietnamese, with no English word.
    vietnamese = problem.render(Catalog.load(), "vi")
    assert vietnamese == "dòng 3, cột Hình thức trả lời: Hình thức trả lời không hợp lệ: “Đã xong”"

    inbound = Inbound(channel="telegram", user_id=STAFF, kind=InboundKind.UNSUPPORTED, unsupported="document",
                      chat_id="-1001000000001", group=True, attachment=Document("chuong-trinh.xlsx", content))
    (told,) = await services.router.handle(inbound)
    assert vietnamese in told.text and "row" not in told.text and "column" not in told.text


def test_every_sheet_problem_reads_in_english_without_vietnamese() -> None:
    catalog = Catalog.load()
    sheet_keys = [key for key in catalog.keys("en") if key.startswith(("refusal.sheet_", "refusal.import_"))]
    assert len(sheet_keys) > 20
    for key in sheet_keys:
        assert not VIETNAMESE.search(QUOTED.sub("", catalog.t("en", key))), key
    # A file-level problem from the reader itself, as the command line prints it.
    (problem,) = parse_answers_csv(b"PK\x03\x04", meeting_id=1, today=meeting_day()).problems
    assert problem.problem is not None and "Excel workbook" in str(problem.problem)
    assert "Excel (.xlsx)" in problem.message  # and in Vietnamese for the record


def meeting_day():  # type: ignore[no-untyped-def]
    from datetime import date

    return date(2026, 3, 20)
