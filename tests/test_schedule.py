"""The schedule: announce, remind before the intake closes, report the close to staff.

Everything is derived from the database, so restarts repeat nothing and catch up on what
was missed. Time comes from a ManualClock and actions are carried out with `run_due()`;
the APScheduler part is only inspected (job ids and run dates) with a clock far in the
future of any real date, so that no job fires by the wall clock — except in the one test
that wants it to, which puts the clock far in the past instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock, format_local
from bot.config import Settings
from bot.domain.records import Meeting
from bot.outbox.codec import decode_body
from bot.services.meetings import MeetingDraft, MeetingService
from bot.services.schedule import REBUILD_JOB, REMIND_BEFORE_CLOSE, Action, Schedule
from storage.db import Database
from storage.residents import ResidentRepository
from storage.subscriptions import ScheduleMarks, SubscriptionRepository
from tests.chat import Chat, submit_concern
from tests.conftest import START, ZONE, create_meeting

# config.example.toml: [staff] chat_id
STAFF_CHAT = "-1001000000001"
# Far from any day these tests may run on: APScheduler compares run dates with the wall clock.
FUTURE = datetime(2099, 3, 2, 9, 0, tzinfo=ZONE)
PAST = datetime(2020, 3, 2, 9, 0, tzinfo=ZONE)
TOPIC = "Hẻm, đường sá, đèn chiếu sáng"  # the topic submit_concern picks


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def services(settings: Settings, database: Database, clock: ManualClock) -> Services:
    return build_services(settings, database, clock)


@asynccontextmanager
async def reopened(database: Database) -> AsyncIterator[Database]:
    """The same file opened again, as a restarted process would."""
    again = await Database.open(database.path)
    try:
        yield again
    finally:
        await again.close()


@contextmanager
def running(schedule: Schedule) -> Iterator[Schedule]:
    schedule.start()
    try:
        yield schedule
    finally:
        schedule.shutdown()


def jobs(schedule: Schedule) -> dict[str, datetime]:
    """Job id -> next run time, read from the (private) APScheduler instance."""
    assert schedule._scheduler is not None
    found = schedule._scheduler.get_jobs()
    assert len(found) == len({job.id for job in found}), "duplicate job ids"
    return {job.id: job.next_run_time for job in found if job.id != REBUILD_JOB}


async def outbox(database: Database, prefix: str = "") -> list[sqlite3.Row]:
    rows = await database.fetch_all("SELECT dedupe_key, channel, address, body FROM outbox ORDER BY id")
    return [row for row in rows if str(row["dedupe_key"]).startswith(prefix)]


def text(row: sqlite3.Row) -> str:
    return decode_body(row["body"]).text


def addresses(rows: list[sqlite3.Row]) -> list[str]:
    return sorted(str(row["address"]) for row in rows)


async def resident(database: Database, now: datetime, user_id: str, *areas: str) -> int:
    """A resident of the test channel following `areas`, as the receipt's button would record."""
    async with database.transaction() as connection:
        person = await ResidentRepository(connection).get_or_create("test", user_id, "vi", now)
        for area in areas:
            await SubscriptionRepository(connection).subscribe(person.id, area, now)
        return person.id


async def marks(database: Database) -> set[str]:
    async with database.transaction() as connection:
        return await ScheduleMarks(connection).all()


def by_key(actions: list[Action]) -> dict[str, Action]:
    return {action.key: action for action in actions}


def draft(now: datetime, **changes: object) -> MeetingDraft:
    fields: dict[str, object] = {
        "title": "Hội nghị đối thoại quý II/2026",
        "starts_at": now + timedelta(days=14),
        "place": "Nhà văn hóa khu phố 2",
        "area_id": "kp2",
        "intake_opens_at": now - timedelta(hours=1),
        "intake_closes_at": now + timedelta(days=10),
    }
    fields.update(changes)
    return MeetingDraft(**fields)  # type: ignore[arg-type]


