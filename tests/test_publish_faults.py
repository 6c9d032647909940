"""Publishing answers through the fake Bot API while Telegram misbehaves, and across a SIGKILL.

Data is seeded straight into SQLite (residents on channel "telegram" whose channel_user_id is a
FakeUser id, concerns with supporters so one answer fans out to several chats, answers recorded
and published through the services); the sending is done by the real runtime: the dispatcher,
`TelegramSender` and python-telegram-bot over HTTP.

A message of the publish is identified on the Telegram side by (chat, concern code): each
answer's text names its concern's code once, and a chat gets one answer per concern, exactly as
the dedupe key `answer:{meeting}:{concern}:{resident}` says.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Runtime, build_services
from bot.clock import SystemClock
from bot.config import Secrets, Settings
from bot.domain.records import NewConcern
from bot.outbox.dispatcher import CONCURRENCY, MARK_EVERY
from bot.services.answers import AnswerInput
from bot.services.layer import ServiceLayer
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.residents import ResidentRepository
from tests.conftest import create_meeting
from tests.e2e import BotProcess, settings_for, write_config
from tests.fakebotapi import ApiCall, FakeBotApi

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
STAFF_CHAT = -1001000000001
CODE = re.compile(r"TT-\d{4}")
Key = tuple[int, str]  # (chat id, concern code)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        server.group(STAFF_CHAT, "Cán bộ phường Phú Thọ")  # scheduled staff notices, if any, land here
        yield server


# --- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    meeting_id: int
    queued: int
    # (chat, code) -> dedupe key, for every message the publish queued
    expected: dict[Key, str]
    chats: list[int]


def _answer(index: int) -> AnswerInput:
    kind = ("answered", "explained", "not_accepted", "forwarded")[index % 4]
    if kind == "forwarded":
        return AnswerInput(
            kind, f"Đã chuyển xử lý, nội dung trả lời số {index}.", "Chủ tịch UBND phường",
            agency="Công an phường Phú Thọ", due_date=datetime.now(ZONE).date() + timedelta(days=30),
        )
    return AnswerInput(kind, f"Nội dung trả lời số {index}: phường sẽ kiểm tra và xử lý.", "Chủ tịch UBND phường")


async def seed_and_publish(
    database: Database, services: ServiceLayer, api: FakeBotApi, *,
    residents: int, concerns: int, supporters: dict[int, int], first_user_id: int,
) -> Published:
    """`residents` Telegram residents, `concerns` concerns of a meeting held yesterday (author
    `j % residents`, plus `supporters[j % len]` supporters: the next residents along), every
    one answered through `services`, then published."""
    now = datetime.now(UTC)
    # Intake from 11 days ago to 2 days ago, held yesterday: the CHECK wants opens < closes.
    meeting = await create_meeting(database, now - timedelta(days=10), days_ahead=9, intake_days=8)
    chats = [first_user_id + i for i in range(residents)]
    async with database.transaction() as connection:
        people = ResidentRepository(connection)
        resident_ids = []
        for i, chat in enumerate(chats):
            api.user(chat, first_name=f"Cư dân {i}", language_code="en" if i % 7 == 6 else "vi")
            resident = await people.get_or_create("telegram", str(chat), "en" if i % 7 == 6 else "vi", now)
            resident_ids.append(resident.id)
        repository = ConcernRepository(connection)
        codes = []
        for j in range(concerns):
            author = j % residents
            concern = await repository.submit(
                NewConcern(
                    draft_key=f"seed:{j}", meeting_id=meeting.id, area_id="kp1-t1",
                    topic_id=("giao-thong", "hem-chieu-sang")[j % 2],
                    text=f"Ý kiến số {j}: đèn đường và vỉa hè khu phố cần được sửa chữa sớm.",
                    author_id=resident_ids[author], language="vi",
                ),
                "TT", now - timedelta(days=5),
            )
            for k in range(supporters.get(j % len(supporters), 0) if supporters else 0):
                added = await repository.add_supporter(concern.id, resident_ids[(author + 1 + k) % residents], now)
                assert added
            codes.append(concern.code)
    for index, code in enumerate(codes):
        await services.answers.record(code, _answer(index), "test")
    report = await services.publishing.publish(meeting.id, "test")
    rows = await database.fetch_all(
        "SELECT o.dedupe_key, o.address, c.code FROM outbox o "
        "JOIN concerns c ON c.id = CAST(substr(o.dedupe_key, length(?) + 1, "
        "instr(substr(o.dedupe_key, length(?) + 1), ':') - 1) AS INTEGER) "
        "WHERE substr(o.dedupe_key, 1, length(?)) = ?",
        (f"answer:{meeting.id}:",) * 4,
    )
    expected = {(int(row["address"]), str(row["code"])): str(row["dedupe_key"]) for row in rows}
    assert report.concerns == concerns and not report.unanswered
    assert report.queued == len(expected) == len(rows)
    return Published(meeting.id, report.queued, expected, chats)


# --- reading what Telegram saw --------------------------------------------------------------


def _key_of(chat: object, text: object) -> Key | None:
    codes = CODE.findall(str(text or ""))
    if len(codes) != 1:
        return None
    try:
        return int(chat), codes[0]  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def delivered(api: FakeBotApi, published: Published) -> Counter[Key]:
    """How often each message of the publish reached its chat (what residents actually see)."""
    found: Counter[Key] = Counter()
    for message in api.sent:
        key = _key_of(message.chat_id, message.text)
        if message.method == "sendMessage" and key in published.expected:
            found[key] += 1
    return found


def calls_for(api: FakeBotApi, published: Published) -> dict[Key, list[ApiCall]]:
    """Every sendMessage the bot made for each message of the publish, answered or not."""
    found: dict[Key, list[ApiCall]] = {}
    for call in api.calls_of("sendMessage"):
        key = _key_of(call.params.get("chat_id"), call.params.get("text"))
        if key in published.expected:
            found.setdefault(key, []).append(call)  # type: ignore[arg-type]
    return found


async def statuses(database: Database, meeting_id: int) -> dict[str, str]:
    rows = await database.fetch_all(
        "SELECT dedupe_key, status FROM outbox WHERE substr(dedupe_key, 1, length(?)) = ?",
        (f"answer:{meeting_id}:",) * 2,
    )
    return {str(row["dedupe_key"]): str(row["status"]) for row in rows}


async def wait_settled(database: Database, meeting_id: int, timeout: float) -> dict[str, str]:
    """Until no message of the publish is pending or in flight."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await statuses(database, meeting_id)
        if not any(status in ("pending", "sending") for status in found.values()):
            return found
        if loop.time() > deadline:
            raise AssertionError(f"still unsent after {timeout}s: {Counter(found.values())}")
        await asyncio.sleep(0.1)


