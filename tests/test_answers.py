"""After the meeting: answers recorded per item or imported from the agenda sheet, published to every
follower in their language, followed up until the agency answers, rated, carried over."""

from __future__ import annotations

import io
from datetime import date, timedelta

import docx
import openpyxl
import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.documents.agenda import agenda_xlsx
from bot.documents.answer_sheet import AGENDA_COLUMNS
from bot.outbox.codec import decode_body
from bot.services.answers import AnswerError, AnswerInput
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting
from tests.staffchat import STAFF, StaffChat

LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay."
LAMP_AGAIN = "den hem 48 tan hoa bi hu, toi lam"
DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập."


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


async def prepared(services: Services, clock: ManualClock, database: Database) -> dict[str, Chat]:
    """Three residents, an English speaker among them; a merge; the agenda built; the meeting held."""
    chats = {
        "lan": Chat(services.intake, "701", channel="telegram"),
        "john": Chat(services.intake, "702", channel="telegram"),
        "minh": Chat(services.intake, "703", channel="telegram"),
    }
    await submit_concern(chats["lan"], LAMP)
    await chats["john"].text("/language en")
    await chats["john"].payload("g:lang:vi")
    await submit_concern(chats["john"], DRAIN)
    await chats["john"].text("/language en")
    await submit_concern(chats["minh"], LAMP_AGAIN)
    # Minh's concern is offered Lan's as similar, but he sent his own: staff merge it.
    await services.triage.merge("TT-0003", "TT-0001", "cli:test")
    await services.agenda.build(1, "cli:test")
    clock.advance(timedelta(days=15))  # the meeting (14 days ahead) has been held
    return chats


async def outbox(database: Database, prefix: str) -> list[tuple[str, str, object]]:
    rows = await database.fetch_all("SELECT dedupe_key, address, body FROM outbox WHERE dedupe_key LIKE ? ORDER BY id", (prefix + "%",))
    return [(r["dedupe_key"], r["address"], decode_body(r["body"])) for r in rows]


