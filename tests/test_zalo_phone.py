"""Answers by phone number on Zalo: asked at the contact step (Zalo only, with
`[zalo.templates] by_phone`), shown and changed in /privacy, and used only when Zalo cannot
reach the resident's Zalo id with the template."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.outbox.dispatcher import OutboxDispatcher
from bot.resident.turn import PHONE_NOTICES_PURPOSE
from storage.db import Database
from storage.residents import ResidentRepository
from tests.fakezalo import FakeTemplate, FakeZalo
from tests.test_zalo_outbox import ClockSleep, publish_one_concern_each, seed_zalo_residents
from tests.test_zalo_routes import ANSWER_PARAMS, ANSWER_TEMPLATE, answer_template, routes, with_templates
from tests.zalo_e2e import fake, running_zalo, step  # noqa: F401 - fixtures

QUESTION = "tin nhắn mẫu của Zalo tới số điện thoại"


def by_phone(settings: Settings) -> Settings:
    configured = with_templates(settings, answer=answer_template())
    zalo = configured.zalo
    return configured.model_copy(update={"zalo": zalo.model_copy(update={
        "templates": zalo.templates.model_copy(update={"by_phone": True}),
    })})


async def test_the_contact_step_on_zalo_asks_once_and_privacy_shows_and_changes_it(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, meeting: object
) -> None:
    configured = by_phone(settings)
    services = build_services(configured, database, clock)
    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        lan = fake.user("7700000000000000001", "Lan")
        await step(channel, lan, lambda: lan.send_text("Chào phường"))
        await step(channel, lan, lambda: lan.press("Tôi đồng ý"))
        await step(channel, lan, lambda: lan.press("Gửi ý kiến mới"))
        for answer in ("1", "1", "2"):
            await step(channel, lan, lambda answer=answer: lan.send_text(answer))
        await step(channel, lan, lambda: lan.send_text("Đèn chiếu sáng hẻm 48 hư hơn một tháng, tối rất nguy hiểm."))
        await step(channel, lan, lambda: lan.press("Bỏ qua"))
        await step(channel, lan, lambda: lan.press("Bỏ qua vị trí"))
        thanks, question, summary = await step(channel, lan, lambda: lan.submit_info("Nguyễn Thị Lan", "84903123456"))
        assert QUESTION in question.text and "+84903***456" in summary.text
        assert [title for title, _ in question.buttons()] == ["Đồng ý nhận qua số điện thoại", "Không, tôi sẽ tự nhắn lại"]
        replies = await step(channel, lan, lambda: lan.press("Đồng ý nhận qua số điện thoại"))
        assert "có thể gửi câu trả lời tới số điện thoại" in replies[0].text
        rows = await database.fetch_all("SELECT purpose, given FROM consents ORDER BY id")
        assert [(r["purpose"], r["given"]) for r in rows] == [("contact", 1), (PHONE_NOTICES_PURPOSE, 1)]

        (privacy, *_) = await step(channel, lan, lambda: lan.send_text("/privacy"))
        assert "Nhận câu trả lời qua số điện thoại trên Zalo: đã đồng ý" in privacy.text
        await step(channel, lan, lambda: lan.press("Thôi nhận qua số điện thoại"))
        latest = await database.fetch_one("SELECT given FROM consents WHERE purpose = ? ORDER BY id DESC", (PHONE_NOTICES_PURPOSE,))
        assert latest["given"] == 0


async def test_without_by_phone_nothing_is_asked_nor_shown(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, meeting: object
) -> None:
    services = build_services(with_templates(settings, answer=answer_template()), database, clock)
    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        lan = fake.user("7700000000000000002", "Lan")
        (privacy, *_) = await step(channel, lan, lambda: lan.send_text("/privacy"))
        assert "qua số điện thoại trên Zalo" not in privacy.text


async def seed_phone(database: Database, clock: ManualClock, resident_id: int, *, agreed: bool) -> None:
    async with database.transaction() as connection:
        await connection.execute(
            "UPDATE concerns SET contact_phone = '+84903123456', phone_verified = 1 WHERE author_id = ?", (resident_id,)
        )
        await ResidentRepository(connection).record_consent(resident_id, PHONE_NOTICES_PURPOSE, "1", "…", agreed, clock.now())


async def test_a_template_by_phone_only_when_the_id_fails_and_the_resident_agreed(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    agreed, declined = "7700000000000000011", "7700000000000000012"
    residents = await seed_zalo_residents(database, clock, {agreed: timedelta(days=20), declined: timedelta(days=20)})
    services = build_services(settings, database, clock)
    await publish_one_concern_each(services, database, clock, residents)
    await seed_phone(database, clock, residents[agreed], agreed=True)
    await seed_phone(database, clock, residents[declined], agreed=False)
    # Zalo does not know these ids (fake: they never wrote), but knows the number.
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    fake.phones_on_zalo.add("84903123456")
    async with running_zalo(by_phone(settings), fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
    assert (progress.sent, progress.held) == (1, 1)
    found = await routes(database)
    assert found[agreed] == ("sent", "template_phone", 499) and found[declined] == ("held", "held", None)
    [sent] = fake.templated
    assert (sent.phone, sent.user_id) == ("84903123456", None)
    # By id for both (refused), then by number for the one who agreed; no consultation message.
    assert sorted((c.user_id or "", c.error) for c in fake.calls) == [("", 0), (agreed, -118), (declined, -118)]