# --- 1. every fault in one publish, in process ----------------------------------------------


@pytest.fixture
async def runtime(settings: Settings, api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Runtime]:
    database = await Database.open(tmp_path / "faults.db")
    # Faster pacing than Telegram's, so the test is quick; the shape of the pacing is the same.
    notify = settings.notify.model_copy(update={"per_second": 200, "per_chat_per_second": 50, "send_timeout": 1.5})
    configured = settings_for(settings, api).model_copy(update={"notify": notify})
    running = Runtime(configured, Secrets(api.token, None), database, SystemClock())
    yield running
    await running.stop()
    await database.close()


async def test_one_publish_survives_429_500s_a_timeout_and_blocked_residents(
    api: FakeBotApi, runtime: Runtime
) -> None:
    database = runtime.services.database
    # 20 residents, 36 concerns; every third concern has two supporters: 36 + 12 * 2 = 60 messages.
    published = await seed_and_publish(
        database, runtime.services, api,
        residents=20, concerns=36, supporters={0: 2, 1: 0, 2: 0}, first_user_id=7001,
    )
    assert published.queued == 60
    per_chat = Counter(chat for chat, _ in published.expected)
    chats = published.chats
    # Blocked from the start: the last two residents. Their messages have high outbox ids, so the
    # timeout injected below (it hits whichever sendMessage comes first after the 429's pause,
    # the oldest due message) lands on someone else.
    blocked = [chats[18], chats[19]]
    for chat in blocked:
        api.block(chat)
    # 500s for three residents, a 429 (retry_after = 1 s) for a fourth: all in the first batch.
    failed_500 = [chats[3], chats[7], chats[11]]
    for chat in failed_500:
        api.fail_next("sendMessage", status=500, chat_id=chat)
    api.fail_next("sendMessage", status=429, retry_after=1, chat_id=chats[5])

    await runtime.start()
    # While the 429's pause lasts nothing is sent, so the next sendMessage, the first after the
    # pause, is the one held past the outbox's send timeout (notify.send_timeout, 1.5 s here).
    await api.wait_until(lambda: any(c.status == 429 for c in api.calls_of("sendMessage")), timeout=10)
    api.delay_next("sendMessage", 3.0)

    final = await wait_settled(database, published.meeting_id, timeout=40)
    # The held-back request is answered (499: its client had gone) only when its delay ends.
    await api.wait_until(lambda: all(c.status != 0 for c in api.calls_of("sendMessage")), timeout=10)
    calls = api.calls_of("sendMessage")
    seen = delivered(api, published)
    made = calls_for(api, published)

    # The timeout: python-telegram-bot gave up, the fake never delivered it (the client had
    # gone), the dispatcher retried it as transient, and it arrived once.
    timed_out = [c for c in calls if c.status == 499]
    assert len(timed_out) == 1, [(c.chat_id, c.status) for c in calls if c.status != 200]
    late_key = _key_of(timed_out[0].chat_id, timed_out[0].params.get("text"))
    assert late_key in published.expected and late_key[0] not in blocked
    assert [c.status for c in made[late_key]] == [499, 200]

    # Every message reached its chat exactly once, except the blocked residents', which are marked.
    for key, dedupe_key in published.expected.items():
        chat, _ = key
        if chat in blocked:
            assert seen[key] == 0, key
            assert final[dedupe_key] == "undeliverable", (key, final[dedupe_key])
        else:
            assert seen[key] == 1, (key, seen[key])
            assert final[dedupe_key] == "sent", (key, final[dedupe_key])
    assert sum(seen.values()) == published.queued - sum(per_chat[chat] for chat in blocked)
    # …and each chat got exactly its share, nothing more (no stray copies in any chat).
    for chat in chats:
        in_chat = [m for m in api.sent if m.chat_id == chat]
        assert len(in_chat) == (0 if chat in blocked else per_chat[chat]), chat

    # A 403 is final: one sendMessage per blocked message, never retried.
    for key, dedupe_key in published.expected.items():
        if key[0] in blocked:
            assert [c.status for c in made[key]] == [403], (key, [c.status for c in made[key]])
    rows = {
        str(r["dedupe_key"]): r
        for r in await database.fetch_all("SELECT dedupe_key, attempts, last_error FROM outbox")
    }
    for key, dedupe_key in published.expected.items():
        if key[0] in blocked:
            assert rows[dedupe_key]["attempts"] == 1
            assert "blocked" in str(rows[dedupe_key]["last_error"])

    late_row = rows[published.expected[late_key]]  # type: ignore[index]
    assert late_row["attempts"] == 2 and str(late_row["last_error"]).startswith("TransientError")

    # The 500s were retried once each and got through.
    for chat in failed_500:
        statuses_for_chat = [c.status for c in calls if c.chat_id == chat]
        assert statuses_for_chat.count(500) == 1 and statuses_for_chat.count(200) == per_chat[chat]

    # The 429: the whole bot waited retry_after. Requests that had already taken their turn
    # when the 429 came back may still arrive (at most one per other worker, within moments);
    # after them, no sendMessage until the second is over.
    (limited,) = [c for c in calls if c.status == 429]
    assert limited.answered_at is not None
    assert limited.chat_id == chats[5]
    after = [c.time - limited.answered_at for c in calls if c.time > limited.answered_at]
    stragglers = [gap for gap in after if gap < 0.95]
    assert len(stragglers) <= CONCURRENCY - 1 and all(gap < 0.25 for gap in stragglers), stragglers
    assert any(gap >= 0.95 for gap in after), "nothing was sent after the pause"

    # Nothing else of the outbox is left behind either.
    leftover = await database.fetch_all("SELECT status FROM outbox WHERE status IN ('pending', 'sending')")
    assert leftover == []


