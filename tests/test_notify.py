"""The outbox and its dispatcher, on a real SQLite file and a clock that only moves when slept on."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.config import NotifySettings
from bot.domain.messages import Button, Reply
from bot.outbox.codec import decode_body, encode_body
from bot.outbox.delivery import RetryAfter, TransientError, Undeliverable
from bot.outbox.dispatcher import CONCURRENCY, OutboxDispatcher, Progress
from bot.outbox.pacing import EARLY, PACING_MARGIN, Pacer, backoff_delay
from storage.db import Database
from storage.outbox import OutboxMessage, OutboxRepository

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Call:
    address: str
    text: str
    at: datetime
    outcome: str


class FakeSender:
    """Records every send with the clock's time; fails on demand, per address or for the next sends."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self.fail_next: deque[Exception] = deque()
        self.fail_for: dict[str, Callable[[], Exception]] = {}
        self.after_send: Callable[[], None] | None = None

    @property
    def sent(self) -> list[Call]:
        return [call for call in self.calls if call.outcome == "sent"]

    def sent_to(self, address: str) -> list[Call]:
        return [call for call in self.sent if call.address == address]

    async def send(self, address: str, reply: Reply) -> None:
        error: Exception | None = None
        if address in self.fail_for:
            error = self.fail_for[address]()
        elif self.fail_next:
            error = self.fail_next.popleft()
        outcome = "sent" if error is None else type(error).__name__
        self.calls.append(Call(address, reply.text, self.clock.now(), outcome))
        if error is not None:
            raise error
        if self.after_send is not None:
            self.after_send()


