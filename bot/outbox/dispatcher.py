"""The outbox dispatcher: sends queued pushes, paced under the platform's limits, and survives
rate limits, network trouble, blocked users and crashes.

Producers write a row with `OutboxRepository.enqueue(key, channel, address, encode_body(reply), now)`
inside their own transaction, then call `OutboxDispatcher.notify()` so it is sent at once
rather than at the next poll.

Every wait is measured on the injected clock and spent in the injected `sleep`, so tests and
benchmarks drive time themselves. Logs carry message ids, channels and statuses only: the
address may be derived from a phone number and the body is a resident's business.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random as _random
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from bot.clock import Clock
from bot.config import NotifySettings
from bot.outbox.codec import decode_body
from bot.outbox.delivery import (
    Delivered,
    Held,
    RetryAfter,
    Sender,
    TransientError,
    Undeliverable,
)
from bot.outbox.pacing import Pacer, backoff_delay
from storage.db import Database
from storage.evidence import evidence_folder, read_file
from storage.heartbeats import HeartbeatRepository
from storage.outbox import OutboxMessage, OutboxRepository

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# How often the running outbox says it is alive (see storage/heartbeats.py); whoever reads
# the beat allows several of these to pass before calling it stopped.
BEAT_SECONDS = 5.0
CONCURRENCY = 8
# Sends in flight at once must cover the pace for a whole round trip to the platform (up to
# a quarter of a second from Vietnam to Telegram): at 1,000/s, 8 would allow 80.
ROUND_TRIP_ALLOWANCE = 0.25
# Sent rows are marked together: one transaction per push cost more than the push at
# Telegram's paid rate. A crash between a send and its mark sends that push again at the
# next start, so marks wait for at most this many rows or this long (and the batch's end).
MARK_EVERY = 32
MARK_WITHIN = timedelta(milliseconds=20)
T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """Messages handled by one `drain`, and how many are still pending on the channels it serves."""

    sent: int
    undeliverable: int
    failed: int
    remaining: int
    held: int = 0


class _Outcome(StrEnum):
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"
    HELD = "held"
    FAILED = "failed"
    RETRYING = "retrying"
    GIVEN_BACK = "given_back"


async def _first_of(*waits: Awaitable[object]) -> None:
    """Wait until one of `waits` finishes; the others are cancelled and awaited."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _describe(error: BaseException) -> str:
    """For the row's last_error (the row already holds the address, so the text may stay)."""
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class OutboxDispatcher:
    """Sends due outbox rows through the sender of their channel.

    One pacer per channel: each channel is a different bot account with its own limits, and
    a 429 from Telegram has no reason to hold up the console. Messages for a channel with no
    sender stay pending (and are reported once) until a process that has one runs.
    Run one dispatcher per database: `run` starts by taking back every in-flight row.
    """

    def __init__(
        self,
        database: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        settings: NotifySettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        concurrency: int | None = None,
    ) -> None:
        self._database = database
        self._senders = dict(senders)
        self._clock = clock
        self._settings = settings
        self._sleep = sleep
        self._random = random
        if concurrency is None:
            concurrency = max(CONCURRENCY, math.ceil(settings.per_second * ROUND_TRIP_ALLOWANCE))
        self._concurrency = max(1, concurrency)
        # About two seconds of sends per batch: big enough to keep the pace, small enough that a
        # crash leaves few rows in flight and a newly queued message waits little.
        self._batch_size = max(self._concurrency, math.ceil(2 * settings.per_second))
        self._pacers = {channel: Pacer(clock, settings, sleep) for channel in self._senders}
        self._wake = asyncio.Event()
        self._reported_channels: set[str] = set()
        self._last_beat: datetime | None = None
        self._sent: list[tuple[int, datetime]] = []
        # Told after a batch that held messages until a time (the schedule tries them then, and
        # tells staff now): the composition root gives the schedule's rebuild.
        self.on_held_until: list[Callable[[], object]] = []
        self._held_until = False
        # Told when the outbox has sent what it had and has nothing left to do: what waits for
        # sending to end (the staff's summary after publishing) need not wait for a poll.
        self.on_idle: list[Callable[[], Awaitable[object]]] = []

    def notify(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; a batch under way gives its unstarted messages back."""
        await self._recover()
        busy = False
        while not stop.is_set():
            await self._beat()
            # Cleared before claiming, so a notify() during the batch is not lost.
            self._wake.clear()
            if await self._round(stop):
                busy = True
                continue
            if busy:
                busy = False
                await self._went_idle()
            await _first_of(self._sleep(POLL_SECONDS), self._wake.wait(), stop.wait())

    async def _went_idle(self) -> None:
        for callback in self.on_idle:
            try:
                await callback()
            except Exception:
                # A listener's trouble is not the outbox's: sending goes on.
                log.exception("a listener of the idle outbox failed")

    async def _beat(self) -> None:
        """Only the running loop beats: `drain` (publish --send) is its own process's sender."""
        now = self._clock.now()
        if self._last_beat is not None and (now - self._last_beat).total_seconds() < BEAT_SECONDS:
            return
        async with self._database.transaction() as connection:
            await HeartbeatRepository(connection).beat(self._senders, now)
        self._last_beat = now

    async def drain(
        self,
        until_empty: bool = True,
        on_progress: Callable[[int, int, int, int], object] | None = None,
    ) -> Progress:
        """Send what is due now and return. With `until_empty`, also wait for retries and
        rate-limit pauses until no message of a served channel is pending (retries end, at
        the latest, after `max_attempts`). The `sleep` given must let the clock advance.

        `on_progress(sent, undeliverable, failed, remaining)` is called after every batch.
        """
        await self._report_unsendable()
        totals: Counter[_Outcome] = Counter()
        while True:
            batch = await self._send_batch()
            remaining = await self._with_outbox(lambda outbox: outbox.pending_count(self._senders))
            if batch is not None:
                totals.update(batch)
                if on_progress is not None:
                    on_progress(
                        totals[_Outcome.SENT], totals[_Outcome.UNDELIVERABLE], totals[_Outcome.FAILED], remaining
                    )
                continue
            wake = await self._next_wake() if until_empty and remaining else None
            if wake is None:
                return Progress(
                    sent=totals[_Outcome.SENT],
                    undeliverable=totals[_Outcome.UNDELIVERABLE],
                    failed=totals[_Outcome.FAILED],
                    remaining=remaining,
                    held=totals[_Outcome.HELD],
                )
            await self._sleep(max(0.0, (wake - self._clock.now()).total_seconds()))

    async def _round(self, stop: asyncio.Event) -> bool:
        """One batch; True when it claimed anything."""
        try:
            if await self._send_batch(stop) is not None:
                return True
            await self._report_unsendable()
        except Exception:
            # Senders' errors never get here: this is the database or a bug. Keep going.
            log.exception("outbox: a dispatch round failed; retrying at the next poll")
        return False

    async def _send_batch(self, stop: asyncio.Event | None = None) -> Counter[_Outcome] | None:
        """Claim one batch and send it; None when nothing was due.

        Once `stop` is set no further message is started: those in flight finish (a send cut
        off half-way might be sent again), the rest go back to pending.
        """
        now = self._clock.now()
        open_channels = [channel for channel, pacer in self._pacers.items() if not pacer.paused(now)]
        messages = await self._with_outbox(
            lambda outbox: outbox.claim_due(now, self._batch_size, channels=open_channels, one_per_address=True)
        )
        if not messages:
            return None
        outcomes: Counter[_Outcome] = Counter()
        queue = deque(messages)
        try:
            async with asyncio.TaskGroup() as workers:
                for _ in range(min(self._concurrency, len(queue))):
                    workers.create_task(self._work(queue, outcomes, stop))
        finally:
            await self._mark_sent()
            # Stopped, cancelled or broken before these were started: they were never sent.
            if queue:
                unsent = list(queue)
                queue.clear()
                await self._give_back(unsent, self._clock.now())
        await self._tell_held_until()
        return outcomes

    async def _tell_held_until(self) -> None:
        if not self._held_until:
            return
        self._held_until = False
        for callback in self.on_held_until:
            try:
                result = callback()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("outbox: telling the schedule of held messages failed")

    async def _work(self, queue: deque[OutboxMessage], outcomes: Counter[_Outcome], stop: asyncio.Event | None) -> None:
        while queue and (stop is None or not stop.is_set()):
            message = queue.popleft()
            outcomes[await self._deliver(message)] += 1

    async def _deliver(self, message: OutboxMessage) -> _Outcome:
        try:
            reply = decode_body(message.body)
        except ValueError:
            log.error("outbox %d: body unreadable, marked failed", message.id)
            await self._with_outbox(lambda outbox: outbox.mark_failed(message.id, "unreadable body"))
            return _Outcome.FAILED
        if reply.evidence is not None:
            # A file with an answer goes after it: while the answer (or a file before) waits for a
            # retry, so does the file. (Other pushes keep no such order: one failing must not hold up the rest.)
            earlier = await self._with_outbox(
                lambda outbox: outbox.earlier_pending(message.id, message.channel, message.address))
            if earlier is not None:
                await self._give_back([message], max(earlier, self._clock.now()))
                return _Outcome.GIVEN_BACK
            # Its bytes are read now, not kept in the row.
            folder, digest = evidence_folder(self._database.path), reply.evidence.digest
            content = await asyncio.to_thread(read_file, folder, digest) if folder is not None else None
            if content is None:
                log.error("outbox %d: its evidence file is missing from the evidence folder, marked failed", message.id)
                await self._with_outbox(lambda outbox: outbox.mark_failed(message.id, "evidence file missing"))
                return _Outcome.FAILED
            reply = replace(reply, evidence_content=content)
        pacer = self._pacers[message.channel]
        try:
            turn = await pacer.acquire(message.address)
        except asyncio.CancelledError:
            await self._give_back([message], self._clock.now())
            raise
        if not turn:
            await self._give_back([message], pacer.paused_until or self._clock.now())
            return _Outcome.GIVEN_BACK
        try:
            delivered = await self._senders[message.channel].send(message.address, reply)
        except RetryAfter as error:
            return await self._rate_limited(message, pacer, error)
        except Undeliverable as error:
            return await self._undeliverable(message, error)
        except Held as error:
            reason, route, until = _describe(error), error.route, error.until
            await self._with_outbox(lambda outbox: outbox.mark_held(message.id, reason, until))
            if route is not None:
                await self._with_outbox(lambda outbox: outbox.record_route(message.id, route, self._clock.now()))
            self._held_until = self._held_until or until is not None
            log.info("outbox %d held until its resident writes again", message.id)
            return _Outcome.HELD
        except Exception as error:  # noqa: BLE001 - any other failure of a sender is worth a retry
            return await self._failed_attempt(message, error)
        if isinstance(delivered, Delivered):
            await self._record_route(message.id, delivered)
        now = self._clock.now()
        self._sent.append((message.id, now))
        if len(self._sent) >= MARK_EVERY or now - self._sent[0][1] >= MARK_WITHIN:
            await self._mark_sent()
        return _Outcome.SENT

    async def _record_route(self, message_id: int, delivered: Delivered) -> None:
        # Its own statement: only senders that choose a route (Zalo, paced far below
        # Telegram's rate) return one, so the batched marks of Telegram's pushes stay as they are.
        await self._with_outbox(lambda outbox: outbox.record_route(
            message_id, delivered.route, self._clock.now(), delivered.quota_type, delivered.quota_left))

    async def _mark_sent(self) -> None:
        # Taken before the await, so that two workers never mark the same rows.
        sent, self._sent = self._sent, []
        if sent:
            await self._with_outbox(lambda outbox: outbox.mark_sent(sent))

    async def _rate_limited(self, message: OutboxMessage, pacer: Pacer, error: RetryAfter) -> _Outcome:
        pacer.pause(error.seconds)
        log.warning("outbox %d: %s rate limit, every send on it waits %g s", message.id, message.channel, error.seconds)
        await self._give_back([message], pacer.paused_until or self._clock.now())
        return _Outcome.GIVEN_BACK

    async def _undeliverable(self, message: OutboxMessage, error: Undeliverable) -> _Outcome:
        await self._with_outbox(lambda outbox: outbox.mark_undeliverable(message.id, _describe(error)))
        log.info("outbox %d undeliverable", message.id)
        return _Outcome.UNDELIVERABLE

    async def _failed_attempt(self, message: OutboxMessage, error: Exception) -> _Outcome:
        if not isinstance(error, TransientError):
            # The type only: an exception's text may quote the address or the message.
            log.warning("outbox %d: unexpected %s from the %s sender, retried as transient",
                        message.id, type(error).__name__, message.channel)
        reason = _describe(error)
        if message.attempts >= self._settings.max_attempts:
            await self._with_outbox(lambda outbox: outbox.mark_failed(message.id, reason))
            log.warning("outbox %d failed after %d attempts", message.id, message.attempts)
            return _Outcome.FAILED
        delay = backoff_delay(message.attempts, self._random)
        next_at = self._clock.now() + delay
        await self._with_outbox(lambda outbox: outbox.reschedule(message.id, next_at, reason))
        log.info("outbox %d: attempt %d failed (%s), next in %.1f s",
                 message.id, message.attempts, type(error).__name__, delay.total_seconds())
        return _Outcome.RETRYING

    async def _give_back(self, messages: list[OutboxMessage], next_at: datetime) -> None:
        async def release_all(outbox: OutboxRepository) -> None:
            for message in messages:
                await outbox.release(message.id, next_at)

        await self._with_outbox(release_all)

    async def _recover(self) -> None:
        recovered = await self._with_outbox(lambda outbox: outbox.recover_in_flight())
        if recovered:
            log.warning("outbox: %d message(s) were in flight when the last run stopped; sending them again", recovered)

    async def _next_wake(self) -> datetime | None:
        """When something pending on a served channel can next be sent (due, and not paused)."""

        async def earliest(outbox: OutboxRepository) -> datetime | None:
            times: list[datetime] = []
            for channel, pacer in self._pacers.items():
                due = await outbox.next_due_at([channel])
                if due is not None:
                    times.append(max(due, pacer.paused_until) if pacer.paused_until is not None else due)
            return min(times, default=None)

        return await self._with_outbox(earliest)

    async def _report_unsendable(self) -> None:
        pending = await self._with_outbox(lambda outbox: outbox.pending_channels())
        for channel, count in pending.items():
            if channel not in self._senders and channel not in self._reported_channels:
                self._reported_channels.add(channel)
                log.warning("outbox: %d message(s) for channel %r wait: this process has no sender for it",
                            count, channel)

    async def _with_outbox(self, action: Callable[[OutboxRepository], Awaitable[T]]) -> T:
        # Reads too go through a transaction: the Database's lock is what keeps them out of
        # another coroutine's half-done transaction on the shared connection.
        async with self._database.transaction() as connection:
            return await action(OutboxRepository(connection))
