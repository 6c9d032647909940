"""Triage: the queue, fixing topic and area, rejecting with a reason, merging and unmerging."""

from __future__ import annotations

import pytest

from bot.app import Services, build_services
from bot.outbox.codec import decode_body
from bot.services.triage import TriageError
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.residents import ResidentRepository
from tests.chat import Chat, submit_concern, to_summary
from tests.staffchat import STAFF, StaffChat

LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay."
DRAIN = "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập."
TRASH = "Rác tồn đọng góc chợ Thiếc nhiều ngày chưa được thu gom."


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


async def three_concerns(services: Services) -> list[Chat]:
    chats = [Chat(services.intake, str(600 + n), channel="telegram") for n in range(3)]
    for chat, text in zip(chats, (LAMP, DRAIN, TRASH)):
        await submit_concern(chat, text)
    return chats


async def outbox(database: Database) -> list[tuple[str, str, str]]:
    rows = await database.fetch_all("SELECT dedupe_key, address, body FROM outbox ORDER BY id")
    return [(r["dedupe_key"], r["address"], decode_body(r["body"]).text) for r in rows]


async def test_queue_counts_by_topic_and_area(services: Services, meeting) -> None:
    await three_concerns(services)
    await services.triage.set_topic("TT-0002", "thoat-nuoc", "cli:test")
    await services.triage.set_area("TT-0002", "kp4-t11", "cli:test")
    queue = await services.triage.queue(meeting.id)
    assert dict(queue.by_topic) == {"hem-chieu-sang": 2, "thoat-nuoc": 1}
    assert dict(queue.by_area) == {"kp1-t1": 2, "kp4-t11": 1}
    assert [e.concern.code for e in (await services.triage.queue(meeting.id, area_id="kp4")).entries] == ["TT-0002"]


async def test_reject_tells_every_follower_the_reason(services: Services, meeting, database: Database) -> None:
    await three_concerns(services)
    concern = await services.triage.reject("tt 3", "Thuộc thẩm quyền Công ty Môi trường đô thị; đã chuyển thông tin.", "cli:test")
    assert concern.status == "rejected"
    messages = await outbox(database)
    assert len(messages) == 1
    key, address, text = messages[0]
    assert address == "602" and "TT-0003" in text and "Công ty Môi trường" in text
    with pytest.raises(TriageError, match="only open concerns"):
        await services.triage.reject("TT-0003", "again", "cli:test")
    with pytest.raises(TriageError, match="reason"):
        await services.triage.reject("TT-0001", "   ", "cli:test")


async def test_merge_keeps_every_follower_and_unmerge_restores(services: Services, meeting, database: Database, clock) -> None:
    await three_concerns(services)
    async with database.transaction() as connection:
        supporter = await ResidentRepository(connection).get_or_create("telegram", "699", "vi", clock.now())
        assert await ConcernRepository(connection).add_supporter(3, supporter.id, clock.now())
    await services.triage.merge("TT-0003", "TT-0002", "cli:test")
    await services.triage.merge("TT-0002", "TT-0001", "cli:test")
    view = await services.triage.view("TT-0001")
    assert view.residents == 4  # authors of 1, 2, 3 and the supporter of 3
    assert [c.code for c in view.merged_children] == ["TT-0002"]
    async with database.transaction() as connection:
        followers = dict(await ConcernRepository(connection).followers(1))
    assert followers == {1: "author", 2: "author", 3: "author", supporter.id: "supporter"}
    told = sorted(address for key, address, _ in await outbox(database) if key.startswith("merge:"))
    # First 3 (author and supporter) into 2, then 2's whole tree into 1.
    assert told == ["601", "602", "602", "699", "699"]
    await services.triage.unmerge("TT-0002", "cli:test")
    assert (await services.triage.view("TT-0001")).residents == 1
    assert (await services.triage.view("TT-0002")).residents == 3
    with pytest.raises(TriageError, match="not merged"):
        await services.triage.unmerge("TT-0001", "cli:test")


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("TT-0001", "TT-0001", "into itself"),
        ("TT-0002", "TT-0003", "cycle"),  # 3 is merged into 2
        ("TT-0001", "TT-0003", "merge into that one instead"),
        ("TT-0003", "TT-0001", "already merged"),
        ("TT-0099", "TT-0001", "no concern"),
    ],
)
async def test_bad_merges_are_refused(services: Services, meeting, source: str, target: str, message: str) -> None:
    await three_concerns(services)
    await services.triage.merge("TT-0003", "TT-0002", "cli:test")
    with pytest.raises(TriageError, match=message):
        await services.triage.merge(source, target, "cli:test")


