"""Every staff action checks the sender's role on the server; refusals are polite and audited."""

from __future__ import annotations

import pytest

from bot.app import Services, build_services
from bot.staff.desk import ADMIN_COMMANDS, STAFF_COMMANDS
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.staffchat import ADMIN, HEAD, STAFF, StaffChat

BUTTONS = ["s:q:1:1", "s:c:1", "s:tm:1:1", "s:st:1:1:an-ninh", "s:am:1:1", "s:sa:1:1:kp2", "s:mg:1:2",
           "s:ag:1", "s:ai:1:1:0", "s:au:1:2", "s:ex:1:docx", "s:zz:1"]


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


async def concern_pair(services: Services) -> None:
    await submit_concern(Chat(services.intake, "501", channel="telegram"), "Đèn đường hẻm 48 Tân Hóa hư đã lâu.")
    await submit_concern(Chat(services.intake, "502", channel="telegram"), "Cống thoát nước đường Ông Ích Khiêm bị nghẹt.")


@pytest.mark.parametrize("command", sorted(STAFF_COMMANDS))
@pytest.mark.parametrize("where", ["private", "staff_chat"])
async def test_every_staff_command_is_refused_to_residents(services: Services, meeting, database: Database, command: str, where: str) -> None:
    await concern_pair(services)
    resident = "777"
    chat = StaffChat(services.router, resident, chat_id=resident if where == "private" else "-1001000000001")
    replies = await chat.command(f"/{command} TT-0001 TT-0002 1")
    assert len(replies) == 1 and "chỉ dành cho" in replies[0].text
    row = await database.fetch_one("SELECT * FROM audit_log WHERE actor = ? ORDER BY id DESC", (f"telegram:{resident}",))
    assert row["outcome"] == "forbidden" and row["action"] == command
    concerns = await database.fetch_all("SELECT status, merged_into, topic_id FROM concerns ORDER BY id")
    assert [tuple(r) for r in concerns] == [("open", None, "hem-chieu-sang"), ("open", None, "hem-chieu-sang")]


@pytest.mark.parametrize("payload", BUTTONS)
async def test_forged_staff_buttons_do_nothing_for_residents_and_group_heads(services: Services, meeting, database: Database, payload: str) -> None:
    await concern_pair(services)
    for user in ("778", HEAD):
        replies = await StaffChat(services.router, user, chat_id=user).payload(payload)
        assert "chỉ dành cho" in replies[0].text
    merged = await database.fetch_one("SELECT count(*) FROM concerns WHERE merged_into IS NOT NULL")
    assert merged[0] == 0
    refusals = await database.fetch_one("SELECT count(*) FROM audit_log WHERE outcome = 'forbidden'")
    assert refusals[0] == 2


@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
async def test_admin_commands_are_refused_to_plain_staff(services: Services, meeting, database: Database, command: str) -> None:
    replies = await StaffChat(services.router, STAFF).command(f"/{command} 1 closes 20/03/2026 08:00")
    assert "quản trị viên" in replies[0].text
    assert (await database.fetch_one("SELECT outcome FROM audit_log ORDER BY id DESC"))["outcome"] == "forbidden"
    assert (await database.fetch_one("SELECT version FROM meetings"))["version"] == 1


async def test_staff_may_triage_and_admins_may_manage_meetings(services: Services, meeting, database: Database) -> None:
    await concern_pair(services)
    staff = StaffChat(services.router, STAFF)
    replies = await staff.command("/queue")
    assert "2 ý kiến" in replies[0].text
    replies = await staff.command("/merge TT-0002 TT-0001")
    assert "Đã gộp" in replies[0].text
    admin = StaffChat(services.router, ADMIN)
    replies = await admin.command("/meeting_close 1")
    assert "dừng nhận ý kiến" in replies[0].text
    actions = [row["action"] for row in await database.fetch_all("SELECT action FROM audit_log WHERE outcome = 'done' ORDER BY id")]
    assert "concern.merge" in actions and "meeting.edit" in actions


async def test_other_group_chats_are_ignored(services: Services, meeting) -> None:
    stranger_group = StaffChat(services.router, STAFF, chat_id="-100999")
    assert await stranger_group.command("/queue") == []


@pytest.mark.parametrize("where", ["private", "staff_chat"])
async def test_a_flood_of_staff_commands_gets_one_warning_then_silence(
    services: Services, settings, database: Database, where: str
) -> None:
    flooder = "779"
    chat = StaffChat(services.router, flooder, chat_id=flooder if where == "private" else "-1001000000001")
    limit = settings.limits.messages_per_minute
    answered = [await chat.command("/queue") for _ in range(500)]
    assert all(len(replies) == 1 for replies in answered[: limit + 1])
    assert "quá nhanh" in answered[limit][0].text
    assert all(replies == [] for replies in answered[limit + 1 :])
    refusals = await database.fetch_one("SELECT count(*) FROM audit_log WHERE actor = ?", (f"telegram:{flooder}",))
    assert refusals[0] == limit
    # Buttons count against the same window.
    assert await chat.payload("s:q:1:1") == []
