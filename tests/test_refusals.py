"""A refused staff action says why in natural Vietnamese in the staff chat, and in English on the command line.

The same refusals are driven both ways: through the staff desk (as a staff member in the
Vietnamese staff group) and through `doithoai` on the command line.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.refusal import Refusal, phase_term, status_term
from bot.services.answers import AnswerError, AnswerInput
from bot.services.meetings import MeetingError
from bot.services.triage import TriageError
from bot.text import Catalog
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import EXAMPLE_CONFIG, START, create_meeting
from tests.staffchat import ADMIN, STAFF, StaffChat

LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay."
DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập."
AFTER_THE_MEETING = timedelta(days=15)  # the meeting is 14 days after START
PAST_DUE = "01/03/2026"  # the day before START


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


async def two_concerns(services: Services) -> None:
    for user, text in (("601", LAMP), ("602", DRAIN)):
        await submit_concern(Chat(services.intake, user, channel="telegram"), text)


def refused(reply_text: str) -> str:
    """The reason after the staff chat's “Không thực hiện được:”."""
    prefix = "Không thực hiện được: "
    assert reply_text.startswith(prefix), reply_text
    return reply_text[len(prefix):]


def assert_no_english(reason: str, *english: str) -> None:
    for fragment in english:
        assert fragment not in reason, reason


# --- in the staff chat: Vietnamese ---------------------------------------------------------


async def test_merging_a_concern_into_itself(services: Services, meeting) -> None:
    await two_concerns(services)
    (reply,) = await StaffChat(services.router, STAFF).command("/merge TT-0001 TT-0001")
    reason = refused(reply.text)
    assert reason == "không thể gộp một ý kiến vào chính nó; xin chọn ý kiến khác để gộp vào."
    assert_no_english(reason, "merged", "itself")


async def test_merging_into_a_merged_concern_names_both_codes(services: Services, meeting) -> None:
    await two_concerns(services)
    staff = StaffChat(services.router, STAFF)
    await staff.command("/merge TT-0002 TT-0001")
    (reply,) = await staff.command("/merge TT-0001 TT-0002")
    reason = refused(reply.text)
    assert reason == "ý kiến TT-0002 đã được gộp vào TT-0001 nên không thể gộp ngược lại."
    (reply,) = await staff.command("/reject TT-0002 Trùng ý kiến")
    assert refused(reply.text) == (
        "ý kiến TT-0002 đã được gộp vào ý kiến khác; chỉ có thể không tiếp nhận ý kiến đang chờ hội nghị."
    )


async def test_editing_a_held_meeting(services: Services, meeting, clock: ManualClock) -> None:
    clock.advance(AFTER_THE_MEETING)
    (reply,) = await StaffChat(services.router, ADMIN).command(f"/meeting_edit {meeting.id} place Nhà văn hóa khu phố 2")
    reason = refused(reply.text)
    assert reason == f"hội nghị #{meeting.id} đã diễn ra, không thể sửa được nữa."
    assert_no_english(reason, "held", "changed")


async def test_a_date_that_is_not_a_date(services: Services, meeting) -> None:
    (reply,) = await StaffChat(services.router, ADMIN).command(f"/meeting_edit {meeting.id} starts 31/02/2026 08:00")
    reason = refused(reply.text)
    assert reason.startswith("“31/02/2026 08:00” không phải ngày giờ hợp lệ")
    assert_no_english(reason, "not a date")


async def test_exporting_an_empty_agenda(services: Services, meeting) -> None:
    await two_concerns(services)
    (reply,) = await StaffChat(services.router, STAFF).command("/export docx")
    reason = refused(reply.text)
    assert reason.startswith("chương trình chưa có mục nào")
    assert "/agenda_build" in reason
    assert reply.document is None
    assert_no_english(reason, "agenda has no items", "exporting")


async def test_an_answer_with_a_past_due_date(services: Services, meeting, clock: ManualClock, database: Database) -> None:
    await two_concerns(services)
    clock.advance(AFTER_THE_MEETING)
    staff = StaffChat(services.router, STAFF)
    (reply,) = await staff.command(
        f"/answer TT-0001 forwarded Chủ tịch UBND phường | Công ty Thoát nước đô thị | {PAST_DUE} | Đã chuyển khảo sát."
    )
    reason = refused(reply.text)
    assert reason == "hạn trả lời đã qua, xin ghi hạn từ hôm nay trở đi."
    assert_no_english(reason, "due date", "passed")
    assert await database.fetch_one("SELECT * FROM answers") is None
    # Several problems at once are all named, in Vietnamese.
    (reply,) = await staff.command("/answer TT-0001 maybe Chủ tịch UBND phường |  ")
    reason = refused(reply.text)
    assert reason.startswith("hình thức trả lời phải là một trong các giá trị: answered, explained")
    assert "; nội dung trả lời đang để trống." in reason


async def test_answering_before_the_meeting_names_its_phase(services: Services, meeting) -> None:
    await two_concerns(services)
    (reply,) = await StaffChat(services.router, STAFF).command("/answer TT-0001 answered Chủ tịch UBND phường | Đã thay bóng đèn.")
    assert refused(reply.text) == (
        f"hội nghị #{meeting.id} đang nhận ý kiến; chỉ ghi được câu trả lời sau khi đã hết hạn nhận ý kiến."
    )


