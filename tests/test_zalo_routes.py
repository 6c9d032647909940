"""The way each Zalo push goes: a consultation message inside Zalo's window, an approved
template by the resident's Zalo id after it, held when neither is possible; and the route
kept on the outbox row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.app import Services
from bot.cli.sending import watch
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.messages import Button, Push, Reply
from bot.outbox.codec import decode_body, encode_body
from bot.outbox.dispatcher import OutboxDispatcher
from bot.push_templates import ZaloTemplate, ZaloTemplateParam, ZaloTemplates
from bot.services.publishing import RouteCounts
from handlers.zalo.sender import cut_at_word, fill
from storage.db import Database
from tests.fakezalo import FakeTemplate, FakeZalo
from tests.staffchat import STAFF, StaffChat
from tests.test_zalo_outbox import (
    ClockSleep,
    publish_one_concern_each,
    seed_zalo_residents,
)
from tests.zalo_e2e import fake, running_zalo, services, step  # noqa: F401 - fixtures

ANSWER_TEMPLATE = "402118"
# The parameters as the ward registered them with Zalo, and their length limits.
ANSWER_PARAMS = {"ma_y_kien": 30, "noi_dung": 40, "ket_qua": 30, "han_tra_loi": 20}


def with_templates(settings: Settings, **templates: ZaloTemplate | int) -> Settings:
    zalo = settings.zalo.model_copy(update={"templates": ZaloTemplates(**templates)})
    return settings.model_copy(update={"zalo": zalo})


def answer_template(template_id: str = ANSWER_TEMPLATE) -> ZaloTemplate:
    fields = {"ma_y_kien": "code", "noi_dung": "text", "ket_qua": "disposition", "han_tra_loi": "due"}
    return ZaloTemplate(template_id=template_id, params={
        name: ZaloTemplateParam(field=fields[name], max_length=limit) for name, limit in ANSWER_PARAMS.items()
    })


async def routes(database: Database) -> dict[str, tuple[str, str | None, int | None]]:
    # The pushes themselves, not the full texts a template message keeps for its resident's return.
    rows = await database.fetch_all("SELECT address, status, route, template_quota_left FROM outbox "
                                    "WHERE channel = 'zalo' AND dedupe_key NOT LIKE 'zalo-full:%'")
    return {row["address"]: (row["status"], row["route"], row["template_quota_left"]) for row in rows}


async def test_inside_the_window_a_consultation_message_outside_a_template_by_user_id(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recent, charged, old = "7600000000000000001", "7600000000000000003", "7600000000000000002"
    last_wrote = {recent: timedelta(days=1), charged: timedelta(days=4), old: timedelta(days=20)}
    residents = await seed_zalo_residents(database, clock, last_wrote)
    for user, ago in last_wrote.items():
        fake.last_interaction[user] = clock.now() - ago
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    meeting_id = await publish_one_concern_each(services, database, clock, residents)
    configured = with_templates(settings, answer=answer_template())

    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
    assert (progress.sent, progress.held, progress.failed) == (3, 0, 0)
    assert sorted(m.user_id for m in fake.sent) == [recent, charged]
    # Within 48 hours a consultation message is free; after that Zalo charges it (its quota_type).
    assert await routes(database) == {
        recent: ("sent", "consultation", None), charged: ("sent", "consultation_charged", None), old: ("sent", "template", 499),
    }
    quota = await database.fetch_all("SELECT address, quota_type FROM outbox WHERE route LIKE 'consultation%'")
    assert {row["address"]: row["quota_type"] for row in quota} == {recent: "reply", charged: "purchase_quota"}
    assert await services.publishing.routes(meeting_id) == RouteCounts(free=1, charged=1, template=1)
    # The same in the staff chat's /progress and on the command line.
    replies = await StaffChat(services.router, STAFF).command(f"/progress {meeting_id}")
    assert replies[-1].text == ("Trên Zalo: 1 tin tư vấn miễn phí, 1 tin tư vấn tính phí, 1 tin mẫu gửi theo tài khoản "
                                "Zalo, 0 tin mẫu gửi theo số điện thoại, 0 tin đang được giữ lại.")
    assert await watch(services, meeting_id) == 0
    assert ("on Zalo: consultation free 1, consultation charged 1, template by id 1, template by phone 0, held 0"
            in capsys.readouterr().out)
    [sent] = fake.templated
    assert (sent.user_id, sent.phone, sent.template_id) == (old, None, ANSWER_TEMPLATE)
    assert sent.data["ma_y_kien"].startswith("TT-") and sent.data["han_tra_loi"] == ""
    # The concern's words cut to the approved 40 characters, at a word.
    assert sent.data["noi_dung"] == "Ý kiến số 2: hẻm 48 ngập nặng mỗi khi…"
    assert sent.tracking_id and all(c.path != "message/cs" for c in fake.calls if c.user_id == old)


@pytest.mark.parametrize("code", [-230, -232])
async def test_window_error_switches_the_row_to_a_template_at_once(
    code: int, settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    user = "7600000000000000011"
    residents = await seed_zalo_residents(database, clock, {user: timedelta(days=1)})
    # We think the resident wrote yesterday; Zalo says the window is shut.
    fake.last_interaction[user] = clock.now() - timedelta(days=1)
    fake.fail_next(code, user=user)
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    await publish_one_concern_each(services, database, clock, residents)

    async with running_zalo(with_templates(settings, answer=answer_template()), fake, database, clock,
                            services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        start = clock.now()
        progress = await dispatcher.drain()
    assert (progress.sent, progress.held) == (1, 0)
    assert [(c.path, c.error) for c in fake.calls if c.user_id == user] == [("message/cs", code), ("message/template", 0)]
    row = await database.fetch_one("SELECT route, attempts FROM outbox WHERE address = ?", (user,))
    assert (row["route"], row["attempts"]) == ("template", 1)
    assert clock.now() - start < timedelta(seconds=1)  # no backoff on the way: the clock only moves when waiting


async def test_a_template_message_refreshes_a_refused_token(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    user = "7600000000000000031"
    residents = await seed_zalo_residents(database, clock, {user: timedelta(days=10)})
    fake.last_interaction[user] = clock.now() - timedelta(days=10)
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    await publish_one_concern_each(services, database, clock, residents)
    async with running_zalo(with_templates(settings, answer=answer_template()), fake, database, clock,
                            services.router.handle) as channel:
        fake.revoke_access()
        refreshes = channel.api.tokens.refreshes
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        assert (await dispatcher.drain()).sent == 1
        assert channel.api.tokens.refreshes == refreshes + 1
    assert [c.error for c in fake.calls if c.path == "message/template"] == [-124, 0]


async def test_no_template_or_a_refused_one_is_held_then_sent_when_the_resident_writes(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    untemplated, unapproved, no_quota = "7600000000000000021", "7600000000000000022", "7600000000000000023"
    last_wrote = {untemplated: timedelta(days=30), unapproved: timedelta(days=30), no_quota: timedelta(days=30)}
    residents = await seed_zalo_residents(database, clock, last_wrote)
    for user, ago in last_wrote.items():
        fake.last_interaction[user] = clock.now() - ago
    await publish_one_concern_each(services, database, clock, {untemplated: residents[untemplated]})

    # No template for answers: held, as before templates.
    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        assert (await dispatcher.drain()).held == 1
        assert await routes(database) == {untemplated: ("held", "held", None)}
        person = fake.user(untemplated)
        await step(channel, person, lambda: person.send_text("/my"))
        assert (await dispatcher.drain()).sent == 1
    assert (await routes(database))[untemplated] == ("sent", "consultation", None)
    assert fake.templated == []

    # A template Zalo has not approved, and a spent daily quota: held too, nothing retried.
    await publish_one_concern_each(services, database, clock, {unapproved: residents[unapproved], no_quota: residents[no_quota]})
    fake.templates["999"] = FakeTemplate(ANSWER_PARAMS, approved=False)
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    fake.fail_template_next(-115)
    configured = with_templates(settings, answer=answer_template("999"))
    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
    assert (progress.held, progress.sent, progress.failed) == (2, 0, 0)
    held = await database.fetch_all("SELECT last_error FROM outbox WHERE status = 'held' ORDER BY id")
    assert {("-115" in row["last_error"], "-131" in row["last_error"]) for row in held} == {(True, False), (False, True)}


def test_a_template_parameter_is_cut_at_a_word() -> None:
    assert cut_at_word("Hẻm 48 ngập nặng mỗi khi mưa", 14) == "Hẻm 48 ngập…"
    assert cut_at_word("ngắn", 30) == "ngắn"
    assert cut_at_word("Cốngthoátnướcbịtắc", 8) == "Cốngtho…"  # one long word: cut inside it
    assert cut_at_word("  nhiều   khoảng   trắng ", 30) == "nhiều khoảng trắng"
    push = Push("answer.given", (("code", "TT-0012"), ("text", "Đèn đường hẻm 12 tắt cả tháng nay"), ("due", "")))
    template = ZaloTemplate(template_id="1", params={
        "ma": ZaloTemplateParam(field="code"), "noi_dung": ZaloTemplateParam(field="text", max_length=16),
        "ket_qua": ZaloTemplateParam(field="disposition"),
    })
    assert fill(template, push) == {"ma": "TT-0012", "noi_dung": "Đèn đường hẻm…", "ket_qua": ""}


def test_a_push_keeps_its_kind_and_fields_and_old_bodies_still_read() -> None:
    reply = Reply("Trả lời", buttons=((Button("Hài lòng", "s:1"),),), push=Push("answer.given", (("code", "TT-1"),)))
    assert decode_body(encode_body(reply)) == reply
    assert decode_body('{"text":"cũ","buttons":[],"ask":null}') == Reply("cũ")
    assert "push" not in encode_body(Reply("trả lời thường"))


def test_templates_name_known_fields_only() -> None:
    with pytest.raises(ValidationError, match="no field 'phone'"):
        ZaloTemplates(answer=ZaloTemplate(template_id="1", params={"sdt": ZaloTemplateParam(field="phone")}))
    with pytest.raises(ValidationError):
        ZaloTemplates(answer=ZaloTemplate(template_id="1", params={"ma": ZaloTemplateParam(field="code", max_lenght=9)}))
    templates = ZaloTemplates(final_answer=answer_template().model_copy(update={"params": {}}))
    assert templates.for_notice("answer.final") is not None and templates.for_notice("answer.given") is None


async def test_a_daily_cap_on_template_messages_holds_the_rest(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services
) -> None:
    users = [f"76000000000000000{i:02d}" for i in range(40, 44)]
    last_wrote = dict.fromkeys(users, timedelta(days=12))
    residents = await seed_zalo_residents(database, clock, last_wrote)
    for user in users:
        fake.last_interaction[user] = clock.now() - timedelta(days=12)
    fake.templates[ANSWER_TEMPLATE] = FakeTemplate(ANSWER_PARAMS)
    fake.template_quota = 3
    await publish_one_concern_each(services, database, clock, residents)
    configured = with_templates(settings, answer=answer_template(), daily_cap=2)
    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
    assert (progress.sent, progress.held) == (2, 2)
    found = await routes(database)
    assert sorted(found.values(), key=str) == sorted(
        [("sent", "template", 2), ("sent", "template", 1), ("held", "held", None), ("held", "held", None)], key=str
    )
    held = await database.fetch_all("SELECT last_error FROM outbox WHERE status = 'held' AND dedupe_key LIKE 'answer:%'")
    assert len(held) == 2 and all("2 template messages are used" in row["last_error"] for row in held)
