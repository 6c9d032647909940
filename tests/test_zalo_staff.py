"""Staff on Zalo: a member of staff listed with their Zalo id gets, in the OA chat, the staff
commands of a private chat (/web for the console's login link, /staffhelp); everyone else on
Zalo keeps the resident's dialogue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import PersonSettings, Settings
from bot.domain.identity import Identity
from bot.services.web_login import Login
from handlers.zalo import ZaloChannel
from storage.db import Database
from tests.consolekit import link_in, with_console
from tests.fakezalo import FakeZalo
from tests.zalo_e2e import fake, running_zalo, step  # noqa: F401 - fixtures

CLERK = "7600000000000000004"


def with_zalo_staff(settings: Settings, port: int) -> Settings:
    clerk = PersonSettings(name="Lê Thị Thu, công chức Văn phòng", role="staff", zalo=CLERK)
    staff = settings.staff.model_copy(update={"people": [*settings.staff.people, clerk]})
    return with_console(settings, port).model_copy(update={"staff": staff})


@pytest.fixture
async def staffed(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, unused_tcp_port: int, meeting: object
) -> AsyncIterator[tuple[Services, ZaloChannel]]:
    configured = with_zalo_staff(settings, unused_tcp_port)
    services = build_services(configured, database, clock)
    async with running_zalo(configured, fake, database, clock, services.router.handle) as channel:
        yield services, channel


async def test_a_member_of_staff_on_zalo_gets_the_console_link(
    fake: FakeZalo, staffed: tuple[Services, ZaloChannel]
) -> None:
    services, channel = staffed
    clerk = fake.user(CLERK, "Thu")
    # Their very first message to the OA is a staff command: it is taken as one, not as a greeting.
    (answer,) = await step(channel, clerk, lambda: clerk.send_text("/web"))
    login = await services.web_login.redeem(link_in(answer.text).rsplit("/", 1)[1], "test")
    assert isinstance(login, Login) and login.identity == Identity("zalo", CLERK)
    (helped, *_) = await step(channel, clerk, lambda: clerk.send_text("/staffhelp"))
    assert "/web" in helped.text


async def test_residents_on_zalo_keep_their_dialogue(fake: FakeZalo, staffed: tuple[Services, ZaloChannel]) -> None:
    _, channel = staffed
    lan = fake.user("7600000000000000099", "Lan")
    greeting, consent = await step(channel, lan, lambda: lan.send_text("Chào phường"))
    assert "Xin chào" in greeting.text and consent.buttons()
    # A staff command from someone who is not staff is refused, as on Telegram.
    (refused,) = await step(channel, lan, lambda: lan.send_text("/web"))
    assert "cán bộ" in refused.text and "/login/" not in refused.text
    # And a new resident's first message greets them, whatever it says.
    minh = fake.user("7600000000000000098", "Minh")
    greeting, *_ = await step(channel, minh, lambda: minh.send_text("/web"))
    assert "Xin chào" in greeting.text
