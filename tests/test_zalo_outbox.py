"""Pushes to Zalo residents through the outbox: Zalo's window (held, counted, sent when the
resident writes again), its rate limit and its errors, and the migration that taught the
outbox the 'held' status."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import aiosqlite

from bot.app import Services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.messages import Button, Reply
from bot.domain.records import NewConcern
from bot.outbox.codec import encode_body
from bot.outbox.delivery import Held, RetryAfter, TransientError, Undeliverable
from bot.outbox.dispatcher import OutboxDispatcher
from bot.services.answers import AnswerInput
from handlers.zalo.api import ZaloApiError
from handlers.zalo.sender import RATE_LIMIT_PAUSE_SECONDS, classify
from storage.concerns import ConcernRepository
from storage.db import Database, _migrations
from storage.outbox import OutboxRepository
from storage.residents import ResidentRepository
from storage.zalo import ZaloUserRepository
from tests.conftest import create_meeting
from tests.fakezalo import FakeZalo
from tests.staffchat import STAFF, StaffChat
from tests.zalo_e2e import fake, running_zalo, services, step  # noqa: F401 - fixtures


class ClockSleep:
    """The dispatcher's sleep on the test's clock: waiting moves the clock, not the wall."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=max(seconds, 0.001)))


async def seed_zalo_residents(database: Database, clock: ManualClock, last_wrote: dict[str, timedelta]) -> dict[str, int]:
    """Zalo residents who last wrote to the OA that long ago."""
    ids = {}
    async with database.transaction() as connection:
        for user, ago in last_wrote.items():
            resident = await ResidentRepository(connection).get_or_create("zalo", user, "vi", clock.now() - ago)
            await ZaloUserRepository(connection).touch(user, clock.now() - ago)
            ids[user] = resident.id
    return ids


async def publish_one_concern_each(services: Services, database: Database, clock: ManualClock, residents: dict[str, int]) -> int:
    # Intake from 11 days ago to 2 days ago, held yesterday.
    meeting = await create_meeting(database, clock.now() - timedelta(days=10), days_ahead=9, intake_days=8)
    async with database.transaction() as connection:
        codes = []
        for index, (user, resident_id) in enumerate(residents.items()):
            concern = await ConcernRepository(connection).submit(
                NewConcern(draft_key=f"zalo-seed:{user}", meeting_id=meeting.id, area_id="kp1-t1", topic_id="thoat-nuoc",
                           text=f"Ý kiến số {index}: hẻm 48 ngập nặng mỗi khi mưa lớn, đề nghị nạo vét cống.",
                           author_id=resident_id, language="vi"),
                "TT", clock.now() - timedelta(days=5),
            )
            codes.append(concern.code)
    for code in codes:
        await services.answers.record(code, AnswerInput("answered", "Phường sẽ cho nạo vét trong tháng Tư.", "Chủ tịch UBND phường"), "test")
    report = await services.publishing.publish(meeting.id, "test")
    assert report.queued == len(residents)
    return meeting.id


