"""A ward's site as the public reaches it: the console's web server with [public] and [open311]
configured, a meeting with concerns — one from a resident who shared her name and number and
wrote another number and an e-mail address into her text — and helpers to answer and publish."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.public_settings import Open311Client
from bot.services.answers import AnswerInput
from handlers.web import WebConsole
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting
from tests.consolekit import with_console

TELEGRAM_BOT = "phutho_doithoai_bot"
ZALO_OA = "4318812345678901234"
API_KEY = "hotline-key-1b7c9e"
# What must never reach a public page or response: the resident's name and numbers.
LAN_NAME = "Nguyễn Thị Lan"
LAN_PHONE = "0903 123 456"
LAN_TEXT = "Cống thoát nước hẻm 12 Tân Hóa bị nghẹt, mưa là ngập. Gọi tôi 0912 345 678 hoặc lan.nguyen@example.vn."
LAMP = "Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay, ban đêm rất tối."
SECRETS = ("Nguyễn Thị Lan", "0903", "903123456", "0912 345 678", "912345678", "lan.nguyen@example.vn")


def public_settings(settings: Settings, port: int, show_rejected: str = "code_only") -> Settings:
    settings = with_console(settings, port)
    public = settings.public.model_copy(update={
        "telegram_username": TELEGRAM_BOT, "zalo_oa_id": ZALO_OA, "show_rejected": show_rejected,
    })
    client = Open311Client(name="hotline", api_key_sha256=hashlib.sha256(API_KEY.encode()).hexdigest())
    open311 = settings.open311.model_copy(update={"clients": [client]})
    return settings.model_copy(update={"public": public, "open311": open311})


@dataclass(frozen=True)
class Site:
    services: Services
    settings: Settings
    clock: ManualClock
    database: Database
    lamp: str  # the codes of the two concerns
    drain: str

    @property
    def url(self) -> str:
        return self.settings.web.base_url

    async def answer_and_publish(self, *, forward_drain: bool = True) -> date:
        """The meeting is held, both concerns are answered (the drain forwarded), the answers published."""
        self.clock.advance(timedelta(days=15))
        await self.services.answers.record(
            self.lamp, AnswerInput("answered", "Phường đã thay bóng đèn hẻm 48 ngày 20/3.", "Chủ tịch UBND phường"), "test")
        due = (self.clock.now() + timedelta(days=20)).astimezone(self.settings.zone).date()
        drain = (AnswerInput("forwarded", "Chuyển Công ty Thoát nước đô thị nạo vét.", "Chủ tịch UBND phường",
                             "Công ty Thoát nước đô thị", due) if forward_drain
                 else AnswerInput("explained", "Phường đã nạo vét cống.", "Phó Chủ tịch UBND phường"))
        await self.services.answers.record(self.drain, drain, "test")
        await self.services.publishing.publish(1, "test")
        return due


async def lan_with_her_contact(services: Services) -> str:
    """A resident who agrees, gives her verified number and name, and writes numbers in her text."""
    lan = Chat(services.intake, "9101", channel="telegram")
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 1")
    await lan.press("Tổ dân phố 2")
    await lan.press("Hẻm, đường sá")
    await lan.text(LAN_TEXT)
    await lan.press("Bỏ qua")
    await lan.location(10.7626, 106.6518)
    await lan.contact(LAN_PHONE, LAN_NAME)
    replies = await lan.press("Gửi ý kiến")
    return replies[0].text.split("Mã theo dõi: ")[1].split()[0]


@pytest.fixture
async def site(settings: Settings, database: Database, clock: ManualClock, unused_tcp_port: int) -> AsyncIterator[Site]:
    settings = public_settings(settings, unused_tcp_port)
    services = build_services(settings, database, clock)
    await create_meeting(database, clock.now())
    lamp = await submit_concern(Chat(services.intake, "9001", channel="telegram"), LAMP)
    drain = await lan_with_her_contact(services)
    server = WebConsole(settings, services, clock)
    await server.start()
    try:
        yield Site(services, settings, clock, database, lamp, drain)
    finally:
        await server.stop()
