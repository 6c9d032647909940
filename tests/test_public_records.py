"""What the public service hands out: `[public] show_rejected` decides what a withdrawn or rejected
concern shows, a merged concern shares its survivor's answer, drafts and unpublished answers stay
the office's, and no record carries a name or a phone number."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.services.answers import AnswerInput
from bot.services.public import PublicConcern, PublicService, RequestFilter
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting
from tests.publickit import LAMP, SECRETS, lan_with_her_contact, public_settings


async def ward(settings: Settings, database: Database, clock: ManualClock, show_rejected: str) -> tuple[PublicService, Services, str, str]:
    settings = public_settings(settings, 8080, show_rejected)
    services = build_services(settings, database, clock)
    await create_meeting(database, clock.now())
    lamp = await submit_concern(Chat(services.intake, "9001", channel="telegram"), LAMP)
    drain = await lan_with_her_contact(services)
    await services.triage.reject(lamp, "Đã có kế hoạch thay đèn toàn khu phố", "test")
    return services.public, services, lamp, drain


@pytest.mark.parametrize(("setting", "found", "reason"), [
    ("code_only", True, None),
    ("reason", True, "Đã có kế hoạch thay đèn toàn khu phố"),
    ("hidden", False, None),
])
async def test_what_a_rejected_concern_shows_is_the_wards_setting(
    settings: Settings, database: Database, clock: ManualClock, setting: str, found: bool, reason: str | None,
) -> None:
    public, _, lamp, _ = await ward(settings, database, clock, setting)
    concern = await public.concern(lamp, "vi")
    assert (concern is not None) == found
    if concern is not None:
        assert concern.status == "rejected" and concern.reason == reason
        assert concern.text is None and concern.area_id is None and concern.topic_id is None
    listed = {c.code for c in await public.requests(RequestFilter(), "vi")}
    assert (lamp in listed) == found


async def test_no_public_record_has_a_field_for_contact_and_none_carries_it(settings: Settings, database: Database, clock: ManualClock) -> None:
    names = {f.name for f in fields(PublicConcern)}
    assert not names & {"contact_name", "contact_phone", "author_id", "phone_verified", "photos"}
    public, _, _, drain = await ward(settings, database, clock, "reason")
    concern = await public.concern(drain, "en")
    assert concern is not None and "[phone number hidden]" in (concern.text or "")
    for record in await public.requests(RequestFilter(), "vi"):
        for secret in SECRETS:
            assert secret not in repr(record)


async def test_answers_are_public_only_once_published(settings: Settings, database: Database, clock: ManualClock) -> None:
    public, services, _, drain = await ward(settings, database, clock, "code_only")
    clock.advance(timedelta(days=15))
    await services.answers.record(drain, AnswerInput("explained", "Phường đã nạo vét cống.", "Phó Chủ tịch UBND phường"), "test")
    recorded = await public.concern(drain, "vi")
    assert recorded is not None and recorded.answer is None and not recorded.closed
    assert await public.results(1, "vi") is None
    await services.publishing.publish(1, "test")
    published = await public.concern(drain, "vi")
    assert published is not None and published.answer is not None and published.closed
    results = await public.results(1, "vi")
    assert results is not None and [c.code for c in results.concerns] == [drain]
    assert [c.code for c in results.not_taken] == ["TT-0001"]


async def test_long_results_come_a_page_at_a_time_and_the_last_page_lists_what_was_not_taken(
    settings: Settings, database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    public, services, _, drain = await ward(settings, database, clock, "code_only")
    chat = Chat(services.intake, "9002", channel="telegram")
    others = [await submit_concern(chat, text) for text in (
        "Xin phường cho kiểm tra giấy phép quán karaoke mở nhạc lớn sau 23 giờ ở đầu hẻm.",
        "Đề nghị sửa mặt đường nhựa bị lún sâu trước cổng trường tiểu học, xe máy dễ ngã.",
    )]
    clock.advance(timedelta(days=15))
    for code in (drain, *others):
        await services.answers.record(code, AnswerInput("explained", "Phường đã xem xét và trả lời.", "Chủ tịch UBND phường"), "test")
    await services.publishing.publish(1, "test")
    monkeypatch.setattr("bot.services.public.RESULTS_PAGE", 2)
    first, last, beyond = [await public.results(1, "vi", page=n) for n in (1, 2, 99)]
    assert first is not None and last is not None and beyond is not None
    assert (first.page, first.pages, first.matched, len(first.concerns), first.not_taken) == (1, 2, 3, 2, ())
    assert (last.page, len(last.concerns), [c.code for c in last.not_taken]) == (2, 1, ["TT-0001"])
    assert {c.code for c in first.concerns + last.concerns} == {drain, *others}
    assert beyond.page == 2
