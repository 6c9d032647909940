"""Zalo and the console's files: evidence with an answer reaches Zalo residents (uploaded to the
OA, then sent as an attachment, inside Zalo's window only; held after it until the resident
writes again), and photos residents sent on Zalo are fetched by the bot for the console, which
never shows Zalo's address."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp

from bot.app import Services, _photo_fetcher
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.identity import Identity
from bot.domain.messages import Document
from bot.domain.records import NewConcern
from bot.outbox.dispatcher import OutboxDispatcher
from bot.services.answers import AnswerInput
from handlers.web import WebConsole
from storage.concerns import ConcernRepository
from storage.db import Database
from tests.conftest import create_meeting
from tests.consolekit import with_console
from tests.fakezalo import FakeZalo
from tests.test_console_evidence import PDF, PHOTO
from tests.test_zalo_outbox import ClockSleep, seed_zalo_residents
from tests.zalo_e2e import fake, running_zalo, services, step  # noqa: F401 - fixtures

RECENT, AWAY = "7500000000000000001", "7500000000000000002"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


async def concern_of(database: Database, clock: ManualClock, resident_id: int, meeting_id: int, n: int,
                     photos: tuple[str, ...] = ()) -> str:
    async with database.transaction() as connection:
        concern = await ConcernRepository(connection).submit(
            NewConcern(draft_key=f"zalo-evidence:{n}", meeting_id=meeting_id, area_id="kp1-t1", topic_id="hem-chieu-sang",
                       text=f"Đèn đường hẻm 48 Tân Hóa bị hư, ý kiến số {n}.", author_id=resident_id, language="vi",
                       photos=photos),
            "TT", clock.now() - timedelta(days=5),
        )
    return concern.code


async def test_evidence_reaches_zalo_residents_inside_the_window_and_waits_outside_it(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services,
) -> None:
    residents = await seed_zalo_residents(database, clock, {RECENT: timedelta(hours=2), AWAY: timedelta(days=9)})
    for user, ago in ((RECENT, timedelta(hours=2)), (AWAY, timedelta(days=9))):
        fake.last_interaction[user] = clock.now() - ago
    meeting = await create_meeting(database, clock.now() - timedelta(days=10), days_ahead=9, intake_days=8)
    evidence = (Document("anh-sau-khi-sua.png", PHOTO), Document("bien-ban.pdf", PDF))
    for n, user in enumerate((RECENT, AWAY)):
        code = await concern_of(database, clock, residents[user], meeting.id, n)
        await services.answers.record(code, AnswerInput("answered", "Phường đã thay bóng đèn.", "Chủ tịch UBND phường",
                                                        evidence=evidence), "test")
    assert (await services.publishing.publish(meeting.id, "test")).queued == 6

    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        dispatcher = OutboxDispatcher(database, {"zalo": channel.sender()}, clock, settings.notify, sleep=ClockSleep(clock))
        progress = await dispatcher.drain()
        assert (progress.sent, progress.held) == (3, 3)
        text, photo, document = fake.inbox(RECENT)
        assert "Phường đã thay bóng đèn" in text.text
        assert (received := fake.media.received(photo.message.get("attachment"))) is not None
        assert received.kind == "image" and received.content == PHOTO and "TT-0001" in photo.text
        assert (received := fake.media.received(document.message.get("attachment"))) is not None
        assert received.kind == "file" and received.content == PDF and received.filename == "bien-ban.pdf"
        assert fake.inbox(AWAY) == [] and not any(c.user_id == AWAY for c in fake.calls)  # not even tried

        person = fake.user(AWAY)
        await step(channel, person, lambda: person.send_text("Cho hỏi ý kiến của tôi thế nào rồi?"))
        before = len(fake.inbox(AWAY))
        assert (await dispatcher.drain()).sent == 3
        answer, *files = fake.inbox(AWAY)[before:]
        assert "Phường đã thay bóng đèn" in answer.text  # the answer first, then its files
        assert [fake.media.received(m.message.get("attachment")).content for m in files] == [PHOTO, PDF]  # type: ignore[union-attr]
        assert (await dispatcher.drain()).sent == 0  # each once
    assert len(fake.media.uploads) == 2  # each file uploaded once for both residents


async def test_a_photo_sent_on_zalo_is_shown_in_the_console_through_the_bot(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock, services: Services,
    unused_tcp_port: int,
) -> None:
    residents = await seed_zalo_residents(database, clock, {RECENT: timedelta(hours=2)})
    meeting = await create_meeting(database, clock.now())
    address = fake.media.serve("hem48.jpg", JPEG)
    code = await concern_of(database, clock, residents[RECENT], meeting.id, 1, photos=(address,))
    web_settings = with_console(settings, unused_tcp_port)
    async with running_zalo(settings, fake, database, clock, services.router.handle) as channel:
        console = WebConsole(web_settings, services, clock, _photo_fetcher({"zalo": channel}))
        await console.start()
        try:
            base = web_settings.web.base_url
            # The services were built for the config's address; the console listens on the test's port.
            link = base + urlsplit((await services.web_login.issue(Identity("telegram", "100000002"), "test")).url).path
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # an IP host
                async with browser.post(link) as logged_in:
                    assert logged_in.status == 200 and logged_in.url.path == "/meetings"
                async with browser.get(f"{base}/concerns/{code}") as page:
                    html = await page.text()
                assert f"/concerns/{code}/photos/1" in html and "hem48" not in html and fake.base_url not in html
                for _ in range(2):
                    async with browser.get(f"{base}/concerns/{code}/photos/1") as photo:
                        assert photo.status == 200 and photo.content_type == "image/jpeg"
                        assert await photo.read() == JPEG
        finally:
            await console.stop()
    assert fake.media.fetched == ["hem48.jpg"]  # fetched once, then kept privately
    assert not re.search(r"access[-_]token", str(fake.media.fetched))