async def test_two_staff_editing_the_same_concern(services: Services, meeting, database: Database) -> None:
    await three_concerns(services)
    lan, minh = StaffChat(services.router, STAFF), StaffChat(services.router, "100000003")
    await lan.command("/c TT-0001")
    await minh.command("/c TT-0001")
    await lan.press("Đổi lĩnh vực")
    await minh.press("Đổi khu vực")
    first = await lan.press("An ninh trật tự")
    assert "đã đổi lĩnh vực" in first[0].text
    second = await minh.press("Khu phố 3")
    assert "người khác thay đổi" in second[0].text or "changed by someone else" in second[0].text
    row = await database.fetch_one("SELECT topic_id, area_id, version FROM concerns WHERE id = 1")
    assert (row["topic_id"], row["area_id"], row["version"]) == ("an-ninh", "kp1-t1", 2)
    conflict = await database.fetch_one("SELECT * FROM audit_log WHERE outcome = 'conflict'")
    assert conflict["actor"] == "telegram:100000003"


async def test_staff_chat_concern_view_offers_similar_for_merge(services: Services, meeting, database: Database) -> None:
    await three_concerns(services)
    other = Chat(services.intake, "650", channel="telegram")
    await submit_concern(other, "den duong hem 48 tan hoa hu lau roi, toi lam")
    lan = StaffChat(services.router, STAFF)
    replies = await lan.command("/c TT-0004")
    assert any("Gộp vào TT-0001" in b.label for b in replies[0].all_buttons())
    replies = await lan.press("Gộp vào TT-0001")
    assert "Đã gộp TT-0004 vào TT-0001" in replies[0].text
    row = await database.fetch_one("SELECT merged_into, status FROM concerns WHERE id = 4")
    assert (row["merged_into"], row["status"]) == (1, "merged")


async def test_concern_view_lists_possible_duplicates_of_the_whole_meeting(services: Services, meeting) -> None:
    await three_concerns(services)
    # A neighbour one tổ over, in other words and without accents.
    other = Chat(services.intake, "651", channel="telegram")
    replies = await to_summary(other, "hem 48 tan hoa toi thui, bong den chay may tuan roi", group="Tổ dân phố 2")
    assert "TT-0001" in replies[1].text  # offered, though of another tổ
    await other.press("Không, ý kiến của tôi khác")
    await other.press("Gửi ý kiến")
    detail = (await StaffChat(services.router, STAFF).command("/c TT-0004"))[0]
    lines = detail.text.splitlines()
    at = lines.index("Có thể trùng với:")
    assert lines[at + 1].startswith("• TT-0001 – giống ") and "Tổ dân phố 1 (hẻm 48 Tân Hóa): Đèn đường hẻm 48" in lines[at + 1]
    assert not any("TT-0002" in line or "TT-0003" in line for line in lines[at:])


async def test_agenda_shows_duplicates_left_in_two_items_and_merges_in_one_press(
    services: Services, meeting, database: Database
) -> None:
    await three_concerns(services)
    lan = StaffChat(services.router, STAFF)
    await lan.command("/agenda_build")
    # Filed after the build: the next build makes it an item of its own.
    await submit_concern(Chat(services.intake, "652", channel="telegram"), "Đèn hẻm 48 Tân Hóa tắt hẳn, tối quá")
    replies = await lan.command("/agenda_build")
    text = "\n".join(r.text for r in replies)
    assert "Có thể trùng lặp giữa các mục (bấm để gộp):" in text
    assert "• TT-0004 (mục 4) và TT-0001 (mục 1): giống " in text
    replies = await lan.press("TT-0004 → Gộp vào TT-0001")
    assert "Đã gộp TT-0004 vào TT-0001" in replies[0].text
    row = await database.fetch_one("SELECT merged_into FROM concerns WHERE id = 4")
    assert row["merged_into"] == 1
    replies = await lan.command("/agenda")
    assert "trùng lặp" not in replies[0].text