async def test_problems_of_imported_rows_are_vietnamese_for_staff_and_english_for_the_cli(
    services: Services, meeting, clock: ManualClock
) -> None:
    await two_concerns(services)
    clock.advance(AFTER_THE_MEETING)
    late = AnswerInput("forwarded", "Đã chuyển.", "Chủ tịch UBND phường", "Công ty Thoát nước đô thị", date(2026, 3, 1))
    report = await services.answers.import_rows(meeting.id, [(4, 999, late)], "cli:test")
    catalog = Catalog.load()
    assert [p.render(catalog, "vi") for p in report.problems] == [
        "dòng 4: hạn trả lời đã qua, xin ghi hạn từ hôm nay trở đi",
        f"dòng 4: mục 999 không có trong chương trình hội nghị #{meeting.id}",
    ]
    assert [str(p) for p in report.problems] == [
        "row 4: the due date has passed",
        f"row 4: agenda item 999 is not on the agenda of meeting {meeting.id}",
    ]


# --- the refusal itself ---------------------------------------------------------------------


def test_a_refusal_is_a_key_and_values_and_its_str_is_english() -> None:
    error = MeetingError("refusal.meeting_final", id=3, phase=phase_term("held"))
    assert isinstance(error, Refusal) and isinstance(error, ValueError)
    assert (error.key, error.values["id"]) == ("refusal.meeting_final", 3)
    assert str(error) == "meeting 3 is held: it can no longer be changed"
    assert error.render(Catalog.load(), "vi") == "hội nghị #3 đã diễn ra, không thể sửa được nữa."
    with pytest.raises(ValueError, match="it can no longer be changed"):
        raise error


def test_nested_and_unknown_values_still_read() -> None:
    catalog = Catalog.load()
    problems = [Refusal("refusal.answer_empty"), Refusal("refusal.answer_due_missing")]
    error = AnswerError("refusal.answer_problems", problems=problems)
    assert str(error) == "the answer is empty; a forwarded concern needs a due date"
    assert error.render(catalog, "vi") == "nội dung trả lời đang để trống; ý kiến chuyển cơ quan chức năng cần ghi hạn trả lời."
    # A status the catalogs do not know yet reads as itself rather than failing.
    odd = TriageError("refusal.merge_not_open", code="TT-0009", status=status_term("on_hold"))
    assert str(odd) == "TT-0009 is on hold: only open concerns can be merged"
    # A key missing from the catalogs never turns a refusal into a crash.
    assert str(Refusal("refusal.no_such_sentence", code="TT-0009")) == "refusal.no_such_sentence (code=TT-0009)"


# --- on the command line: English -----------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> str:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('path = "data/doithoai.db"', f'path = "{tmp_path / "cli.db"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def prepared(config: str) -> str:
    """Meeting 1 (held 14 days after START) with two concerns and no agenda yet."""

    async def prepare() -> None:
        settings = load_settings(config)
        database = await Database.open(settings.database_path)
        try:
            await create_meeting(database, START)
            await two_concerns(build_services(settings, database, ManualClock(START)))
        finally:
            await database.close()

    asyncio.run(prepare())
    return config


def cli(config: str, *args: str, later: timedelta = timedelta()) -> int:
    group, action, *rest = args
    return main([group, action, "--config", config, *rest], clock=ManualClock(START + later))


@pytest.mark.parametrize(
    ("args", "later", "english"),
    [
        (("concern", "merge", "TT-0001", "TT-0001"), timedelta(), "error: a concern cannot be merged into itself"),
        (("meeting", "edit", "1", "--place", "Nhà văn hóa khu phố 2"), AFTER_THE_MEETING,
         "error: meeting 1 is held: it can no longer be changed"),
        (("agenda", "export", "--meeting", "1"), timedelta(),
         "error: the agenda has no items: group concerns into agenda items before exporting it"),
        (("answers", "record", "TT-0001", "--disposition", "forwarded", "--answer", "Đã chuyển.", "--by", "Chủ tịch UBND phường",
          "--agency", "Công ty Thoát nước đô thị", "--due", PAST_DUE), AFTER_THE_MEETING,
         "error: the due date has passed"),
        (("meeting", "edit", "1", "--starts", "31/02/2026 08:00"), timedelta(),
         "error: not a date and time: '31/02/2026 08:00' (use dd/mm/yyyy HH:MM)"),
    ],
    ids=["merge-into-itself", "edit-held-meeting", "export-empty-agenda", "past-due-date", "not-a-date"],
)
def test_the_same_refusals_on_the_command_line_are_english(
    prepared: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], later: timedelta, english: str
) -> None:
    if args[:2] == ("agenda", "export"):
        args = (*args, "--out", str(tmp_path))
    assert cli(prepared, *args, later=later) == 2
    err = capsys.readouterr().err
    assert err.strip() == english
    assert "Không" not in err and "ý kiến" not in err
