"""The daily cap on template messages is counted in the database, per unit and local day: two
processes sending at once never exceed it. Pushes it holds wait for the next local day, when the
scheduler tries them again, routed afresh; staff are told."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from bot.app import Runtime, Services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.messages import Push, Reply
from bot.outbox.codec import decode_body, encode_body
from bot.outbox.delivery import Delivered, Held
from bot.outbox.dispatcher import OutboxDispatcher
from handlers.zalo import ZaloChannel
from handlers.zalo.api import ZaloApi
from handlers.zalo.sender import ZaloSender
from storage.db import Database
from storage.outbox import OutboxRepository
from tests.fakezalo import FakeTemplate, FakeZalo
from tests.test_zalo_outbox import (
    ClockSleep,
    publish_one_concern_each,
    seed_zalo_residents,
)
from tests.test_zalo_routes import (
    ANSWER_PARAMS,
    ANSWER_TEMPLATE,
    answer_template,
    routes,
    with_templates,
)
from tests.zalo_e2e import (  # noqa: F401 - fixtures
    fake,
    running_zalo,
    services,
    zalo_only,
    zalo_secrets,
    zalo_settings,
)


def answer_push(code: str) -> Reply:
    fields = (("code", code), ("text", "Hẻm 48 ngập khi mưa"), ("disposition", "Đã trả lời"), ("due", ""))
    return Reply(f"Trả lời ý kiến {code}", push=Push("answer.given", fields))


async def test_two_processes_sending_at_once_share_one_daily_cap(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    users = [f"77000000000000000{i:02d}" for i in range(6)]
    await seed_zalo_residents(database, clock, dict.fromkeys(users, timedelta(days=12)))
    for user in users:
        fake.last_interaction[user] = clock.now() - timedelta(days=12)
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    configured = zalo_settings(with_templates(settings, answer=answer_template(), daily_cap=3), fake)
    # Two processes: each its own connection to the file, its own API client and sender.
    other = await Database.open(database.path)
    apis = [ZaloApi(configured.zalo, zalo_secrets(fake), db, clock) for db in (database, other)]
    try:
        await apis[0].start()
        await apis[1].start()
        senders = [
            ZaloSender(api, db, clock, timedelta(days=7), templates=configured.zalo.templates,
                       unit_id=configured.unit.id, zone=configured.zone)
            for api, db in zip(apis, (database, other), strict=True)
        ]

        async def send(index: int, user: str) -> Delivered | Held:
            try:
                return await senders[index % 2].send(user, answer_push(f"TT-{index:04d}"))
            except Held as held:
                return held

        outcomes = await asyncio.gather(*(send(index, user) for index, user in enumerate(users)))
    finally:
        for api in apis:
            await api.close()
        await other.close()

    sent = [o for o in outcomes if isinstance(o, Delivered)]
    held = [o for o in outcomes if isinstance(o, Held)]
    assert len(fake.templated) == 3 and len(sent) == 3 and len(held) == 3
    # Held until the unit's next local day begins, when the cap counts afresh.
    tomorrow = datetime.combine(clock.now().astimezone(settings.zone).date() + timedelta(days=1), time(0), settings.zone)
    assert {h.until for h in held} == {tomorrow}
    row = await database.fetch_one("SELECT unit_id, day, used FROM zalo_template_days")
    assert tuple(row) == (settings.unit.id, clock.now().astimezone(settings.zone).date().isoformat(), 3)


async def drain(channel: ZaloChannel, database: Database, clock: ManualClock, settings: Settings) -> None:
    dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
    await dispatcher.drain()


async def test_pushes_held_by_the_cap_go_the_next_day_through_the_schedule(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    first, second = "7700000000000000101", "7700000000000000102"
    residents = await seed_zalo_residents(database, clock, dict.fromkeys((first, second), timedelta(days=20)))
    for user in (first, second):
        fake.last_interaction[user] = clock.now() - timedelta(days=20)
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    await publish_one_concern_each(services, database, clock, residents)
    configured = with_templates(settings, answer=answer_template(), daily_cap=1)

    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        await drain(channel, database, clock, settings)
        assert sorted(status for status, _, _ in (await routes(database)).values()) == ["held", "sent"]
        assert len(fake.templated) == 1

        # The schedule tells staff at once, and plans the new try for the next local day.
        ran = await services.schedule.run_due()
        assert [key.split(":")[0] for key in ran if key.startswith("held")] == ["held_note"]
        note = await database.fetch_one("SELECT body FROM outbox WHERE dedupe_key LIKE 'held_note:%'")
        text = decode_body(note["body"]).text
        assert text.startswith("1 tin gửi người dân trên Zalo đang được giữ lại") and "số tin mẫu" in text and "00:00" in text
        clock.advance(timedelta(hours=6))
        assert await services.schedule.run_due() == []  # still today: nothing is tried again

        local = clock.now().astimezone(settings.zone)
        clock.advance(datetime.combine(local.date() + timedelta(days=1), time(0, 5), settings.zone) - local)
        ran = await services.schedule.run_due()
        assert [key.split(":")[0] for key in ran if "held" in key] == ["retry_held"]
        await drain(channel, database, clock, settings)

    # Routed afresh: by template again, now that the day's cap counts from zero.
    assert sorted((await routes(database)).values(), key=str) == sorted(
        [("sent", "template", 499), ("sent", "template", 498)], key=str)
    assert sorted(t.user_id for t in fake.templated) == [first, second]
    assert await services.schedule.run_due() == []  # once only


async def test_a_charged_message_refused_for_billing_waits_for_the_next_day(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    user = "7700000000000000201"
    residents = await seed_zalo_residents(database, clock, {user: timedelta(days=4)})
    fake.last_interaction[user] = clock.now() - timedelta(days=4)
    # Four days after she wrote: a charged consultation message, and no funded billing account.
    fake.fail_next(-321, user=user)
    await publish_one_concern_each(services, database, clock, residents)
    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        await drain(channel, database, clock, settings)
        row = await database.fetch_one("SELECT status, held_until, last_error FROM outbox WHERE dedupe_key LIKE 'answer:%'")
        assert row["status"] == "held" and row["held_until"] is not None and "Zalo Cloud" in row["last_error"]
        await services.schedule.run_due()
        local = clock.now().astimezone(settings.zone)
        clock.advance(datetime.combine(local.date() + timedelta(days=1), time(0, 5), settings.zone) - local)
        await services.schedule.run_due()
        await drain(channel, database, clock, settings)
    assert list((await routes(database)).values()) == [("sent", "consultation_charged", None)]


async def test_the_running_bot_tells_staff_as_soon_as_the_cap_holds_a_push(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    user = "7700000000000000301"
    await seed_zalo_residents(database, clock, {user: timedelta(days=20)})
    fake.last_interaction[user] = clock.now() - timedelta(days=20)
    async with database.transaction() as connection:
        await OutboxRepository(connection).enqueue("answer:9:1:1", "zalo", user, encode_body(answer_push("TT-0009")), clock.now())
    configured = zalo_only(with_templates(settings, answer=answer_template(), daily_cap=0), fake)
    runtime = Runtime(configured, zalo_secrets(fake), database, clock)
    await runtime.start()
    try:
        # No schedule rebuild is due for minutes: the dispatcher's hold asks for one.
        for _ in range(200):
            note = await database.fetch_one("SELECT channel FROM outbox WHERE dedupe_key LIKE 'held_note:%'")
            if note is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop()
    assert note is not None and note["channel"] == "telegram"  # the staff chat
    row = await database.fetch_one("SELECT status, held_until FROM outbox WHERE dedupe_key = 'answer:9:1:1'")
    assert row["status"] == "held" and row["held_until"] is not None
