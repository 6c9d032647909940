"""The statistics are counted by SQLite: on a small database whose numbers are counted here by
hand, per meeting and over every meeting of the unit; and `doithoai stats` prints them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import Meeting, NewConcern
from bot.domain.vocabulary import ConcernStatus, Disposition
from bot.services.statistics import StatisticsService
from storage.answers import AnswerRepository, SatisfactionRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.residents import ResidentRepository
from tests.conftest import EXAMPLE_CONFIG, create_meeting

ROOT = Path(__file__).resolve().parent.parent
# (meeting, topic, area, what became of it); residents r1.. in order, r1 also supports #2.
CONCERNS = [
    (1, "hem-chieu-sang", "kp1-t1", ConcernStatus.OPEN),      # 1 answered, satisfied ×2
    (1, "hem-chieu-sang", "kp1-t1", ConcernStatus.OPEN),      # 2 forwarded, final on the due day (local): on time
    (1, "hem-chieu-sang", "kp1-t2", ConcernStatus.MERGED),    # 3 merged into 1
    (1, "thoat-nuoc", "kp1-t2", ConcernStatus.OPEN),          # 4 forwarded, final the day after (local): late
    (1, "thoat-nuoc", "kp2", ConcernStatus.REJECTED),         # 5
    (1, "an-ninh", "kp2", ConcernStatus.WITHDRAWN),           # 6
    (1, "an-ninh", "kp2", ConcernStatus.OPEN),                # 7 forwarded, no final answer, past due: overdue
    (1, "moi-truong", "kp1-t1", ConcernStatus.CARRIED),       # 8 explained, not satisfied
    (2, "moi-truong", "kp1-t1", ConcernStatus.OPEN),          # 9 forwarded, no final answer, not yet due
    (2, "thoat-nuoc", "kp2", ConcernStatus.OPEN),             # 10
]


async def seed(database: Database, settings: Settings, clock: ManualClock) -> tuple[Meeting, Meeting]:
    now = clock.now()
    first = await create_meeting(database, now)
    second = await create_meeting(database, now, title="Hội nghị quý II")
    today = now.astimezone(settings.zone).date()
    due = date(2026, 3, 20)
    async with database.transaction() as connection:
        concerns = ConcernRepository(connection, settings.unit.id)
        residents = ResidentRepository(connection)
        people = [await residents.get_or_create("test", f"r{n}", "vi", now) for n in range(1, 11)]
        ids = [0]  # ids[n]: the concern numbered n above (a database may hold others before them)
        for n, (meeting, topic, area, status) in enumerate(CONCERNS, start=1):
            stored = await concerns.submit(NewConcern(
                draft_key=f"stats-{n}", meeting_id=(first, second)[meeting - 1].id, area_id=area, topic_id=topic,
                text=f"Ý kiến số {n}", author_id=people[n - 1].id, language="vi",
            ), settings.unit.code_prefix, now)
            ids.append(stored.id)
            if status is not ConcernStatus.OPEN:
                await concerns.update(stored, status=status, merged_into=ids[1] if status is ConcernStatus.MERGED else None)
        await concerns.add_supporter(ids[2], people[0].id, now)
        answers = AnswerRepository(connection, settings.unit.id)
        for n, disposition, due_date in (
            (1, Disposition.ANSWERED, None), (2, Disposition.FORWARDED, due), (4, Disposition.FORWARDED, due),
            (7, Disposition.FORWARDED, today - timedelta(days=1)), (8, Disposition.EXPLAINED, None),
            (9, Disposition.FORWARDED, today + timedelta(days=3)),
        ):
            await answers.put(ids[n], disposition=disposition, answer="Trả lời", answered_by="Chủ tịch",
                              agency="Công ty" if due_date else None, due_date=due_date, recorded_by="test", now=now)
        # 23:00 on the due day in Hồ Chí Minh City (UTC+7), and 01:30 the next morning there.
        await answers.finalise(ids[2], "Đã xong", "test", datetime(2026, 3, 20, 16, 0, tzinfo=UTC))
        await answers.finalise(ids[4], "Đã xong", "test", datetime(2026, 3, 20, 18, 30, tzinfo=UTC))
        satisfaction = SatisfactionRepository(connection, settings.unit.id)
        await satisfaction.record(ids[1], people[0].id, True, now)
        await satisfaction.record(ids[1], people[2].id, True, now)
        await satisfaction.record(ids[8], people[7].id, False, now)
    return first, second


async def test_sql_counts_match_the_hand_count(database: Database, settings: Settings, clock: ManualClock) -> None:
    first, second = await seed(database, settings, clock)
    service = StatisticsService(settings, database, clock)
    one = await service.stats(first.id)
    assert (one.received, one.concerns, one.residents) == (8, 5, 8)  # counted: 1, 2, 4, 7 open and 8 carried
    assert dict(one.by_status) == {"open": 4, "merged": 1, "rejected": 1, "withdrawn": 1, "carried": 1}
    assert one.by_topic == (("hem-chieu-sang", 2), ("an-ninh", 1), ("moi-truong", 1), ("thoat-nuoc", 1))
    assert one.by_area == (("kp1-t1", 3), ("kp1-t2", 1), ("kp2", 1))
    assert one.by_disposition == (("forwarded", 3), ("answered", 1), ("explained", 1))
    assert (one.forwarded, one.forwarded_on_time, one.forwarded_late, one.forwarded_open, one.forwarded_overdue) == (3, 1, 1, 1, 1)
    assert one.on_time_rate == 0.5 and one.forwarded_waiting == 0
    assert (one.satisfied, one.unsatisfied) == (2, 1)

    every = await service.stats()
    assert (every.received, every.concerns, every.residents) == (10, 7, 10)
    assert dict(every.by_topic) == {"hem-chieu-sang": 2, "thoat-nuoc": 2, "moi-truong": 2, "an-ninh": 1}
    assert dict(every.by_area) == {"kp1-t1": 4, "kp1-t2": 1, "kp2": 2}
    assert (every.forwarded, every.forwarded_open, every.forwarded_overdue, every.forwarded_waiting) == (4, 2, 1, 1)
    two = await service.stats(second.id)
    assert (two.received, two.concerns, two.satisfied, two.on_time_rate) == (2, 2, 0, None)

    # Another unit's meeting in the same database: counted for that unit only, whichever way SQLite counts.
    async with database.transaction() as connection:
        other = await MeetingRepository(connection, "other").create(
            title="Xã khác", area_id="phu-tho", starts_at=first.starts_at, place="Hội trường", format="in_person",
            intake_opens_at=first.intake_opens_at, intake_closes_at=first.intake_closes_at, now=clock.now(),
        )
        resident = await ResidentRepository(connection).get_or_create("test", "other-1", "vi", clock.now())
        elsewhere = await ConcernRepository(connection, "other").submit(NewConcern(
            draft_key="other-1", meeting_id=other.id, area_id="kp1", topic_id="khac", text="Ý kiến xã khác",
            author_id=resident.id, language="vi",
        ), "XK", clock.now())
        await AnswerRepository(connection, "other").put(
            elsewhere.id, disposition=Disposition.ANSWERED, answer="Trả lời", answered_by="Chủ tịch", agency=None,
            due_date=None, recorded_by="test", now=clock.now())
        await SatisfactionRepository(connection, "other").record(elsewhere.id, resident.id, True, clock.now())
    assert await service.stats() == every
    theirs = await StatisticsService(settings, database, clock, unit_id="other").stats()
    assert (theirs.received, theirs.residents, theirs.by_disposition, theirs.satisfied) == (1, 1, (("answered", 1),), 1)


async def test_doithoai_stats_counts_every_concern_received_and_names_topics_and_areas(
    database: Database, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    await seed(database, settings, clock)
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text("utf-8").replace('path = "data/doithoai.db"', f'path = "{database.path}"'))
    assert f'path = "{database.path}"' in config.read_text("utf-8")
    printed = subprocess.run(
        [sys.executable, "-m", "bot", "stats", "--meeting", "1", "--config", str(config)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert "received 8 concerns from 8 residents: 4 open, 1 merged into another, 1 withdrawn, 1 rejected, 1 carried over" in printed
    assert "counted 5" in printed
    assert "Hẻm, đường sá, đèn chiếu sáng 2" in printed and "hem-chieu-sang" not in printed
    assert "Tổ dân phố 1 (hẻm 48 Tân Hóa), Khu phố 1, Phường Phú Thọ 3" in printed
    assert "forwarded 3: on time 1, late 1, waiting 1 (overdue 1); on-time rate 50%" in printed
