"""The walk-through a ward tries before going live, against the fake Zalo (tests/zalo_walkthrough.py,
also runnable by hand): a resident writes on Zalo, three weeks pass, the meeting is held, the
answer is recorded and published. Zalo's window is long shut, so the answer goes as the approved
template, by the resident's Zalo id; the resident follows its button back to the OA, and the full
answer then arrives as an ordinary (consultation) message, with its buttons."""

from __future__ import annotations

from bot.app import Services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import Meeting
from storage.db import Database
from tests.fakezalo import FakeZalo
from tests.zalo_e2e import fake, services  # noqa: F401 - fixtures
from tests.zalo_walkthrough import ANSWER, walk


async def test_a_resident_who_wrote_three_weeks_before_the_meeting_receives_the_answer(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services, meeting: Meeting
) -> None:
    walked = await walk(settings, fake, database, clock, services, meeting)
    # Zalo's window shut two weeks ago: not a consultation message, the approved template by her id.
    assert walked.calls_at_publish == ["message/template"]
    template = walked.template
    assert (template.user_id, template.phone, template.data["ma_y_kien"]) == ("7800000000000000001", None, walked.code)
    assert template.data["noi_dung"] == "Cống thoát nước hẻm 48 Tân Hóa bị…"  # 40 characters at most, cut at a word
    rows = await database.fetch_all("SELECT dedupe_key, status, route FROM outbox WHERE channel = 'zalo' ORDER BY id")
    assert [(row["dedupe_key"].split(":")[0], row["status"], row["route"]) for row in rows] == [
        ("answer", "sent", "template"), ("zalo-full", "sent", "consultation")]
    # Back in the OA's chat, inside the window again: the whole answer, once, with its buttons.
    [full] = walked.full
    assert walked.code in full.text and ANSWER in full.text
    assert [title.split(" ", 1)[1] for title, _ in full.buttons()] == ["Hài lòng", "Chưa hài lòng"]
    assert tuple(await database.fetch_one("SELECT count(*) FROM satisfaction")) == (1,)
    assert fake.reused == []