# --- 2. SIGKILL mid-publish, restart --------------------------------------------------------


async def test_sigkill_mid_publish_then_restart_loses_nothing_and_repeats_only_in_flight(
    settings: Settings, api: FakeBotApi, tmp_path: Path
) -> None:
    db_path = tmp_path / "data" / "bot.db"
    database = await Database.open(db_path)
    try:
        services = build_services(settings, database, SystemClock())
        # 100 residents, 150 concerns, each with its author and one supporter: 300 messages.
        published = await seed_and_publish(
            database, services, api,
            residents=100, concerns=150, supporters={0: 1}, first_user_id=8101,
        )
    finally:
        await database.close()
    assert published.queued == 300

    config = write_config(tmp_path, api, db_path)
    text = config.read_text(encoding="utf-8")
    assert "per_second = 30\n" in text and "per_chat_per_second = 1\n" in text
    text = text.replace("per_second = 30\n", "per_second = 100\n").replace(
        "per_chat_per_second = 1\n", "per_chat_per_second = 20\n"
    )
    config.write_text(text, encoding="utf-8")
    # Every sendMessage takes a little while, so the kill lands with requests in flight.
    api.delay_next("sendMessage", 0.02, count=100_000)

    process = BotProcess(config, api, tmp_path / "bot.log")
    database = None
    try:
        await process.start()
        await api.wait_until(lambda: sum(delivered(api, published).values()) >= published.queued // 2, timeout=30)
        await process.kill()
        seen_at_kill = delivered(api, published)

        database = await Database.open(db_path)
        at_kill = await statuses(database, published.meeting_id)
        in_flight = {key for key, status in at_kill.items() if status == "sending"}
        sent_at_kill = sum(1 for status in at_kill.values() if status == "sent")
        assert 0 < sum(seen_at_kill.values()) < published.queued, "the kill did not land mid-publish"
        # What the database says was sent did reach Telegram.
        by_dedupe = {dedupe_key: key for key, dedupe_key in published.expected.items()}
        assert all(seen_at_kill[by_dedupe[k]] >= 1 for k, s in at_kill.items() if s == "sent")

        await process.start()
        final = await wait_settled(database, published.meeting_id, timeout=30)
        await process.stop()
    finally:
        if database is not None:
            await database.close()
        if process.starts:
            await process.stop()

    seen = delivered(api, published)
    duplicates = {key: count - 1 for key, count in seen.items() if count > 1}
    duplicate_count = sum(duplicates.values())
    print(
        f"\nSIGKILL mid-publish: {sum(seen_at_kill.values())}/{published.queued} delivered at the kill, "
        f"{sent_at_kill} marked sent, {len(in_flight)} row(s) 'sending'; "
        f"duplicates after restart: {duplicate_count}"
    )
    # No loss: every message arrived, every row is sent.
    missing = [key for key in published.expected if seen[key] == 0]
    assert missing == []
    assert set(final.values()) == {"sent"}
    # Repeats only of what was in flight at the kill, each at most once more.
    assert duplicate_count <= len(in_flight)
    # Tighter: 'sending' covers the whole claimed batch, but a worker has one request out at a time.
    # … and no more than were in flight or sent and not yet marked (marks go in groups).
    assert duplicate_count <= CONCURRENCY + MARK_EVERY
    assert {published.expected[key] for key in duplicates} <= in_flight
    assert all(count == 1 for count in duplicates.values())
    # No stray messages to residents either.
    resident_chats = set(published.chats)
    assert sum(1 for m in api.sent if m.chat_id in resident_chats) == published.queued + duplicate_count
    if in_flight:
        assert "were in flight when the last run stopped" in process.log()
    assert api.token not in process.log()
