"""Bad input and bad starts get a clear answer: no traceback for a resident, staff or operator."""

from __future__ import annotations

import pytest

from bot.app import Services, build_services
from bot.domain.payloads import record_id
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.staffchat import ADMIN, STAFF, StaffChat

# More than SQLite's 64-bit integers hold: binding it raised OverflowError deep in a query.
HUGE = "99999999999999999999"


@pytest.fixture
def services(settings, database: Database, clock) -> Services:
    return build_services(settings, database, clock)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (f"g:wd:{HUGE}", "không hợp lệ"),
        (f"g:wdy:{HUGE}", "không hợp lệ"),
        (f"g:sat:{HUGE}:1", "không hợp lệ"),
        (f"5:m:{HUGE}", "bước đã qua"),
        (f"{HUGE}:m:1", "bước đã qua"),
    ],
)
async def test_a_forged_button_with_a_huge_id_is_refused(services: Services, meeting, payload: str, fragment: str) -> None:
    lan = Chat(services.intake, "200000001", channel="telegram")
    await submit_concern(lan, "Đèn đường hẻm 12 bị hỏng mấy tuần nay rồi.")
    replies = await lan.payload(payload)
    assert fragment in replies[0].text


@pytest.mark.parametrize("command", [f"/status {HUGE}", f"/withdraw {HUGE}", f"/status TT-{HUGE}"])
async def test_a_typed_code_with_a_huge_number_is_not_found(services: Services, meeting, command: str) -> None:
    lan = Chat(services.intake, "200000001", channel="telegram")
    await submit_concern(lan, "Đèn đường hẻm 12 bị hỏng mấy tuần nay rồi.")
    replies = await lan.text(command)
    assert "ví dụ: /" in replies[0].text  # no code of ours has that many digits: asked for a real one


@pytest.mark.parametrize(
    "payload",
    [f"s:c:{HUGE}", f"s:q:{HUGE}:0", f"s:q:1:{HUGE}", f"s:st:{HUGE}:1", f"s:sa:1:{HUGE}", f"s:ag:{HUGE}",
     f"s:ai:{HUGE}:1:1", f"s:au:1:{HUGE}", f"s:ex:{HUGE}:xlsx"],
)
async def test_a_forged_staff_button_with_a_huge_id_is_refused(services: Services, meeting, payload: str) -> None:
    await submit_concern(Chat(services.intake, "200000001", channel="telegram"), "Đèn đường hẻm 12 bị hỏng mấy tuần nay rồi.")
    replies = await StaffChat(services.router, STAFF).payload(payload)
    assert "sai thông tin" in replies[0].text


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        (f"/concern {HUGE}", "không tìm thấy"),
        (f"/agenda {HUGE}", "sai thông tin"),
        (f"/queue {HUGE}", "sai thông tin"),
        (f"/queue 1 {HUGE}", "sai thông tin"),
        (f"/item {HUGE} in", "sai thông tin"),
        (f"/item 1 minutes {HUGE}", "sai thông tin"),
        (f"/item 1 move {HUGE}", "sai thông tin"),
        (f"/meeting_cancel {HUGE} lý do", "sai thông tin"),
        (f"/meeting_edit {HUGE} place Nhà văn hóa", "sai thông tin"),
    ],
)
async def test_a_staff_command_with_a_huge_id_is_refused(services: Services, meeting, command: str, fragment: str) -> None:
    replies = await StaffChat(services.router, ADMIN).command(command)
    assert fragment in replies[0].text


def test_a_record_id_is_at_most_what_sqlite_holds() -> None:
    assert record_id(str(2**63 - 1)) == 2**63 - 1
    assert record_id(str(2**63)) is None
    assert record_id("1" * 5000) is None  # not even converted: int() would refuse it anyway
    assert record_id("３") == 3 and record_id("²") is None
