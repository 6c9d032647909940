"""Failed logins behind a reverse proxy: counted per visitor when the proxy is trusted, per
connection otherwise; and the memory of failures stays bounded whatever the flood."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from datetime import timedelta

import aiohttp
import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import ConfigError, Settings, load_settings
from bot.services import web_login
from bot.services.web_login import FAILED_ATTEMPTS_ALLOWED
from handlers.web import WebConsole
from handlers.web.proxies import client_address, networks
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG
from tests.consolekit import STAFF_ID, with_console

VISITOR, NEIGHBOUR = "203.0.113.5", "198.51.100.7"


@asynccontextmanager
async def _console(settings: Settings, database: Database, clock: ManualClock) -> AsyncIterator[tuple[str, Services]]:
    services = build_services(settings, database, clock)
    server = WebConsole(settings, services, clock)
    await server.start()
    try:
        yield settings.web.base_url, services
    finally:
        await server.stop()


def _with_proxies(settings: Settings, port: int, proxies: list[str]) -> Settings:
    settings = with_console(settings, port)
    return settings.model_copy(update={"web": settings.web.model_copy(update={"trusted_proxies": proxies})})


async def _fail(url: str, forwarded_for: str, times: int) -> int:
    """Open made-up login links `times` times as the proxy would for `forwarded_for`; the last status."""
    status = 0
    async with aiohttp.ClientSession() as session:
        for attempt in range(times):
            async with session.get(f"{url}/login/not-a-link-{attempt}",
                                   headers={"X-Forwarded-For": forwarded_for}) as answer:
                status = answer.status
    return status


async def _open_link(url: str, link: str, forwarded_for: str) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.get(link, headers={"X-Forwarded-For": forwarded_for}) as answer:
            return answer.status


async def _actors(database: Database) -> set[str]:
    rows = await database.fetch_all("SELECT actor FROM audit_log WHERE action = 'web.login'")
    return {row["actor"] for row in rows}


async def test_behind_a_trusted_proxy_each_visitor_has_their_own_count(
    settings: Settings, database: Database, clock: ManualClock, unused_tcp_port: int,
) -> None:
    settings = _with_proxies(settings, unused_tcp_port, ["127.0.0.0/8"])
    async with _console(settings, database, clock) as (url, services):
        # The visitor forged a first hop of their own: the proxy's hop, the rightmost, decides.
        assert await _fail(url, f"10.9.9.9, {VISITOR}", FAILED_ATTEMPTS_ALLOWED) == 403
        link = (await services.web_login.issue(STAFF_ID, "test")).url
        assert await _open_link(url, link, VISITOR) == 429
        assert await _open_link(url, link, NEIGHBOUR) == 200
        assert {f"web:{VISITOR}"} <= await _actors(database)
        assert "web:127.0.0.1" not in await _actors(database)


async def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(
    settings: Settings, database: Database, clock: ManualClock, unused_tcp_port: int,
) -> None:
    settings = _with_proxies(settings, unused_tcp_port, [])
    async with _console(settings, database, clock) as (url, services):
        # Every attempt names another address: they are all the connection's, 127.0.0.1.
        for attempt in range(FAILED_ATTEMPTS_ALLOWED):
            await _fail(url, f"203.0.113.{attempt}", 1)
        link = (await services.web_login.issue(STAFF_ID, "test")).url
        assert await _open_link(url, link, NEIGHBOUR) == 429
        assert await _actors(database) == {"web:127.0.0.1"}
        clock.advance(timedelta(minutes=11))
        link = (await services.web_login.issue(STAFF_ID, "test")).url
        assert await _open_link(url, link, NEIGHBOUR) == 200


def test_the_client_is_read_from_the_right_past_trusted_hops() -> None:
    trusted = networks(["10.0.0.0/8", "2001:db8::/32"])
    assert client_address("10.0.0.2", ["203.0.113.5, 10.0.0.7"], trusted) == "203.0.113.5"
    assert client_address("10.0.0.2", ["1.2.3.4", "203.0.113.5"], trusted) == "203.0.113.5"
    assert client_address("10.0.0.2", ["[2001:db9::1]:443"], trusted) == "2001:db9::1"
    assert client_address("10.0.0.2", ["198.51.100.1:5100"], trusted) == "198.51.100.1"
    assert client_address("198.51.100.9", ["203.0.113.5"], trusted) == "198.51.100.9"  # not a trusted peer
    assert client_address("10.0.0.2", ["not-an-address"], trusted) == "10.0.0.2"  # stops at the last trusted hop
    assert client_address("10.0.0.2", [], trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", ["10.0.0.3"], trusted) == "10.0.0.3"  # all trusted: the leftmost


async def test_failures_from_a_flood_of_addresses_are_bounded(
    settings: Settings, database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web_login, "TRACKED_ADDRESSES", 50)
    logins = build_services(settings, database, clock).web_login
    for number in range(200):
        await logins.check_link("not-a-link", f"198.51.100.{number % 250}/{number}")
    assert logins.tracked_addresses <= 50
    # The newest addresses are the ones remembered: the last one still counts its failures.
    for _ in range(FAILED_ATTEMPTS_ALLOWED - 1):
        await logins.check_link("not-a-link", "198.51.100.199/199")
    assert await logins.check_link("not-a-link", "198.51.100.199/199") == "too_many"


def test_a_bad_trusted_proxy_is_named(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    example = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    config.write_text(example.replace("trusted_proxies = []", 'trusted_proxies = ["10.0.0.0/33"]'), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "web.trusted_proxies" in str(raised.value)