async def test_a_publish_where_some_zalo_residents_are_outside_the_window(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    recent, old, over_quota, also_recent = "7400000000000000001", "7400000000000000002", "7400000000000000003", "7400000000000000004"
    last_wrote = {recent: timedelta(hours=3), old: timedelta(days=9), over_quota: timedelta(days=1), also_recent: timedelta(days=6)}
    residents = await seed_zalo_residents(database, clock, last_wrote)
    for user, ago in last_wrote.items():
        fake.last_interaction[user] = clock.now() - ago
    meeting_id = await publish_one_concern_each(services, database, clock, residents)
    # Zalo itself refuses one resident we thought reachable (its quota for them is used up).
    fake.fail_next(-232, user=over_quota)

    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        woken: list[str] = []
        channel.on_release.append(lambda: woken.append("notify"))
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
        assert (progress.sent, progress.held, progress.failed, progress.undeliverable) == (2, 2, 0, 0)
        assert {m.user_id for m in fake.sent} == {recent, also_recent}
        answer = fake.inbox(recent)[0]
        assert "TT-000" in answer.text and "trong tháng Tư" in answer.text
        # The satisfaction buttons, as buttons only: typed numbers would not reach this push.
        assert len(answer.buttons()) == 2 and "\n1. " not in answer.text
        # Outside the window by our own record: not even tried.
        assert [c for c in fake.calls if c.user_id == old] == []
        assert [c.error for c in fake.calls if c.user_id == over_quota] == [-232]
        # The way each went is kept on its row (no template is configured here: held).
        routes = {row["address"]: row["route"] for row in await database.fetch_all("SELECT address, route FROM outbox WHERE channel = 'zalo'")}
        # Six days after: inside the window, but a message Zalo charges for.
        assert routes == {recent: "consultation", also_recent: "consultation_charged", old: "held", over_quota: "held"}

        # Held is not failed: hours later nothing was tried again, and staff see the count.
        clock.advance(timedelta(hours=6))
        calls_before = len(fake.calls)
        assert (await dispatcher.drain()).sent == 0
        assert len(fake.calls) == calls_before
        progress_counts = await services.publishing.progress(meeting_id)
        assert (progress_counts["sent"], progress_counts["held"], progress_counts["failed"]) == (2, 2, 0)
        staff = await StaffChat(services.router, STAFF).command(f"/progress {meeting_id}")
        assert "đã gửi 2" in staff[0].text and "2 tin trả lời chưa tới được người dân trên Zalo" in staff[1].text
        assert await services.publishing.retry_failed("test") == 0  # /retry is for failures, not for these
        # Nothing is pending any more: the staff chat's summary says how many are held.
        await services.schedule.run_due()
        summary = await database.fetch_one("SELECT channel, body FROM outbox WHERE dedupe_key = ?", (f"published:{meeting_id}:held",))
        assert summary["channel"] == "telegram" and "2 tin trả lời chưa tới được người dân trên Zalo" in summary["body"]

        # The resident writes again: the held answer goes out, the dispatcher is woken.
        person = fake.user(old)
        replies = await step(channel, person, lambda: person.send_text("Cho hỏi ý kiến của tôi thế nào rồi?"))
        assert replies and woken == ["notify"]
        assert (await dispatcher.drain()).sent == 1
        assert any("trong tháng Tư" in m.text for m in fake.inbox(old))
        other = fake.user(over_quota)
        await step(channel, other, lambda: other.send_text("/my"))
        assert (await dispatcher.drain()).sent == 1
        assert any("trong tháng Tư" in m.text for m in fake.inbox(over_quota))
        assert (await database.fetch_one("SELECT route FROM outbox WHERE address = ?", (old,)))["route"] == "consultation"
        final = await services.publishing.progress(meeting_id)
        assert (final["sent"], final["held"]) == (4, 0)
        # Everyone got the answer exactly once.
        for user in last_wrote:
            assert sum("trong tháng Tư" in m.text for m in fake.inbox(user)) == 1


async def test_rate_limits_and_errors_are_retried_or_final(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    users = {f"75000000000000000{i:02d}": timedelta(hours=1) for i in range(4)}
    slow, flaky, gone, fine = users
    residents = await seed_zalo_residents(database, clock, users)
    for user in users:
        fake.last_interaction[user] = clock.now()
    async with database.transaction() as connection:
        outbox = OutboxRepository(connection)
        for user in residents:
            await outbox.enqueue(f"notice:{user}", "zalo", user, encode_body(Reply("Thông báo họp tổ dân phố.", buttons=((Button("Xem", "g:my:"),),))), clock.now())
    fake.fail_next(-32, user=slow)  # rate limited: the whole channel waits, then sends
    fake.fail_next(-50, user=flaky)  # an error Zalo may not repeat: retried with backoff
    fake.fail_next(-213, user=gone)  # the user no longer follows the OA: final
    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        start = clock.now()
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
    assert (progress.sent, progress.undeliverable, progress.failed, progress.held) == (3, 1, 0, 0)
    assert {m.user_id for m in fake.sent} == {slow, flaky, fine}
    assert clock.now() - start >= timedelta(seconds=RATE_LIMIT_PAUSE_SECONDS)
    row = await database.fetch_one("SELECT status, last_error FROM outbox WHERE address = ?", (gone,))
    assert row["status"] == "undeliverable" and "-213" in row["last_error"]


def test_zalo_answers_are_classified() -> None:
    assert isinstance(classify(ZaloApiError(-32, "rate")), RetryAfter)
    assert isinstance(classify(ZaloApiError(0, "Too Many Requests", status=429)), RetryAfter)
    assert isinstance(classify(ZaloApiError(-230, "not interacted in 7 days")), Held)
    assert isinstance(classify(ZaloApiError(-232, "quota")), Held)
    assert isinstance(classify(ZaloApiError(-213, "not a follower")), Undeliverable)
    assert isinstance(classify(ZaloApiError(-201, "invalid parameter")), Undeliverable)
    assert isinstance(classify(ZaloApiError(0, "Bad Gateway", status=502)), TransientError)
    assert isinstance(classify(ZaloApiError(-999, "unknown")), TransientError)


async def test_the_migration_keeps_every_outbox_row_and_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        for number, script in _migrations():
            if number > 3:
                break
            await connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
        for index, status in enumerate(("pending", "sending", "sent", "failed", "undeliverable")):
            await connection.execute(
                "INSERT INTO outbox (id, dedupe_key, channel, address, body, status, attempts, next_attempt_at, "
                "last_error, created_at, sent_at) VALUES (?, ?, 'telegram', ?, '{}', ?, ?, '2026-03-01T00:00:00+00:00', "
                "?, '2026-03-01T00:00:00+00:00', NULL)",
                (10 + index, f"k{index}", str(700 + index), status, index, "boom" if status == "failed" else None),
            )
        before = await (await connection.execute("SELECT * FROM outbox ORDER BY id")).fetchall()
    database = await Database.open(path)
    try:
        after = await database.fetch_all("SELECT * FROM outbox ORDER BY id")
        # Later migrations add columns (0009: the route), empty on old rows.
        assert [tuple(row)[: len(before[0])] for row in after] == [tuple(row) for row in before]
        assert {row["route"] for row in after} == {None}
        indexes = {row["name"] for row in await database.fetch_all("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'")}
        assert {"outbox_due", "outbox_held"} <= indexes
        async with database.transaction() as connection:
            outbox = OutboxRepository(connection)
            assert await outbox.enqueue("k-new", "zalo", "u", "{}", __import__("datetime").datetime.fromisoformat("2026-03-02T00:00:00+00:00"))
            await connection.execute("UPDATE outbox SET status = 'held' WHERE dedupe_key = 'k-new'")
            assert (await outbox.counts())["held"] == 1
        try:
            async with database.transaction() as connection:
                await connection.execute("UPDATE outbox SET status = 'lost' WHERE dedupe_key = 'k-new'")
        except sqlite3.IntegrityError:
            pass
        else:
            raise AssertionError("the CHECK constraint was lost")
    finally:
        await database.close()
