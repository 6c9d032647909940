"""Likely duplicates are stored when they become known (issue 12), and the queue's "possible
duplicate" marks read them: the same marks as the lookup per open concern gave before, kept
right through merges, unmerges, rejections, withdrawals and staff's changes."""

from __future__ import annotations

import random

from bench.synthetic_concerns import generate
from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.lexicon import lexicon_for
from bot.domain.records import Meeting, NewConcern
from bot.services.duplicates import DuplicatePairs, live_marks
from bot.services.web_queue import QueueFilter
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.residents import ResidentRepository
from tests import flows
from tests.e2e import step
from tests.fakebotapi import FakeBotApi
from tests.test_e2e_telegram import api, bot
from tests.test_similar_dialogue import FORMAL, KP1_T2, to_summary

__all__ = ["api", "bot"]
AREAS = ("kp1-t1", "kp1-t2", "kp1-t3", "kp2")


async def marks(services: Services, meeting_id: int = 1) -> set[str]:
    """The codes the console's queue marks, through its filter."""
    result = await services.queue_search.search(meeting_id, QueueFilter(duplicates_only=True), page_size=10_000)
    return {row.concern.code for row in result.rows if row.possible_duplicate}


async def live(services: Services, settings: Settings, meeting_id: int = 1) -> set[str]:
    """The marks as the queue worked them out before: one lookup per open concern, now."""
    async with services.database.transaction() as connection:
        concerns = ConcernRepository(connection, settings.unit.id)
        waiting = await concerns.similarity_candidates(meeting_id)
        found = live_marks(waiting, lexicon_for(settings))
        return {c.code for c in await concerns.live(meeting_id) if c.id in found}


async def pairs(database: Database) -> set[tuple[int, int]]:
    return {(r[0], r[1]) for r in await database.fetch_all("SELECT concern_id, other_id FROM concern_duplicates")}


async def test_a_concern_sent_on_telegram_is_stored_with_the_one_it_reads_like(
    api: FakeBotApi, bot: None, database: Database, settings: Settings, clock: ManualClock
) -> None:
    assert await flows.submit_concern(api.user(7201), FORMAL) == "TT-0001"
    assert await flows.submit_concern(api.user(7203), "Cống thoát nước đường Ông Ích Khiêm bị nghẹt, mưa là ngập.") == "TT-0002"
    assert await pairs(database) == set()  # neither reads like the other
    hoa = api.user(7202)
    offer, _summary = await to_summary(hoa, "Hẻm 48 Tân Hóa tối om vì bóng đèn cháy, chưa ai thay", KP1_T2)
    assert "TT-0001" in offer.text  # the offer the pair comes from
    await step(hoa, lambda: hoa.press("Không, ý kiến của tôi khác"), 1)
    assert flows.tracking_code(await flows.confirm(hoa)) == "TT-0003"
    assert await pairs(database) == {(3, 1)}

    services = build_services(settings, database, clock)
    assert await marks(services) == {"TT-0001", "TT-0003"} == await live(services, settings)
    await services.triage.merge("TT-0003", "TT-0001", "test")
    assert await marks(services) == set() == await live(services, settings)
    await services.triage.unmerge("TT-0003", "test")
    assert await marks(services) == {"TT-0001", "TT-0003"} == await live(services, settings)
    # Its author withdraws it on Telegram.
    await step(hoa, lambda: hoa.send_text("/withdraw TT-0003"), 1)
    (done,) = await step(hoa, lambda: hoa.press("Rút ý kiến"), 1)
    assert "Đã rút ý kiến TT-0003" in (done.text or "")
    assert await marks(services) == set() == await live(services, settings)
    minh = api.user(7204)
    await to_summary(minh, "den hem 48 tan hoa bi hu, toi qua", KP1_T2)
    await step(minh, lambda: minh.press("Không, ý kiến của tôi khác"), 1)
    assert flows.tracking_code(await flows.confirm(minh)) == "TT-0004"
    assert await marks(services) == {"TT-0001", "TT-0004"} == await live(services, settings)
    await services.triage.reject("TT-0001", "Đã có kế hoạch thay đèn", "test")
    assert await marks(services) == set() == await live(services, settings)
    # Left alone, TT-0004 was looked up again: no open concern reads like it now.
    assert (4, 1) not in await pairs(database)


async def seed(database: Database, settings: Settings, clock: ManualClock, meeting: Meeting, count: int) -> None:
    """A small meeting of synthetic concerns (bench/synthetic_concerns.py), each stored the way
    the dialogue stores one: the open concerns before it, then its pairs among them."""
    rng = random.Random(7)
    lexicon = lexicon_for(settings)
    for n, concern in enumerate(generate(count, seed=12), start=1):
        async with database.transaction() as connection:
            resident = await ResidentRepository(connection).get_or_create("test", f"r{n}", "vi", clock.now())
            concerns = ConcernRepository(connection, settings.unit.id)
            before = await concerns.similarity_candidates(meeting.id)
            stored = await concerns.submit(NewConcern(
                draft_key=f"d{n}", meeting_id=meeting.id, area_id=rng.choice(AREAS), topic_id="khac",
                text=concern.text, author_id=resident.id, language="vi",
            ), settings.unit.code_prefix, clock.now())
            await DuplicatePairs(connection, settings.unit.id, lexicon).submitted(stored, before)


async def test_the_stored_marks_are_those_of_the_lookup_through_every_change(
    database: Database, settings: Settings, clock: ManualClock, meeting: Meeting
) -> None:
    await seed(database, settings, clock, meeting, 120)
    services = build_services(settings, database, clock)
    before = await marks(services)
    assert len(before) >= 12, before  # the synthetic meeting has its clusters
    assert before == await live(services, settings)
    code = lambda n: f"TT-{n:04d}"  # noqa: E731
    rows = sorted(await pairs(database))
    merged, target = rows[0]
    await services.triage.merge(code(merged), code(target), "test")
    assert await marks(services) == await live(services, settings)
    rejected = next(i for i, _ in rows[1:] if i not in (merged, target))
    await services.triage.reject(code(rejected), "Trùng nội dung", "test")
    assert await marks(services) == await live(services, settings)
    await services.triage.set_area(code(target), "kp2", "test")
    await services.triage.set_topic(code(target), "giao-thong", "test")
    assert await marks(services) == await live(services, settings)
    await services.triage.unmerge(code(merged), "test")
    assert await marks(services) == await live(services, settings)
    # A whole cluster merged away but one: that one is no longer marked.
    partners = {o for i, o in rows if i == target} | {i for i, o in rows if o == target}
    for other in partners - {merged, rejected}:
        await services.triage.merge(code(other), code(target), "test")
    await services.triage.merge(code(merged), code(target), "test")
    assert await marks(services) == await live(services, settings)


async def test_a_database_from_before_has_its_pairs_worked_out_once(
    database: Database, settings: Settings, clock: ManualClock, meeting: Meeting
) -> None:
    await seed(database, settings, clock, meeting, 50)
    services = build_services(settings, database, clock)
    expected = await live(services, settings)
    # As a database migrated to 0010 is: its concerns, no pairs, the meeting in the backlog.
    async with database.transaction() as connection:
        await connection.execute("DELETE FROM concern_duplicates")
        await connection.execute("INSERT INTO duplicate_backlog (meeting_id) VALUES (?)", (meeting.id,))
    assert await marks(services) == expected and expected
    assert await database.fetch_all("SELECT * FROM duplicate_backlog") == []
    assert await pairs(database)
