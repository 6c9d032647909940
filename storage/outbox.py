"""The outbox: every push that is not a direct reply, one row per message, keyed for idempotence.

A row moves pending -> sending -> sent | pending (retry) | failed | undeliverable | held.
'held' is a push the platform will deliver only after the resident writes again (Zalo's
window): `release_held` makes it pending when they do. 'sending'
only ever means "claimed by a dispatcher that may have crashed": `recover_in_flight` turns
those back into pending, so after a crash at most the messages that were in flight are sent
again, and everything else exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.times import parse_time, store_time

STATUSES = ("pending", "sending", "sent", "failed", "undeliverable", "held")

# A sender's error text can be long (a whole HTTP body); the row only needs the gist.
_ERROR_CHARS = 500


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    dedupe_key: str
    channel: str
    address: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    # How it went out (see migration 0009); None until a sender that has a choice says.
    route: str | None = None
    quota_type: str | None = None
    template_quota_left: int | None = None


def _message(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        dedupe_key=row["dedupe_key"],
        channel=row["channel"],
        address=row["address"],
        body=row["body"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=parse_time(row["next_attempt_at"]),  # type: ignore[arg-type]
        last_error=row["last_error"],
        created_at=parse_time(row["created_at"]),  # type: ignore[arg-type]
        sent_at=parse_time(row["sent_at"]),
        route=row["route"],
        quota_type=row["quota_type"],
        template_quota_left=row["template_quota_left"],
    )


def _error(text: str) -> str:
    return text[:_ERROR_CHARS]


def _channel_filter(channels: Collection[str] | None) -> tuple[str, tuple[str, ...]]:
    if channels is None:
        return "", ()
    names = tuple(sorted(channels))
    return f" AND channel IN ({', '.join('?' for _ in names)})", names


class OutboxRepository:
    """Times are compared as stored strings: `store_time` writes UTC ISO 8601 whose
    lexicographic order is chronological (with or without microseconds, since '+' < '.')."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def enqueue(self, dedupe_key: str, channel: str, address: str, body: str, now: datetime) -> bool:
        """Queue a message; False when the key was queued before (it is then left untouched)."""
        stamp = store_time(now)
        cursor = await self._db.execute(
            "INSERT INTO outbox (dedupe_key, channel, address, body, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (dedupe_key, channel, address, body, stamp, stamp),
        )
        return cursor.rowcount == 1

    async def enqueue_held(self, dedupe_key: str, channel: str, address: str, body: str, now: datetime, reason: str) -> bool:
        """Queue a message already held: it goes when its resident next writes (`release_held`)."""
        stamp = store_time(now)
        cursor = await self._db.execute(
            "INSERT INTO outbox (dedupe_key, channel, address, body, status, next_attempt_at, last_error, created_at) "
            "VALUES (?, ?, ?, ?, 'held', ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (dedupe_key, channel, address, body, stamp, _error(reason), stamp),
        )
        return cursor.rowcount == 1

    async def find(self, dedupe_key: str) -> OutboxMessage | None:
        cursor = await self._db.execute("SELECT * FROM outbox WHERE dedupe_key = ?", (dedupe_key,))
        row = await cursor.fetchone()
        return None if row is None else _message(row)

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        *,
        channels: Collection[str] | None = None,
        one_per_address: bool = False,
    ) -> list[OutboxMessage]:
        """Take due pending messages, oldest (first enqueued) first, and mark them 'sending'.

        The attempt is counted here, in the same statement, so that a crash during the send
        still counts it. `channels` limits the claim to channels someone can send on;
        `one_per_address` takes only the oldest due message of each address, so that one
        batch never holds two messages for one chat (they would race and could arrive out
        of order).
        """
        if limit <= 0 or (channels is not None and not channels):
            return []
        where, names = _channel_filter(channels)
        chosen = (
            f"SELECT MIN(id) FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?{where} "
            "GROUP BY channel, address ORDER BY MIN(id) LIMIT ?"
            if one_per_address
            else f"SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?{where} ORDER BY id LIMIT ?"
        )
        cursor = await self._db.execute(
            f"UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN ({chosen}) RETURNING *",
            (store_time(now), *names, limit),
        )
        rows = await cursor.fetchall()
        # RETURNING gives no order guarantee.
        return sorted((_message(row) for row in rows), key=lambda message: message.id)

    async def mark_sent(self, sent: Sequence[tuple[int, datetime]]) -> None:
        """Mark (message id, when it was sent) pairs sent: a publish's marks in few statements."""
        await self._db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'sending'",
            [(store_time(at), message_id) for message_id, at in sent],
        )

    async def reschedule(self, message_id: int, next_at: datetime, error: str) -> None:
        """A failed attempt that may succeed later: pending again from `next_at`."""
        await self._db.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ? "
            "WHERE id = ? AND status = 'sending'",
            (store_time(next_at), _error(error), message_id),
        )

    async def release(self, message_id: int, next_at: datetime) -> None:
        """Give a claimed message back unsent, its attempt not counted (rate limited, shutting down)."""
        await self._db.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = MAX(attempts - 1, 0) "
            "WHERE id = ? AND status = 'sending'",
            (store_time(next_at), message_id),
        )

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND status = 'sending'",
            (_error(error), message_id),
        )

    async def mark_undeliverable(self, message_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'undeliverable', last_error = ? WHERE id = ? AND status = 'sending'",
            (_error(error), message_id),
        )

    async def mark_held(self, message_id: int, error: str, until: datetime | None = None) -> None:
        """The platform cannot reach this resident until they write again: no blind retries.
        With `until`, it is also tried again from then on (`release_held_due`)."""
        await self._db.execute(
            "UPDATE outbox SET status = 'held', last_error = ?, held_until = ? WHERE id = ? AND status = 'sending'",
            (_error(error), None if until is None else store_time(until), message_id),
        )

    async def held_until(self) -> tuple[datetime | None, int]:
        """The earliest time a held message is to be tried again, and how many wait for a time."""
        cursor = await self._db.execute(
            "SELECT MIN(held_until), COUNT(*) FROM outbox WHERE status = 'held' AND held_until IS NOT NULL"
        )
        row = await cursor.fetchone()
        return (None, 0) if row is None or row[0] is None else (parse_time(row[0]), int(row[1]))

    async def release_held_due(self, now: datetime) -> int:
        """Held messages whose time to try again has come are due now, with a fresh set of attempts."""
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, held_until = NULL "
            "WHERE status = 'held' AND held_until IS NOT NULL AND held_until <= ?",
            (store_time(now), store_time(now)),
        )
        return cursor.rowcount

    async def record_route(
        self, message_id: int, route: str, at: datetime, quota_type: str | None = None, quota_left: int | None = None
    ) -> None:
        """How a message went out (or why it waits), as its channel's sender decided at the send."""
        await self._db.execute(
            "UPDATE outbox SET route = ?, routed_at = ?, quota_type = ?, template_quota_left = ? WHERE id = ?",
            (route, store_time(at), quota_type, quota_left, message_id),
        )

    async def release_held(self, channel: str, address: str, now: datetime) -> int:
        """The resident wrote again: their held messages are due now, with a fresh set of attempts."""
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, held_until = NULL "
            "WHERE channel = ? AND address = ? AND status = 'held'",
            (store_time(now), channel, address),
        )
        return cursor.rowcount

    async def recover_in_flight(self) -> int:
        """Rows a crashed dispatcher left 'sending' become pending; returns how many.

        Only for a dispatcher starting up: another process's in-flight rows would be sent twice.
        """
        cursor = await self._db.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
        return cursor.rowcount

    async def retry_failed(self, now: datetime) -> int:
        """Staff's "retry": failed messages get a fresh set of attempts, due at once."""
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'failed'",
            (store_time(now),),
        )
        return cursor.rowcount

    async def counts(self, prefix: str | None = None) -> dict[str, int]:
        """Messages per status (every status present, zeros included), optionally only the
        dedupe keys starting with `prefix`, e.g. "answer:12:" for one publish."""
        if prefix is None:
            cursor = await self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        else:
            # substr rather than LIKE: keys may contain '%' or '_', and LIKE ignores case.
            cursor = await self._db.execute(
                "SELECT status, COUNT(*) FROM outbox WHERE substr(dedupe_key, 1, length(?)) = ? GROUP BY status",
                (prefix, prefix),
            )
        found = {status: 0 for status in STATUSES}
        for status, count in await cursor.fetchall():
            found[status] = count
        return found

    async def sent_routes(self, prefix: str) -> dict[str, int]:
        """Sent messages per route (the way their channel's sender took), for the dedupe keys
        starting with `prefix`; messages without a route (one-way channels) are not counted."""
        cursor = await self._db.execute(
            "SELECT route, COUNT(*) FROM outbox WHERE substr(dedupe_key, 1, length(?)) = ? AND status = 'sent' "
            "AND route IS NOT NULL GROUP BY route",
            (prefix, prefix),
        )
        return {str(route): int(count) for route, count in await cursor.fetchall()}

    async def pending_count(self, channels: Collection[str] | None = None) -> int:
        where, names = _channel_filter(channels)
        cursor = await self._db.execute(f"SELECT COUNT(*) FROM outbox WHERE status = 'pending'{where}", names)
        row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def next_due_at(self, channels: Collection[str] | None = None) -> datetime | None:
        """When the earliest pending message becomes due (possibly already past)."""
        where, names = _channel_filter(channels)
        cursor = await self._db.execute(
            f"SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'{where}", names
        )
        row = await cursor.fetchone()
        return None if row is None else parse_time(row[0])

    async def pending_channels(self) -> dict[str, int]:
        """Pending messages per channel, to notice a channel nobody sends on."""
        cursor = await self._db.execute(
            "SELECT channel, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY channel"
        )
        return {str(channel): int(count) for channel, count in await cursor.fetchall()}

    async def earlier_pending(self, message_id: int, channel: str, address: str) -> datetime | None:
        """When the next of this chat's messages queued before `message_id` and still pending is due:
        a file sent with an answer waits for the answer (and the files before it) to go first."""
        cursor = await self._db.execute(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND channel = ? AND address = ? AND id < ?",
            (channel, address, message_id),
        )
        row = await cursor.fetchone()
        return None if row is None else parse_time(row[0])
