"""The console's login links and sessions, kept only as hashes of their secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.identity import Identity
from storage.times import parse_time, store_time


@dataclass(frozen=True)
class LoginLink:
    identity: Identity
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class WebSession:
    identity: Identity
    csrf_token: str
    started_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None


class WebLoginRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add_link(self, secret_hash: str, identity: Identity, now: datetime, expires_at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO web_login_links (secret_hash, channel, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (secret_hash, identity.channel, identity.user_id, store_time(now), store_time(expires_at)),
        )

    async def link(self, secret_hash: str) -> LoginLink | None:
        cursor = await self._db.execute("SELECT * FROM web_login_links WHERE secret_hash = ?", (secret_hash,))
        row = await cursor.fetchone()
        if row is None:
            return None
        return LoginLink(
            Identity(row["channel"], row["user_id"]), _time(row["created_at"]), _time(row["expires_at"]),
            parse_time(row["used_at"]),
        )

    async def use_link(self, secret_hash: str, now: datetime) -> bool:
        """Marks the link used; False when it already was (two tabs opening it at once)."""
        cursor = await self._db.execute(
            "UPDATE web_login_links SET used_at = ? WHERE secret_hash = ? AND used_at IS NULL",
            (store_time(now), secret_hash),
        )
        return cursor.rowcount == 1

    async def add_session(self, secret_hash: str, identity: Identity, csrf_token: str, now: datetime) -> None:
        stamp = store_time(now)
        await self._db.execute(
            "INSERT INTO web_sessions (secret_hash, channel, user_id, csrf_token, started_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (secret_hash, identity.channel, identity.user_id, csrf_token, stamp, stamp),
        )

    async def session(self, secret_hash: str) -> WebSession | None:
        cursor = await self._db.execute("SELECT * FROM web_sessions WHERE secret_hash = ?", (secret_hash,))
        row = await cursor.fetchone()
        if row is None:
            return None
        return WebSession(
            Identity(row["channel"], row["user_id"]), row["csrf_token"], _time(row["started_at"]),
            _time(row["last_seen_at"]), parse_time(row["ended_at"]),
        )

    async def touch(self, secret_hash: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE web_sessions SET last_seen_at = ? WHERE secret_hash = ?", (store_time(now), secret_hash)
        )

    async def end(self, secret_hash: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE web_sessions SET ended_at = ? WHERE secret_hash = ? AND ended_at IS NULL",
            (store_time(now), secret_hash),
        )

    async def forget_before(self, moment: datetime) -> None:
        """Links and sessions over before `moment` are of no more use to anyone."""
        stamp = store_time(moment)
        await self._db.execute("DELETE FROM web_login_links WHERE expires_at < ?", (stamp,))
        await self._db.execute("DELETE FROM web_sessions WHERE last_seen_at < ?", (stamp,))


def _time(value: str) -> datetime:
    parsed = parse_time(value)
    assert parsed is not None  # NOT NULL columns
    return parsed
