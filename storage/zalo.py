"""The Zalo channel's own records: the token pair, each user's last interaction, the webhook inbox."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.times import parse_time, store_time


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    # None when not known: a pair typed into the environment by the operator.
    access_expires_at: datetime | None
    seed_hash: str
    refresh_spent: bool = False
    # Raised by every save: what a refresh's compare-and-swap claims (migration 0012).
    version: int = 0
    # When the row last changed: for a claimed refresh token, when the refresh began.
    updated_at: datetime | None = None


class ZaloTokenRepository:
    """One row: the current pair. Saving replaces it whole, in the caller's transaction."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def get(self) -> TokenPair | None:
        cursor = await self._db.execute("SELECT * FROM zalo_tokens WHERE id = 1")
        row = await cursor.fetchone()
        return None if row is None else _pair(row)

    async def save(self, pair: TokenPair, now: datetime) -> None:
        expires = None if pair.access_expires_at is None else store_time(pair.access_expires_at)
        await self._db.execute(
            "INSERT INTO zalo_tokens (id, access_token, refresh_token, access_expires_at, refresh_spent, seed_hash, "
            "updated_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
            "access_expires_at = excluded.access_expires_at, refresh_spent = excluded.refresh_spent, "
            "seed_hash = excluded.seed_hash, updated_at = excluded.updated_at, version = zalo_tokens.version + 1",
            (pair.access_token, pair.refresh_token, expires, int(pair.refresh_spent), pair.seed_hash, store_time(now)),
        )

    async def mark_spent(self, pair: TokenPair, now: datetime) -> bool:
        """Claim `pair`'s refresh token for one use: False if the stored pair is no longer that
        version (another process saved a new one) or its refresh token is already claimed."""
        cursor = await self._db.execute(
            "UPDATE zalo_tokens SET refresh_spent = 1, updated_at = ? "
            "WHERE id = 1 AND version = ? AND refresh_token = ? AND refresh_spent = 0",
            (store_time(now), pair.version, pair.refresh_token),
        )
        return cursor.rowcount == 1

    async def unspend(self, refresh_token: str) -> None:
        """The request carrying it never left this machine (connection refused): it is still unused."""
        await self._db.execute(
            "UPDATE zalo_tokens SET refresh_spent = 0 WHERE id = 1 AND refresh_token = ?", (refresh_token,)
        )


def _pair(row: sqlite3.Row) -> TokenPair:
    return TokenPair(
        access_token=row["access_token"],
        refresh_token=row["refresh_token"],
        access_expires_at=parse_time(row["access_expires_at"]),
        seed_hash=row["seed_hash"],
        refresh_spent=bool(row["refresh_spent"]),
        version=int(row["version"]),
        updated_at=parse_time(row["updated_at"]),
    )


class TemplateDayRepository:
    """Template messages counted against a daily cap, per unit and local day, across processes."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def reserve(self, unit_id: str, day: str, cap: int) -> bool:
        """Count one more for `day` if fewer than `cap` are counted; False (nothing counted) if not.
        One statement inside the caller's BEGIN IMMEDIATE: no other process counts in between."""
        if cap <= 0:
            return False
        cursor = await self._db.execute(
            "INSERT INTO zalo_template_days (unit_id, day, used) VALUES (?, ?, 1) "
            "ON CONFLICT (unit_id, day) DO UPDATE SET used = used + 1 WHERE used < ?",
            (unit_id, day, cap),
        )
        return cursor.rowcount == 1

    async def unreserve(self, unit_id: str, day: str) -> None:
        """A counted message that Zalo refused: it was not sent, so it does not count."""
        await self._db.execute(
            "UPDATE zalo_template_days SET used = MAX(used - 1, 0) WHERE unit_id = ? AND day = ?", (unit_id, day)
        )

    async def used(self, unit_id: str, day: str) -> int:
        cursor = await self._db.execute(
            "SELECT used FROM zalo_template_days WHERE unit_id = ? AND day = ?", (unit_id, day)
        )
        row = await cursor.fetchone()
        return 0 if row is None else int(row[0])


class ZaloUserRepository:
    """When each Zalo user last wrote: Zalo reaches them only inside a window after that."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def touch(self, user_id: str, now: datetime) -> bool:
        """Record an interaction; True when this is the user's first one."""
        cursor = await self._db.execute("SELECT 1 FROM zalo_users WHERE user_id = ?", (user_id,))
        first = await cursor.fetchone() is None
        stamp = store_time(now)
        await self._db.execute(
            "INSERT INTO zalo_users (user_id, first_seen_at, last_interaction_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET last_interaction_at = "
            "MAX(zalo_users.last_interaction_at, excluded.last_interaction_at)",
            (user_id, stamp, stamp),
        )
        return first

    async def last_interaction(self, user_id: str) -> datetime | None:
        cursor = await self._db.execute("SELECT last_interaction_at FROM zalo_users WHERE user_id = ?", (user_id,))
        row = await cursor.fetchone()
        return None if row is None else parse_time(row[0])

    async def notice_phone(self, user_id: str, purpose: str) -> str | None:
        """The verified number (+84…) a Zalo resident last shared on a concern, if their latest
        answer for `purpose` is yes. /delete erases the numbers, so none is found after it."""
        cursor = await self._db.execute(
            "SELECT c.contact_phone FROM residents r JOIN concerns c ON c.author_id = r.id "
            "WHERE r.channel = 'zalo' AND r.channel_user_id = ? AND c.contact_phone IS NOT NULL "
            "AND c.phone_verified = 1 AND c.proxy = 0 AND (SELECT given FROM consents k WHERE k.resident_id = r.id "
            "AND k.purpose = ? ORDER BY k.id DESC LIMIT 1) = 1 ORDER BY c.id DESC LIMIT 1",
            (user_id, purpose),
        )
        row = await cursor.fetchone()
        return None if row is None else str(row[0])


@dataclass(frozen=True)
class StoredEvent:
    id: int
    user_id: str
    body: str


class ZaloEventRepository:
    """The webhook's inbox: written before Zalo is answered, handled after."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add(self, event_key: str, user_id: str, body: str, now: datetime) -> StoredEvent | None:
        """Store a new event; None when its key was seen before (a delivery made twice)."""
        cursor = await self._db.execute(
            "INSERT INTO zalo_events (event_key, user_id, body, received_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (event_key) DO NOTHING RETURNING id",
            (event_key, user_id, body, store_time(now)),
        )
        row = await cursor.fetchone()
        return None if row is None else StoredEvent(int(row[0]), user_id, body)

    async def unhandled(self) -> list[StoredEvent]:
        cursor = await self._db.execute(
            "SELECT id, user_id, body FROM zalo_events WHERE handled_at IS NULL ORDER BY id"
        )
        return [StoredEvent(int(row[0]), str(row[1]), str(row[2])) for row in await cursor.fetchall()]

    async def mark_handled(self, event_id: int, now: datetime) -> None:
        # The body (a resident's words) is not kept once the dialogue has it; the key stays for dedupe.
        await self._db.execute(
            "UPDATE zalo_events SET handled_at = ?, body = '' WHERE id = ?", (store_time(now), event_id)
        )

    async def prune(self, before: datetime) -> int:
        """Forget handled events received before `before`."""
        cursor = await self._db.execute(
            "DELETE FROM zalo_events WHERE handled_at IS NOT NULL AND received_at < ?", (store_time(before),)
        )
        return cursor.rowcount
