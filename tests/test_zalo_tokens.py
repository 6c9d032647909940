"""Zalo's token pair: refreshed before it expires and on -216/-220, one refresh at a time, the new
pair persisted, and a refresh token never sent twice — against the fake Zalo's rotating,
single-use refresh tokens."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.channels import ChannelStartFailed
from bot.clock import ManualClock
from bot.config import Settings
from handlers.zalo.api import TokenError, ZaloApi, seed_hash
from storage.db import Database
from storage.zalo import ZaloTokenRepository
from tests.fakezalo import FakeZalo
from tests.zalo_e2e import fake, zalo_secrets, zalo_settings  # noqa: F401 - fixtures


def make_api(settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, **secrets: str) -> ZaloApi:
    environment = zalo_secrets(fake)
    if secrets:
        from dataclasses import replace

        environment = replace(environment, **secrets)
    return ZaloApi(zalo_settings(settings, fake).zalo, environment, database, clock)


async def stored_pair(database: Database):  # type: ignore[no-untyped-def]
    async with database.transaction() as connection:
        return await ZaloTokenRepository(connection).get()


def assert_no_refresh_token_reused(fake: FakeZalo) -> None:
    assert fake.reused == []
    assert len(set(fake.refresh_calls)) == len(fake.refresh_calls), fake.refresh_calls


async def test_a_pair_from_the_environment_is_exchanged_at_start_and_persisted(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    seed_refresh = fake.refresh_token
    environment = zalo_secrets(fake)
    configured = zalo_settings(settings, fake).zalo
    api = ZaloApi(configured, environment, database, clock)
    await api.start()
    try:
        # Its expiry is unknown, so it is refreshed at once; the new pair is what Zalo gave.
        assert fake.refresh_calls == [seed_refresh]
        pair = await stored_pair(database)
        assert (pair.access_token, pair.refresh_token) == (fake.access_token, fake.refresh_token)
        assert pair.access_expires_at == clock.now() + timedelta(hours=25)
        assert pair.seed_hash == seed_hash(seed_refresh) and not pair.refresh_spent
    finally:
        await api.close()

    # A restart with the same (now dead) pair still in the environment: the stored pair is
    # used, the environment's refresh token is never sent again.
    again = ZaloApi(configured, environment, database, clock)
    await again.start()
    try:
        fake.last_interaction["u1"] = clock.now()
        await again.send_message("u1", {"text": "Xin chào"})
        assert fake.refresh_calls == [seed_refresh]
        assert_no_refresh_token_reused(fake)
    finally:
        await again.close()


async def test_one_refresh_under_concurrent_sends(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    api = make_api(settings, fake, database, clock)
    await api.start()
    try:
        before = list(fake.refresh_calls)
        old_refresh = fake.refresh_token
        users = [f"u{i}" for i in range(25)]
        for user in users:
            fake.last_interaction[user] = clock.now()
        fake.revoke_access()  # every send now meets -216 with the token it holds
        fake.refresh_delay = 0.05  # and the refresh takes a while, so the sends pile up behind it
        await asyncio.gather(*(api.send_message(user, {"text": f"Tin số {user}"}) for user in users))
        assert fake.refresh_calls == [*before, old_refresh]  # exactly one refresh
        assert sorted(m.user_id for m in fake.sent) == sorted(users)  # every send went through
        assert {call.error for call in fake.calls} == {0, -216}
        pair = await stored_pair(database)
        assert (pair.access_token, pair.refresh_token) == (fake.access_token, fake.refresh_token)
        assert pair.refresh_token != old_refresh
        assert api.tokens.refreshes == 2
        assert_no_refresh_token_reused(fake)
    finally:
        await api.close()


async def test_refreshed_an_hour_before_expiry_and_on_expired_errors(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    api = make_api(settings, fake, database, clock)
    await api.start()
    try:
        fake.last_interaction["u1"] = clock.now()
        clock.advance(timedelta(hours=24, minutes=5))
        fake.last_interaction["u1"] = clock.now()
        await api.send_message("u1", {"text": "một"})
        # Refreshed before the call: Zalo never saw an expired token.
        assert len(fake.refresh_calls) == 2 and all(call.error == 0 for call in fake.calls)
        # Zalo says the token expired (its clock, not ours): refreshed and sent again.
        fake.fail_next(-220)
        await api.send_message("u1", {"text": "hai"})
        assert len(fake.refresh_calls) == 3
        assert [m.text for m in fake.sent] == ["một", "hai"]
        assert_no_refresh_token_reused(fake)
    finally:
        await api.close()


async def test_a_refused_refresh_is_not_retried_with_the_same_token(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api(settings, fake, database, clock, zalo_app_secret="a-wrong-app-secret")
    with caplog.at_level(logging.ERROR):
        await api.start()  # the exchange at start is refused: logged, not raised
    try:
        assert any("refused" in r.getMessage() for r in caplog.records)
        assert len(fake.refresh_calls) == 1
        pair = await stored_pair(database)
        assert pair.refresh_spent
        fake.last_interaction["u1"] = clock.now()
        fake.revoke_access()
        for _ in range(3):
            with pytest.raises(TokenError) as error:
                await api.send_message("u1", {"text": "x"})
            assert error.value.final
        assert len(fake.refresh_calls) == 1  # the spent refresh token was never sent again
        assert_no_refresh_token_reused(fake)
    finally:
        await api.close()

    # After a crash the spent mark is still there: a new process does not use it either.
    again = make_api(settings, fake, database, clock)
    await again.start()
    try:
        assert len(fake.refresh_calls) == 1
    finally:
        await again.close()

    # The operator re-authorises and puts a new pair in the environment: it is taken.
    fresh_access, fresh_refresh = fake._issue()
    renewed = make_api(settings, fake, database, clock, zalo_access_token=fresh_access, zalo_refresh_token=fresh_refresh)
    await renewed.start()
    try:
        await renewed.send_message("u1", {"text": "lại được rồi"})
        assert fake.refresh_calls[-1] == fresh_refresh and fake.sent[-1].text == "lại được rồi"
        assert_no_refresh_token_reused(fake)
    finally:
        await renewed.close()


async def test_a_refresh_that_never_left_keeps_its_token(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, unused_tcp_port: int
) -> None:
    from dataclasses import replace

    configured = zalo_settings(settings, fake).zalo
    unreachable = ZaloApi(replace_oauth(configured, f"http://127.0.0.1:{unused_tcp_port}"), zalo_secrets(fake), database, clock)
    await unreachable.start()  # connection refused: the refresh token was not used
    await unreachable.close()
    pair = await stored_pair(database)
    assert not pair.refresh_spent and fake.refresh_calls == []

    api = ZaloApi(configured, replace(zalo_secrets(fake)), database, clock)
    await api.start()
    try:
        assert len(fake.refresh_calls) == 1 and (await stored_pair(database)).access_token == fake.access_token
    finally:
        await api.close()


def replace_oauth(settings, url: str):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"oauth_base_url": url})


async def test_without_any_pair_the_channel_does_not_start(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    api = make_api(settings, fake, database, clock, zalo_access_token="", zalo_refresh_token="")
    try:
        with pytest.raises(ChannelStartFailed, match="ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN"):
            await api.start()
    finally:
        await api.close()
    assert fake.refresh_calls == []