async def test_publish_reaches_authors_supporters_and_merged_followers(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    await prepared(services, clock, database)
    lines = await services.agenda.lines(1)
    lamp_item = next(n for n, line in enumerate(lines, start=1) if "TT-0001" in [c.code for c in line.concerns])
    await services.answers.record_item(1, lamp_item, AnswerInput("answered", "Đã thay bóng đèn ngày 20/3.", "Chủ tịch UBND phường"), "cli:test")
    report = await services.publishing.publish(1, "cli:test")
    assert (report.queued, report.concerns, report.unanswered) == (2, 1, ("TT-0002",))
    sent = await outbox(database, "answer:1:")
    assert sorted(address for _, address, _ in sent) == ["701", "703"]
    reply = sent[0][2]
    assert "TT-0001" in reply.text and "Đã thay bóng đèn" in reply.text and "Chủ tịch UBND phường" in reply.text
    assert [b.label for b in reply.all_buttons()] == ["😊 Hài lòng", "🙁 Chưa hài lòng"]
    # Publishing again sends nothing twice; a late answer goes out on the next publish.
    assert (await services.publishing.publish(1, "cli:test")).queued == 0
    await services.answers.record("TT-0002", AnswerInput("explained", "Phường đã đề nghị nạo vét cống.", "Phó Chủ tịch UBND phường"), "cli:test")
    assert (await services.publishing.publish(1, "cli:test")).queued == 1
    (_, address, english) = (await outbox(database, "answer:1:2:"))[0]
    assert address == "702" and english.text.startswith("The answer to your concern TT-0002")
    assert "Explained by the ward's leaders" in english.text
    assert [b.label for b in english.all_buttons()] == ["😊 Satisfied", "🙁 Not satisfied"]
    assert (await services.meetings.get(1)).status == "published"


async def test_answers_before_the_meeting_or_bad_ones_are_refused(services: Services, meeting, clock: ManualClock) -> None:
    await submit_concern(Chat(services.intake, "711"), LAMP)
    with pytest.raises(AnswerError, match="still intake open"):
        await services.answers.record("TT-0001", AnswerInput("answered", "x", "y"), "cli:test")
    clock.advance(timedelta(days=15))
    with pytest.raises(AnswerError, match="agency"):
        await services.answers.record("TT-0001", AnswerInput("forwarded", "Chuyển", "Chủ tịch", None, date(2026, 4, 30)), "cli:test")
    with pytest.raises(AnswerError, match="due date has passed"):
        await services.answers.record("TT-0001", AnswerInput("forwarded", "Chuyển", "Chủ tịch", "Sở Xây dựng", date(2026, 3, 1)), "cli:test")
    with pytest.raises(AnswerError, match="disposition"):
        await services.answers.record("TT-0001", AnswerInput("maybe", "x", "y"), "cli:test")


async def test_import_of_the_filled_agenda_sheet_is_all_or_nothing_and_idempotent(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    await prepared(services, clock, database)
    sheet = openpyxl.load_workbook(io.BytesIO(agenda_xlsx(await services.agenda.document(1))))
    table = sheet.worksheets[0]
    column = {header: n for n, (_, header) in enumerate(AGENDA_COLUMNS, start=1)}
    headers = dict(AGENDA_COLUMNS)
    # Row 2 is good; row 3 is forwarded without its agency: the whole file is refused.
    table.cell(2, column[headers["disposition"]], "Đã trả lời tại hội nghị")
    table.cell(2, column[headers["answer"]], "Đã thay bóng đèn.")
    table.cell(2, column[headers["answered_by"]], "Chủ tịch UBND phường")
    table.cell(3, column[headers["disposition"]], "Chuyển cơ quan chức năng")
    table.cell(3, column[headers["answer"]], "Chuyển Công ty thoát nước.")
    table.cell(3, column[headers["due_date"]], "30/04/2026")
    table.cell(3, column[headers["answered_by"]], "Chủ tịch UBND phường")
    bad = io.BytesIO()
    sheet.save(bad)
    staff = StaffChat(services.router, STAFF)
    from bot.domain.messages import Document, Inbound, InboundKind

    async def send_file(content: bytes) -> str:
        inbound = Inbound(channel="telegram", user_id=STAFF, kind=InboundKind.UNSUPPORTED, unsupported="document",
                          chat_id="-1001000000001", group=True, attachment=Document("chuong-trinh.xlsx", content), event_id=None)
        return (await services.router.handle(inbound))[0].text

    answer = await send_file(bad.getvalue())
    assert "Chưa ghi gì" in answer and "dòng 3" in answer
    assert await database.fetch_one("SELECT * FROM answers") is None
    table.cell(3, column[headers["forwarded_to"]], "Công ty TNHH MTV Thoát nước đô thị")
    good = io.BytesIO()
    sheet.save(good)
    answer = await send_file(good.getvalue())
    assert "2 ý kiến mới hoặc thay đổi" in answer
    answer = await send_file(good.getvalue())
    assert "0 ý kiến mới hoặc thay đổi, 2 ý kiến không đổi" in answer
    assert len(await database.fetch_all("SELECT * FROM answers")) == 2
    assert staff  # the same staff member's chat


async def test_forwarded_concern_followed_until_the_final_answer(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    chats = await prepared(services, clock, database)
    await services.answers.record(
        "TT-0002", AnswerInput("forwarded", "Đã chuyển Công ty thoát nước khảo sát.", "Chủ tịch UBND phường",
                               "Công ty TNHH MTV Thoát nước đô thị", date(2026, 3, 31)), "cli:test")
    await services.publishing.publish(1, "cli:test")
    (_, _, first) = (await outbox(database, "answer:1:2:"))[0]
    assert "Thoát nước đô thị" in first.text and "31/03/2026" in first.text and first.buttons == ()
    replies = await chats["john"].text("/status TT-0002")
    assert "forwarded to Công ty TNHH MTV Thoát nước đô thị, to be answered by 31/03/2026" in replies[0].text
    follow = await services.followup.follow_ups()
    assert [(f.concern.code, f.overdue) for f in follow] == [("TT-0002", False)]
    clock.advance(timedelta(days=20))
    assert (await services.followup.follow_ups())[0].overdue
    await services.followup.finalise("TT-0002", "Đã nạo vét xong tuyến cống ngày 5/4.", "cli:test")
    (_, address, final) = (await outbox(database, "final:1:2:"))[0]
    assert address == "702" and "Đã nạo vét" in final.text and final.all_buttons()
    assert await services.followup.follow_ups() == []
    with pytest.raises(AnswerError, match="already has its final answer"):
        await services.followup.finalise("TT-0002", "again", "cli:test")
    stats = await services.statistics.stats(1)
    assert (stats.forwarded, stats.forwarded_on_time, stats.forwarded_late) == (1, 0, 1)


async def test_rating_and_carry_over_keep_followers(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    chats = await prepared(services, clock, database)
    lines = await services.agenda.lines(1)
    lamp_item = next(n for n, line in enumerate(lines, start=1) if "TT-0001" in [c.code for c in line.concerns])
    await services.answers.record_item(1, lamp_item, AnswerInput("answered", "Sẽ thay đèn trong tháng.", "Chủ tịch UBND phường"), "cli:test")
    await services.publishing.publish(1, "cli:test")
    replies = await chats["minh"].payload("g:sat:1:0")
    assert "vì sao chưa hài lòng" in replies[0].text
    replies = await chats["minh"].text("Đã hơn một tháng mà đèn vẫn chưa được thay.")
    assert "Góp ý của bạn đã được chuyển" in replies[0].text
    await chats["lan"].payload("g:sat:1:1")
    stranger = Chat(services.intake, "799", channel="telegram")
    replies = await stranger.payload("g:sat:1:0")
    assert "chỉ có thể đánh giá" in replies[0].text
    row = await database.fetch_one("SELECT comment FROM satisfaction WHERE satisfied = 0")
    assert row["comment"].startswith("Đã hơn một tháng")
    stats = await services.statistics.stats(1)
    assert (stats.satisfied, stats.unsatisfied) == (1, 1)

    await create_meeting(database, clock.now(), title="Đối thoại quý II/2026", days_ahead=30, intake_days=20)
    carried = await services.carryover.carry_over("TT-0001", "cli:test")
    assert carried.meeting_id == 2 and carried.carried_from == 1
    followers = await database.fetch_all("SELECT resident_id FROM followers WHERE concern_id = ? ORDER BY resident_id", (carried.id,))
    lan, minh = (await database.fetch_one("SELECT id FROM residents WHERE channel_user_id = '701'"))[0], (await database.fetch_one("SELECT id FROM residents WHERE channel_user_id = '703'"))[0]
    assert [r["resident_id"] for r in followers] == sorted([lan, minh])
    told = sorted(address for _, address, _ in await outbox(database, "carry:1:"))
    assert told == ["701", "703"]
    assert (await services.carryover.carry_over("TT-0001", "cli:test")).id == carried.id  # idempotent
    replies = await chats["lan"].text("/my")
    assert "đã chuyển sang hội nghị sau" in replies[0].text and carried.code in replies[0].text


async def test_results_report_opens_and_the_ten_day_reminder(
    services: Services, meeting, clock: ManualClock, database: Database
) -> None:
    await prepared(services, clock, database)
    await services.answers.record("TT-0001", AnswerInput("answered", "Đã thay bóng đèn.", "Chủ tịch UBND phường"), "cli:test")
    await services.answers.record(
        "TT-0002", AnswerInput("forwarded", "Chuyển Công ty thoát nước.", "Chủ tịch UBND phường", "Công ty Thoát nước", date(2026, 4, 30)), "cli:test")
    name, content = await services.results.export_results(1, "docx", "cli:test")
    assert name.endswith(".docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "Đã thay bóng đèn" in text and "Công ty Thoát nước" in text and "TT-0002" in text
    name, content = await services.results.export_results(1, "xlsx", "cli:test")
    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows() for c in row]
    assert "TT-0001" in cells and "TT-0002" in cells
    # Exported: no reminder. A meeting held and not exported is reminded at day 7 and day 10.
    assert not [a for a in await services.schedule.actions() if a.kind == "results"]


async def test_results_reminder_when_not_exported(services: Services, meeting, clock: ManualClock, database: Database) -> None:
    clock.advance(timedelta(days=14 + 7, minutes=1))
    ran = await services.schedule.run_due()
    assert "results:1:7" in ran
    rows = await outbox(database, "results:1:7")
    assert rows[0][1] == "-1001000000001" and "10" not in rows[0][0].split(":")[-1]


async def test_staff_chat_publish_and_progress(services: Services, meeting, clock: ManualClock, database: Database) -> None:
    await prepared(services, clock, database)
    staff = StaffChat(services.router, STAFF)
    replies = await staff.command("/answer TT-0001 answered Chủ tịch UBND phường | Đã thay bóng đèn.")
    assert "Đã ghi câu trả lời cho: TT-0001" in replies[0].text
    replies = await staff.command("/answer TT-0002 forwarded Chủ tịch UBND phường | Công ty Thoát nước | 30/04/2026 | Đã chuyển.")
    assert "TT-0002" in replies[0].text
    replies = await staff.command("/publish")
    assert "đã xếp 3 tin trả lời của 2 ý kiến" in replies[0].text
    replies = await staff.command("/progress")
    assert "đang chờ 3" in replies[0].text
    replies = await staff.command("/followup")
    assert "TT-0002 – Công ty Thoát nước, hạn 30/04/2026" in replies[0].text
    replies = await staff.command("/stats 1")
    assert "Chuyển cơ quan: 1" in replies[0].text
    # Every concern received is counted, the merged one as such, not only those counted on their own.
    assert "nhận 3 ý kiến của 3 người dân (đang chờ hội nghị: 2, đã rút: 0, không được tiếp nhận: 0, " \
        "đã gộp với ý kiến khác: 1, đã chuyển sang hội nghị sau: 0); 2 ý kiến được tính riêng" in replies[0].text
    replies = await staff.command("/results docx")
    assert replies[0].document is not None and replies[0].document.filename.endswith(".docx")
