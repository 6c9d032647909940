"""Meetings move draft → announced → intake open → intake closed → held; edits stop once held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.outbox.codec import decode_body
from bot.services.meetings import MeetingDraft, MeetingError
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.staffchat import ADMIN, StaffChat


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


def draft(clock: ManualClock, days: int = 20) -> MeetingDraft:
    return MeetingDraft(title="Đối thoại năm 2026", starts_at=clock.now() + timedelta(days=days), place="Hội trường UBND phường")


async def test_phases_follow_the_clock(services: Services, clock: ManualClock) -> None:
    created = await services.meetings.create(draft(clock), "cli:test", announce=False)
    assert created.meeting.phase(clock.now()) == "draft"
    announced = (await services.meetings.announce(created.meeting.id, "cli:test")).meeting
    assert announced.phase(clock.now()) == "intake_open"
    clock.advance(timedelta(days=18, hours=1))
    assert announced.phase(clock.now()) == "intake_closed"
    clock.advance(timedelta(days=2))
    assert announced.phase(clock.now()) == "held"
    with pytest.raises(MeetingError, match="held: it can no longer be changed"):
        await services.meetings.edit(announced.id, "cli:test", place="Nhà văn hóa khu phố 2")


async def test_draft_meetings_take_no_concerns(services: Services, clock: ManualClock) -> None:
    await services.meetings.create(draft(clock), "cli:test", announce=False)
    chat = Chat(services.intake, "801")
    await chat.text("/start")
    await chat.press("Tôi đồng ý")
    replies = await chat.press("Gửi ý kiến mới")
    assert "chưa có hội nghị" in replies[0].text


async def test_short_notice_warns(services: Services, clock: ManualClock) -> None:
    created = await services.meetings.create(draft(clock, days=5), "cli:test")
    assert created.warnings and "7 days" in created.warnings[0]
    assert not (await services.meetings.create(draft(clock, days=8), "cli:test")).warnings


async def test_close_and_reopen_intake(services: Services, clock: ManualClock, database: Database) -> None:
    meeting = (await services.meetings.create(draft(clock), "cli:test")).meeting
    closed = await services.meetings.close_intake(meeting.id, "cli:test")
    assert closed.phase(clock.now()) == "intake_closed"
    with pytest.raises(MeetingError, match="not open"):
        await services.meetings.close_intake(meeting.id, "cli:test")
    with pytest.raises(MeetingError, match="set a later one"):
        await services.meetings.open_intake(meeting.id, "cli:test")
    edited = await services.meetings.edit(meeting.id, "cli:test", intake_closes_at=clock.now() + timedelta(days=3))
    assert edited.meeting.phase(clock.now()) == "intake_open"
    audit = [r["action"] for r in await database.fetch_all("SELECT action FROM audit_log ORDER BY id")]
    assert audit == ["meeting.create", "meeting.edit", "meeting.edit"]


async def test_cancelled_meeting_refuses_concerns_and_tells_followers(
    services: Services, clock: ManualClock, database: Database
) -> None:
    meeting = (await services.meetings.create(draft(clock), "cli:test")).meeting
    lan = Chat(services.intake, "802", channel="telegram")
    code = await submit_concern(lan)
    minh = Chat(services.intake, "803", channel="telegram")
    await minh.text("/start")
    await minh.press("Tôi đồng ý")
    await minh.press("Gửi ý kiến mới")
    replies = await StaffChat(services.router, ADMIN).command(f"/meeting_cancel {meeting.id} Trùng lịch họp Hội đồng nhân dân phường")
    assert "Đã hủy" in replies[0].text
    rows = await database.fetch_all("SELECT address, body FROM outbox")
    assert [(r["address"], code in decode_body(r["body"]).text) for r in rows] == [("802", True)]
    assert "Trùng lịch" in decode_body(rows[0]["body"]).text
    with pytest.raises(MeetingError, match="cancelled"):
        await services.meetings.edit(meeting.id, "cli:test", title="x")


async def test_intake_after_cancel_is_refused_at_confirm(services: Services, clock: ManualClock, database: Database) -> None:
    meeting = (await services.meetings.create(draft(clock), "cli:test")).meeting
    lan = Chat(services.intake, "804")
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("Vấn đề khác")
    await lan.text("Đề nghị lắp thêm camera an ninh ở ngã tư.")
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.press("Gửi ẩn danh")
    await services.meetings.cancel(meeting.id, "cli:test", "Hoãn vì bão")
    replies = await lan.press("Gửi ý kiến")
    assert "hết hạn nhận ý kiến" in replies[0].text
    assert await database.fetch_one("SELECT * FROM concerns") is None


async def test_meeting_new_in_staff_chat(services: Services, clock: ManualClock) -> None:
    admin = StaffChat(services.router, ADMIN)
    replies = await admin.command("/meeting_new 04/03/2026 08:00 | Nhà văn hóa khu phố 2 | Đối thoại đột xuất về ngập nước")
    assert "Đã tạo hội nghị #1" in replies[0].text
    assert "7 ngày" in replies[1].text
    replies = await admin.command("/meeting_edit 1 place Hội trường UBND phường")
    assert "Đã cập nhật" in replies[0].text
    replies = await admin.command("/meeting_new thiếu thông tin")
    assert "Cách dùng" in replies[0].text
    replies = await admin.command("/meeting_edit 1 starts 31/02/2026 08:00")
    assert "Không thực hiện được" in replies[0].text