# --- what is due and when ---------------------------------------------------------------------


async def test_an_announced_meeting_has_announce_now_remind_a_day_before_close_and_close(
    services: Services, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    assert REMIND_BEFORE_CLOSE == timedelta(hours=24)
    actions = by_key(await services.schedule.actions())
    assert sorted(actions) == [f"announce:{meeting.id}", f"close:{meeting.id}", f"remind:{meeting.id}"]
    assert actions[f"announce:{meeting.id}"].when == clock.now()
    assert actions[f"remind:{meeting.id}"].when == meeting.intake_closes_at - timedelta(hours=24)
    assert actions[f"close:{meeting.id}"].when == meeting.intake_closes_at
    assert {a.kind for a in actions.values()} == {"announce", "remind", "close"}
    assert all(a.meeting_id == meeting.id for a in actions.values())


async def test_draft_and_cancelled_meetings_produce_no_actions(
    services: Services, database: Database, clock: ManualClock
) -> None:
    meetings = services.meetings
    drafted = (await meetings.create(draft(clock.now()), "admin", announce=False)).meeting
    cancelled = (await meetings.create(draft(clock.now(), title="Hội nghị bị hủy"), "admin")).meeting
    await resident(database, clock.now(), "2001", "kp2")
    stale = by_key(await services.schedule.actions())  # the cancelled one's, computed before the cancel
    assert sorted(stale) == [f"announce:{cancelled.id}", f"close:{cancelled.id}", f"remind:{cancelled.id}"]

    await meetings.cancel(cancelled.id, "admin", "Trùng lịch họp của Quận")
    assert await services.schedule.actions() == []
    clock.advance(timedelta(days=11))
    assert await services.schedule.run_due() == []
    # A job computed before the cancel that fires anyway sends nothing.
    assert await services.schedule.run(stale[f"close:{cancelled.id}"]) is False
    assert await outbox(database) == []

    # Announcing the draft makes it a scheduled meeting, announced at once.
    clock.set(START + timedelta(hours=1))
    await meetings.announce(drafted.id, "admin")
    actions = by_key(await services.schedule.actions())
    assert sorted(actions) == [f"announce:{drafted.id}", f"close:{drafted.id}", f"remind:{drafted.id}"]
    assert actions[f"announce:{drafted.id}"].when == clock.now()
    assert await services.schedule.run_due() == [f"announce:{drafted.id}"]
    assert addresses(await outbox(database, f"announce:{drafted.id}:")) == ["2001"]


async def test_editing_the_close_time_moves_close_and_remind(
    services: Services, database: Database, clock: ManualClock
) -> None:
    created = (await services.meetings.create(draft(clock.now()), "admin")).meeting
    old_close = created.intake_closes_at
    new_close = old_close + timedelta(days=2)
    await services.meetings.edit(created.id, "admin", intake_closes_at=new_close)

    actions = by_key(await services.schedule.actions())
    assert actions[f"close:{created.id}"].when == new_close
    assert actions[f"remind:{created.id}"].when == new_close - REMIND_BEFORE_CLOSE

    assert await services.schedule.run_due() == [f"announce:{created.id}"]
    clock.set(old_close - REMIND_BEFORE_CLOSE)
    assert await services.schedule.run_due() == []
    clock.set(old_close)
    assert await services.schedule.run_due() == []
    assert await outbox(database, "close:") == []
    clock.set(new_close - REMIND_BEFORE_CLOSE)
    assert await services.schedule.run_due() == [f"remind:{created.id}"]
    clock.set(new_close)
    assert await services.schedule.run_due() == [f"close:{created.id}"]
    assert len(await outbox(database, f"close:{created.id}")) == 1


# --- who hears what -----------------------------------------------------------------------


async def test_announce_reaches_the_area_the_areas_below_and_above_once_each(
    services: Services, database: Database, clock: ManualClock, settings: Settings
) -> None:
    meeting = await create_meeting(database, clock.now(), area_id="kp1", title="Đối thoại với Nhân dân Khu phố 1")
    now = clock.now()
    same = await resident(database, now, "3001", "kp1")
    below = await resident(database, now, "3002", "kp1-t2")
    above = await resident(database, now, "3003", "phu-tho")
    twice = await resident(database, now, "3004", "kp1", "kp1-t1")  # follows two areas in the audience
    await resident(database, now, "3005", "kp2")                    # another khu phố
    await resident(database, now, "3006", "kp2-t4")                 # a tổ of another khu phố
    await resident(database, now, "3007")                            # follows nothing
    assert len({same, below, above, twice}) == 4

    assert await services.schedule.run_due() == [f"announce:{meeting.id}"]
    rows = await outbox(database, f"announce:{meeting.id}:")
    assert addresses(rows) == ["3001", "3002", "3003", "3004"]
    assert {row["channel"] for row in rows} == {"test"}
    for row in rows:
        body = text(row)
        assert "thông báo" in body
        assert "Đối thoại với Nhân dân Khu phố 1" in body
        assert "Hội trường UBND phường Phú Thọ" in body
        assert format_local(meeting.starts_at, settings.zone) in body
        assert format_local(meeting.intake_closes_at, settings.zone) in body
    assert len(await outbox(database)) == 4


async def test_a_ward_meeting_from_announce_to_close(
    services: Services, database: Database, clock: ManualClock, settings: Settings, meeting: Meeting
) -> None:
    assert settings.staff.chat_id is not None and str(settings.staff.chat_id) == STAFF_CHAT
    # Lan sends a concern and takes the receipt's offer to hear of meetings of her tổ.
    lan = Chat(services.intake, "1001")
    code = await submit_concern(lan)
    subscribe = lan.button("Nhận thông báo")
    assert subscribe.payload == "g:sub:kp1-t1"
    await lan.press("Nhận thông báo")
    assert any("Bạn sẽ nhận thông báo" in reply.text for reply in lan.history[-3:])
    # Minh follows Khu phố 2 and sends nothing.
    await resident(database, clock.now(), "1002", "kp2")

    assert await services.schedule.run_due() == [f"announce:{meeting.id}"]
    assert addresses(await outbox(database, f"announce:{meeting.id}:")) == ["1001", "1002"]

    remind_at = meeting.intake_closes_at - timedelta(hours=24)
    clock.set(remind_at - timedelta(minutes=1))
    assert await services.schedule.run_due() == []
    clock.set(remind_at)
    assert await services.schedule.run_due() == [f"remind:{meeting.id}"]
    reminders = await outbox(database, f"remind:{meeting.id}:")
    assert addresses(reminders) == ["1002"], "the resident who sent a concern is not reminded"
    assert meeting.title in text(reminders[0])
    assert format_local(meeting.intake_closes_at, settings.zone) in text(reminders[0])

    clock.set(meeting.intake_closes_at - timedelta(seconds=1))
    assert await services.schedule.run_due() == []
    clock.set(meeting.intake_closes_at)
    assert await services.schedule.run_due() == [f"close:{meeting.id}"]
    closes = await outbox(database, "close:")
    assert len(closes) == 1
    assert (closes[0]["channel"], closes[0]["address"]) == ("telegram", STAFF_CHAT)
    report = text(closes[0])
    assert f"#{meeting.id}" in report and meeting.title in report
    assert "1 ý kiến" in report and f"{TOPIC}: 1" in report
    assert code.startswith("TT-")

    assert await services.schedule.actions() == []
    assert await services.schedule.run_due() == []
    assert len(await outbox(database)) == 4


async def test_the_close_report_counts_zero_and_several_concerns(
    services: Services, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    for user in ("1101", "1102", "1103"):
        await submit_concern(Chat(services.intake, user), f"Hẻm số {user} ngập nước mỗi khi mưa lớn, xin sửa cống.")
    empty = await create_meeting(database, clock.now(), title="Hội nghị không ai gửi", area_id="kp4")
    clock.set(meeting.intake_closes_at)
    assert set(await services.schedule.run_due()) >= {f"close:{meeting.id}", f"close:{empty.id}"}
    full = text((await outbox(database, f"close:{meeting.id}"))[0])
    none = text((await outbox(database, f"close:{empty.id}"))[0])
    assert "3 ý kiến" in full and f"{TOPIC}: 3" in full
    assert "0 ý kiến" in none and "Hội nghị không ai gửi" in none


# --- nothing twice, nothing missed ------------------------------------------------------


async def test_run_due_twice_and_a_restart_duplicate_nothing(
    services: Services, database: Database, clock: ManualClock, settings: Settings, meeting: Meeting
) -> None:
    await resident(database, clock.now(), "4001", "kp1")
    await resident(database, clock.now(), "4002", "phu-tho")
    told: list[str] = []

    async def told_async() -> None:
        told.append("async")

    services.schedule.after_action.append(lambda: told.append("sync"))
    services.schedule.after_action.append(told_async)

    assert await services.schedule.run_due() == [f"announce:{meeting.id}"]
    assert told == ["sync", "async"]
    before = await outbox(database)
    assert len(before) == 2
    assert await services.schedule.run_due() == []
    assert told == ["sync", "async"], "nothing ran, nobody is told"

    # A restart: a new process, a new connection, a new Schedule, the same file.
    async with reopened(database) as again:
        restarted = build_services(settings, again, clock).schedule
        assert f"announce:{meeting.id}" not in by_key(await restarted.actions())
        assert await restarted.run_due() == []
        assert await outbox(again) == before

        # The old and the new schedule reach the reminder, then the close, at the same moment.
        clock.set(meeting.intake_closes_at - REMIND_BEFORE_CLOSE)
        ran = await asyncio.gather(services.schedule.run_due(), restarted.run_due())
        assert sorted(ran[0] + ran[1]) == [f"remind:{meeting.id}"]
        clock.set(meeting.intake_closes_at)
        ran = await asyncio.gather(services.schedule.run_due(), restarted.run_due())
        assert sorted(ran[0] + ran[1]) == [f"close:{meeting.id}"]
        assert len(await outbox(again, f"remind:{meeting.id}:")) == 2
        assert len(await outbox(again, "close:")) == 1

        again_restarted = build_services(settings, again, clock).schedule
        assert await again_restarted.actions() == []
        assert await again_restarted.run_due() == []
    assert len(await outbox(database)) == 5
    keys = [row["dedupe_key"] for row in await outbox(database)]
    assert len(keys) == len(set(keys))


async def test_a_close_missed_while_down_is_caught_up_once_and_the_late_reminder_dropped(
    services: Services, database: Database, clock: ManualClock, settings: Settings, meeting: Meeting
) -> None:
    await submit_concern(Chat(services.intake, "5001"))
    await resident(database, clock.now(), "5002", "kp3")
    assert await services.schedule.run_due() == [f"announce:{meeting.id}"]

    # Down from here until two hours after the intake closed: remind and close were missed.
    clock.set(meeting.intake_closes_at + timedelta(hours=2))
    async with reopened(database) as again:
        restarted = build_services(settings, again, clock).schedule
        pending = await restarted.actions()
        assert [(a.key, a.when) for a in pending] == [(f"close:{meeting.id}", meeting.intake_closes_at)]
        assert await restarted.run_due() == [f"close:{meeting.id}"]
        assert await restarted.run_due() == []
        assert await build_services(settings, again, clock).schedule.run_due() == []

        closes = await outbox(again, "close:")
        assert len(closes) == 1 and closes[0]["address"] == STAFF_CHAT
        assert "1 ý kiến" in text(closes[0])
        assert await outbox(again, "remind:") == [], "a reminder after the intake closed is pointless"
        assert f"close:{meeting.id}" in await marks(again)


async def test_everything_missed_before_the_meeting_is_caught_up_in_order(
    services: Services, database: Database, clock: ManualClock, settings: Settings, meeting: Meeting
) -> None:
    await resident(database, clock.now(), "6001", "kp2-t5")
    # Never ran at all; started a minute before the intake closes: announce and remind still matter.
    clock.set(meeting.intake_closes_at - timedelta(minutes=1))
    assert await services.schedule.run_due() == [f"announce:{meeting.id}", f"remind:{meeting.id}"]
    assert [r["dedupe_key"] for r in await outbox(database)] == [
        f"announce:{meeting.id}:1", f"remind:{meeting.id}:1"
    ]
    clock.set(meeting.intake_closes_at)
    assert await services.schedule.run_due() == [f"close:{meeting.id}"]


async def test_a_missed_announce_is_dropped_once_the_meeting_has_started(
    services: Services, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    await resident(database, clock.now(), "6101", "kp1")
    clock.set(meeting.starts_at + timedelta(hours=1))
    assert await services.schedule.run_due() == [f"close:{meeting.id}"]
    assert [r["dedupe_key"] for r in await outbox(database)] == [f"close:{meeting.id}"]


# --- APScheduler ----------------------------------------------------------------------------


async def test_rebuild_lists_each_action_once_with_its_run_date(settings: Settings, database: Database) -> None:
    clock = ManualClock(FUTURE)
    meeting = await create_meeting(database, clock.now())
    schedule = build_services(settings, database, clock).schedule
    with running(schedule):
        ids = await schedule.rebuild()
        assert ids == [f"announce:{meeting.id}", f"close:{meeting.id}", f"remind:{meeting.id}"]
        assert await schedule.rebuild() == ids
        assert await schedule.rebuild() == ids
        found = jobs(schedule)
        assert found == {
            f"announce:{meeting.id}": clock.now(),
            f"remind:{meeting.id}": meeting.intake_closes_at - timedelta(hours=24),
            f"close:{meeting.id}": meeting.intake_closes_at,
        }
        # Done actions are no longer jobs.
        assert await schedule.run_due() == [f"announce:{meeting.id}"]
        assert await schedule.rebuild() == [f"close:{meeting.id}", f"remind:{meeting.id}"]


async def test_after_a_restart_past_due_jobs_run_now_and_nothing_is_doubled(
    settings: Settings, database: Database
) -> None:
    clock = ManualClock(FUTURE)
    meeting = await create_meeting(database, clock.now())
    first = build_services(settings, database, clock).schedule
    with running(first):
        assert await first.rebuild() == [f"announce:{meeting.id}", f"close:{meeting.id}", f"remind:{meeting.id}"]
    await asyncio.sleep(0)

    # Down past the close: the restarted scheduler holds the close (due now), not the reminder.
    clock.set(meeting.intake_closes_at + timedelta(hours=3))
    async with reopened(database) as again:
        second = build_services(settings, again, clock).schedule
        with running(second):
            assert await second.rebuild() == [f"announce:{meeting.id}", f"close:{meeting.id}"]
            assert await second.rebuild() == [f"announce:{meeting.id}", f"close:{meeting.id}"]
            assert jobs(second) == {f"announce:{meeting.id}": clock.now(), f"close:{meeting.id}": clock.now()}


async def test_a_meeting_change_rebuilds_the_jobs(settings: Settings, database: Database) -> None:
    clock = ManualClock(FUTURE)
    services = build_services(settings, database, clock)
    services.meetings.on_change.append(services.schedule.rebuild)  # as bot.app wires it
    with running(services.schedule):
        assert await services.schedule.rebuild() == []
        created = (await services.meetings.create(draft(clock.now()), "admin")).meeting
        assert sorted(jobs(services.schedule)) == [f"announce:{created.id}", f"close:{created.id}", f"remind:{created.id}"]

        later = created.intake_closes_at + timedelta(days=1)
        await services.meetings.edit(created.id, "admin", intake_closes_at=later)
        found = jobs(services.schedule)
        assert found[f"close:{created.id}"] == later
        assert found[f"remind:{created.id}"] == later - REMIND_BEFORE_CLOSE

        drafted = (await services.meetings.create(draft(clock.now(), title="Bản nháp"), "admin", announce=False)).meeting
        assert len(jobs(services.schedule)) == 3
        await services.meetings.announce(drafted.id, "admin")
        assert len(jobs(services.schedule)) == 6
        assert jobs(services.schedule)[f"announce:{drafted.id}"] == clock.now()

        await services.meetings.cancel(created.id, "admin", "Trùng lịch")
        assert sorted(jobs(services.schedule)) == [f"announce:{drafted.id}", f"close:{drafted.id}", f"remind:{drafted.id}"]


async def test_shutdown_stops_the_scheduler_and_is_safe_to_repeat(settings: Settings, database: Database) -> None:
    schedule = build_services(settings, database, ManualClock(FUTURE)).schedule
    schedule.shutdown()  # never started: nothing to do
    schedule.start()
    assert schedule._scheduler is not None and schedule._scheduler.running
    schedule.shutdown()
    await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop
    assert not schedule._scheduler.running
    schedule.shutdown()


async def test_the_scheduler_itself_runs_a_missed_close_once(settings: Settings, database: Database) -> None:
    # The clock is far in the past of any real date, so the jobs' run dates ("now") are due
    # for APScheduler at once.
    clock = ManualClock(PAST)
    meeting = await create_meeting(database, clock.now())
    clock.set(meeting.intake_closes_at + timedelta(minutes=5))
    schedule = build_services(settings, database, clock).schedule
    with running(schedule):
        assert await schedule.rebuild() == [f"announce:{meeting.id}", f"close:{meeting.id}"]
        for _ in range(200):
            if f"close:{meeting.id}" in await marks(database):
                break
            await asyncio.sleep(0.01)
        assert f"close:{meeting.id}" in await marks(database)
        assert await schedule.rebuild() == []
        assert await schedule.run_due() == []
    assert len(await outbox(database, "close:")) == 1


# --- stale jobs (fixed bugs) -------------------------------------------------------------------------------------


async def test_a_late_reminder_job_after_the_close_sends_nothing(
    services: Services, database: Database, clock: ManualClock, settings: Settings, meeting: Meeting
) -> None:
    await resident(database, clock.now(), "7001", "kp1")
    remind = by_key(await services.schedule.actions())[f"remind:{meeting.id}"]
    # Staff close the intake early from the command line: another process, no rebuild here.
    other_process = MeetingService(settings, database, clock)
    clock.set(remind.when - timedelta(hours=1))
    await other_process.close_intake(meeting.id, "admin")
    # The bot's job, computed before, fires at its time.
    clock.set(remind.when)
    await services.schedule.run(remind)
    assert await outbox(database, "remind:") == []


async def test_a_stale_close_job_after_an_extension_waits_for_the_new_close(
    services: Services, database: Database, clock: ManualClock, settings: Settings, meeting: Meeting
) -> None:
    close = by_key(await services.schedule.actions())[f"close:{meeting.id}"]
    # Extended from the command line (another process): the running bot is not told.
    other_process = MeetingService(settings, database, clock)
    later = meeting.intake_closes_at + timedelta(days=2)
    await other_process.edit(meeting.id, "admin", intake_closes_at=later)
    clock.set(close.when)
    await services.schedule.run(close)
    assert await outbox(database, "close:") == [], "reported while the intake is still open"
    clock.set(later)
    assert f"close:{meeting.id}" in await services.schedule.run_due()
    assert len(await outbox(database, "close:")) == 1