class VirtualSleep:
    """asyncio.sleep on the ManualClock: yields once, then moves the clock to the wake-up time.

    Concurrent sleepers each wake at their own target, so time is never counted twice.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        target = self.clock.now() + timedelta(seconds=seconds)
        await asyncio.sleep(0)
        if target > self.clock.now():
            self.clock.set(target)


@pytest.fixture
def sender(clock: ManualClock) -> FakeSender:
    return FakeSender(clock)


def make_dispatcher(
    database: Database,
    clock: ManualClock,
    senders: dict[str, FakeSender],
    settings: NotifySettings | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    concurrency: int = CONCURRENCY,
) -> OutboxDispatcher:
    return OutboxDispatcher(
        database,
        senders,
        clock,
        settings or NotifySettings(),
        sleep=sleep or VirtualSleep(clock),
        random=lambda: 0.5,  # no jitter: delays are exact
        concurrency=concurrency,
    )


async def enqueue(
    database: Database, clock: ManualClock, key: str, address: str, text: str = "Trả lời", channel: str = "telegram"
) -> bool:
    async with database.transaction() as connection:
        return await OutboxRepository(connection).enqueue(key, channel, address, encode_body(Reply(text)), clock.now())


async def row(database: Database, key: str) -> OutboxMessage:
    async with database.transaction() as connection:
        found = await OutboxRepository(connection).find(key)
    assert found is not None
    return found


async def run_until(dispatcher: OutboxDispatcher, done: Callable[[], bool], stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    for _ in range(400):
        if done() or task.done():
            break
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert done()


# --- the repository -------------------------------------------------------------------------


async def test_claim_due_takes_due_rows_oldest_first_and_counts_the_attempt(database: Database, clock: ManualClock) -> None:
    for key, address in [("k1", "a"), ("k2", "a"), ("k3", "b"), ("k4", "c")]:
        await enqueue(database, clock, key, address)
    await enqueue(database, clock, "z1", "d", channel="zalo")
    async with database.transaction() as connection:
        outbox = OutboxRepository(connection)
        (first,) = await outbox.claim_due(clock.now(), 1)
        assert first.dedupe_key == "k1"
        await outbox.reschedule(first.id, clock.now() + 10 * SECOND, "TransientError")
        claimed = await outbox.claim_due(clock.now(), 10, channels=["telegram"], one_per_address=True)
    assert [m.dedupe_key for m in claimed] == ["k2", "k3", "k4"]
    assert all(m.status == "sending" and m.attempts == 1 for m in claimed)
    assert (await row(database, "k1")).status == "pending"
    assert (await row(database, "z1")).status == "pending"


async def test_recover_in_flight_puts_rows_left_sending_back(database: Database, clock: ManualClock) -> None:
    for key in ("k1", "k2", "k3"):
        await enqueue(database, clock, key, key)
    async with database.transaction() as connection:
        await OutboxRepository(connection).claim_due(clock.now(), 2)
    async with database.transaction() as connection:
        assert await OutboxRepository(connection).recover_in_flight() == 2
        counts = await OutboxRepository(connection).counts()
    assert counts == {"pending": 3, "sending": 0, "sent": 0, "failed": 0, "undeliverable": 0, "held": 0}
    assert (await row(database, "k1")).attempts == 1  # the interrupted try still counts


# --- the body --------------------------------------------------------------------------------


def test_body_round_trip_keeps_everything() -> None:
    reply = Reply(
        "Ý kiến TT-0147 đã được trả lời: đường Lê Văn Sỹ sẽ được sửa trong tháng 4.",
        buttons=((Button("Hài lòng", "sat:1:y"), Button("Chưa hài lòng", "sat:1:n")), (Button("Xem", "v:1"),)),
        ask="contact",
        ask_label="Chia sẻ số điện thoại",
        remove_keyboard=True,
    )
    body = encode_body(reply)
    assert "Hài lòng" in body  # stored readable, not \u-escaped
    assert decode_body(body) == reply
    assert decode_body(encode_body(Reply("chỉ chữ"))) == Reply("chỉ chữ")


@pytest.mark.parametrize("body", ["", "[]", '{"buttons": []}', '{"text": "x", "ask": "photo"}', '{"text": "x", "buttons": [1]}'])
def test_a_malformed_body_is_a_value_error(body: str) -> None:
    with pytest.raises(ValueError):
        decode_body(body)


async def test_an_unreadable_body_fails_at_once(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    async with database.transaction() as connection:
        await OutboxRepository(connection).enqueue("bad", "telegram", "a", "{not json", clock.now())
    progress = await make_dispatcher(database, clock, {"telegram": sender}).drain()
    assert progress == Progress(sent=0, undeliverable=0, failed=1, remaining=0)
    assert sender.calls == []
    assert (await row(database, "bad")).status == "failed"


# --- the dispatcher --------------------------------------------------------------------------


async def test_enqueueing_twice_sends_once(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    assert await enqueue(database, clock, "answer:12:7", "a", "lần một")
    assert not await enqueue(database, clock, "answer:12:7", "a", "lần hai")
    dispatcher = make_dispatcher(database, clock, {"telegram": sender})
    assert await dispatcher.drain() == Progress(sent=1, undeliverable=0, failed=0, remaining=0)
    await dispatcher.drain()
    assert [(c.address, c.text) for c in sender.calls] == [("a", "lần một")]
    sent = await row(database, "answer:12:7")
    assert sent.status == "sent" and sent.sent_at == clock.now() and sent.attempts == 1


async def test_a_429_makes_the_whole_bot_wait(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    for address in "abcde":
        await enqueue(database, clock, f"k:{address}", address)
    sender.fail_next.append(RetryAfter(30))
    progress = await make_dispatcher(database, clock, {"telegram": sender}).drain()

    limited = sender.calls[0]
    assert limited.outcome == "RetryAfter"
    later = sender.calls[1:]
    assert later and all(call.at >= limited.at + 30 * SECOND for call in later)
    assert sorted(call.address for call in sender.sent) == list("abcde")
    assert progress == Progress(sent=5, undeliverable=0, failed=0, remaining=0)
    # The 429 was the platform's doing, not the message's: it is not a spent attempt.
    assert (await row(database, f"k:{limited.address}")).attempts == 1


async def test_a_429_on_one_channel_does_not_hold_up_another(database: Database, clock: ManualClock) -> None:
    telegram, console = FakeSender(clock), FakeSender(clock)
    await enqueue(database, clock, "t", "a")
    await enqueue(database, clock, "c", "a", channel="console")
    telegram.fail_next.append(RetryAfter(60))
    start = clock.now()
    await make_dispatcher(database, clock, {"telegram": telegram, "console": console}).drain()
    assert console.sent[0].at < start + 60 * SECOND
    assert telegram.sent[0].at >= start + 60 * SECOND


async def test_transient_errors_back_off_then_fail(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    await enqueue(database, clock, "k", "a")
    sender.fail_for["a"] = lambda: TransientError("502 Bad Gateway")
    progress = await make_dispatcher(database, clock, {"telegram": sender}).drain()

    times = [call.at for call in sender.calls]
    assert len(times) == 5  # max_attempts
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(times, times[1:])]
    # The first retry also waits for the per-chat pace, which runs a little under 1/s.
    assert gaps == pytest.approx([1 / PACING_MARGIN, 2, 4, 8], abs=0.01)
    failed = await row(database, "k")
    assert (failed.status, failed.attempts) == ("failed", 5)
    assert failed.last_error == "TransientError: 502 Bad Gateway"
    assert progress == Progress(sent=0, undeliverable=0, failed=1, remaining=0)


async def test_a_transient_error_then_success(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    await enqueue(database, clock, "k", "a")
    sender.fail_next.extend([TransientError("timeout"), TransientError("timeout")])
    await make_dispatcher(database, clock, {"telegram": sender}).drain()
    assert [call.outcome for call in sender.calls] == ["TransientError", "TransientError", "sent"]
    assert (await row(database, "k")).attempts == 3


def test_backoff_doubles_is_capped_and_jittered() -> None:
    assert [backoff_delay(n, lambda: 0.5).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_delay(1, lambda: 0.0).total_seconds() == pytest.approx(0.8)
    assert backoff_delay(1, lambda: 1.0).total_seconds() == pytest.approx(1.2)
    assert backoff_delay(40, lambda: 0.5).total_seconds() == 300


async def test_an_unexpected_exception_is_transient_and_logs_neither_address_nor_text(
    database: Database, clock: ManualClock, sender: FakeSender, caplog: pytest.LogCaptureFixture
) -> None:
    # Only ours: aiosqlite's own DEBUG log quotes every SQL parameter.
    caplog.set_level(logging.DEBUG, logger="bot.outbox.dispatcher")
    await enqueue(database, clock, "k", "84901234567", "Bí mật của bà Lan")
    sender.fail_next.append(RuntimeError("chat 84901234567: Bí mật của bà Lan"))
    await make_dispatcher(database, clock, {"telegram": sender}).drain()
    message = await row(database, "k")
    assert (message.status, message.attempts) == ("sent", 2)
    assert "RuntimeError" in caplog.text and f"outbox {message.id}" in caplog.text
    assert "84901234567" not in caplog.text and "Bí mật" not in caplog.text


async def test_undeliverable_is_marked_at_once_and_never_retried(
    database: Database, clock: ManualClock, sender: FakeSender
) -> None:
    await enqueue(database, clock, "k", "gone")
    await enqueue(database, clock, "ok", "here")
    sender.fail_for["gone"] = lambda: Undeliverable("Forbidden: bot was blocked by the user")
    dispatcher = make_dispatcher(database, clock, {"telegram": sender})
    assert await dispatcher.drain() == Progress(sent=1, undeliverable=1, failed=0, remaining=0)
    clock.advance(timedelta(hours=1))
    await dispatcher.drain()
    assert [call.address for call in sender.calls].count("gone") == 1
    assert (await row(database, "k")).status == "undeliverable"


async def test_after_a_crash_only_the_in_flight_rows_are_sent_again(
    database: Database, clock: ManualClock, sender: FakeSender
) -> None:
    for address in ("a", "b", "c", "d"):
        await enqueue(database, clock, f"k:{address}", address)
    # A first process sent "a", then claimed b and c and died before recording their fate.
    async with database.transaction() as connection:
        outbox = OutboxRepository(connection)
        (first,) = await outbox.claim_due(clock.now(), 1)
        await outbox.mark_sent([(first.id, clock.now())])
        await outbox.claim_due(clock.now(), 2)

    dispatcher = make_dispatcher(database, clock, {"telegram": sender})
    await run_until(dispatcher, lambda: len(sender.sent) == 3)
    assert sorted(call.address for call in sender.sent) == ["b", "c", "d"]
    async with database.transaction() as connection:
        assert (await OutboxRepository(connection).counts())["sent"] == 4


async def test_retry_failed_gives_failed_messages_fresh_attempts(
    database: Database, clock: ManualClock, sender: FakeSender
) -> None:
    await enqueue(database, clock, "k", "a")
    sender.fail_for["a"] = lambda: TransientError("network down")
    dispatcher = make_dispatcher(database, clock, {"telegram": sender})
    await dispatcher.drain()
    assert (await row(database, "k")).status == "failed"

    del sender.fail_for["a"]
    async with database.transaction() as connection:
        assert await OutboxRepository(connection).retry_failed(clock.now()) == 1
    retried = await row(database, "k")
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert await dispatcher.drain() == Progress(sent=1, undeliverable=0, failed=0, remaining=0)


async def test_one_chat_gets_at_most_one_message_a_second_in_order(
    database: Database, clock: ManualClock, sender: FakeSender
) -> None:
    for n in range(1, 4):
        await enqueue(database, clock, f"a{n}", "a", f"tin {n}")
    await enqueue(database, clock, "b1", "b", "tin b")
    await make_dispatcher(database, clock, {"telegram": sender}).drain()
    to_a = sender.sent_to("a")
    assert [call.text for call in to_a] == ["tin 1", "tin 2", "tin 3"]
    assert all(later.at - earlier.at >= SECOND for earlier, later in zip(to_a, to_a[1:]))
    # The other chat is not held up behind the first one's pacing.
    assert sender.sent_to("b")[0].at < to_a[1].at


async def test_the_bot_stays_under_its_overall_rate(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    settings = NotifySettings(per_second=10)
    count = 30
    for n in range(count):
        await enqueue(database, clock, f"k{n}", f"chat{n}")
    progress_calls: list[tuple[int, int, int, int]] = []
    start = clock.now()
    await make_dispatcher(database, clock, {"telegram": sender}, settings).drain(
        on_progress=lambda *figures: progress_calls.append(figures)
    )

    times = sorted(call.at for call in sender.sent)
    assert len(times) == count
    assert clock.now() - start >= (count - 1) * timedelta(seconds=0.1)
    # No one-second window holds more than per_second sends.
    assert all(times[i + 10] - times[i] >= SECOND for i in range(count - 10))
    assert progress_calls[-1] == (count, 0, 0, 0)


async def test_counts_by_prefix_follow_one_publish(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    for key, address in [("answer:12:1", "a"), ("answer:12:2", "b"), ("answer:13:1", "c"), ("remind:12", "d")]:
        await enqueue(database, clock, key, address)
    sender.fail_for["b"] = lambda: Undeliverable("chat not found")
    async with database.transaction() as connection:
        before = await OutboxRepository(connection).counts("answer:12:")
    await make_dispatcher(database, clock, {"telegram": sender}).drain()
    async with database.transaction() as connection:
        outbox = OutboxRepository(connection)
        after, everything, wildcard = await outbox.counts("answer:12:"), await outbox.counts(), await outbox.counts("answer:1_")
    assert before == {"pending": 2, "sending": 0, "sent": 0, "failed": 0, "undeliverable": 0, "held": 0}
    assert after == {"pending": 0, "sending": 0, "sent": 1, "failed": 0, "undeliverable": 1, "held": 0}
    assert everything["sent"] == 3
    assert sum(wildcard.values()) == 0  # '_' is a character here, not a wildcard


async def test_a_channel_without_sender_stays_pending_and_is_reported_once(
    database: Database, clock: ManualClock, sender: FakeSender, caplog: pytest.LogCaptureFixture
) -> None:
    await enqueue(database, clock, "z", "a", channel="zalo")
    await enqueue(database, clock, "t", "a")
    dispatcher = make_dispatcher(database, clock, {"telegram": sender})
    assert await dispatcher.drain() == Progress(sent=1, undeliverable=0, failed=0, remaining=0)
    await dispatcher.drain()
    assert (await row(database, "z")).status == "pending"
    assert sum("zalo" in record.getMessage() for record in caplog.records) == 1


async def test_notify_wakes_the_running_dispatcher(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    # With a sleep that never ends, only notify() can make it look at the outbox again.
    dispatcher = make_dispatcher(database, clock, {"telegram": sender}, sleep=never)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.sleep(0.05)
    await enqueue(database, clock, "k", "a")
    dispatcher.notify()
    for _ in range(200):
        if sender.sent:
            break
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(sender.sent) == 1


async def test_stopping_gives_unstarted_messages_back(database: Database, clock: ManualClock, sender: FakeSender) -> None:
    for address in "abcd":
        await enqueue(database, clock, f"k:{address}", address)
    stop = asyncio.Event()
    sender.after_send = stop.set
    dispatcher = make_dispatcher(database, clock, {"telegram": sender}, concurrency=1)
    await asyncio.wait_for(dispatcher.run(stop), 2)
    assert len(sender.sent) == 1
    async with database.transaction() as connection:
        counts = await OutboxRepository(connection).counts()
    assert (counts["sent"], counts["pending"], counts["sending"]) == (1, 3, 0)
    assert (await row(database, "k:d")).attempts == 0


async def test_late_wake_ups_neither_slow_the_pace_nor_make_a_burst(clock: ManualClock) -> None:
    """Every sleep of the pacer wakes up late (2 ms, and 40 ms now and then, as a busy loop does):
    the sends keep the configured rate on average, and no two are ever closer than a gap
    minus EARLY, so no second holds more than the limit."""
    settings = NotifySettings(per_second=30)
    flat = iter(([0.002] * 49 + [0.040]) * 100)

    async def oversleeping(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds + next(flat)))

    pacer = Pacer(clock, settings, oversleeping)
    times = []
    for n in range(300):
        assert await pacer.acquire(f"chat{n}")
        times.append(clock.now())
    gap = timedelta(seconds=1 / (30 * PACING_MARGIN))
    span = (times[-1] - times[0]).total_seconds()
    assert 299 / span >= 30 * PACING_MARGIN * 0.98  # the small late wake-ups cost nothing
    assert all(times[i + 30] - times[i] >= SECOND for i in range(len(times) - 30))
    assert all(later - earlier >= gap - EARLY for earlier, later in zip(times, times[1:]))
