"""The SQLite connection: pragmas, numbered migrations, and serialised transactions."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

MIGRATIONS_PACKAGE = "storage.migrations"


class Database:
    """One connection shared by the process.

    aiosqlite runs every statement on one worker thread, so two coroutines writing at once
    would interleave inside one SQLite transaction; the lock makes each `transaction()`
    whole. Reads outside a transaction see only committed data.
    """

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Database:
        target = str(path)
        if target != ":memory:":
            _create_private(Path(target))
        connection = await aiosqlite.connect(target, isolation_level=None)
        connection.row_factory = sqlite3.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.execute("PRAGMA synchronous=NORMAL")
        # What /delete erases must not linger in a page's free space, whatever the page layout: zeroed.
        await connection.execute("PRAGMA secure_delete=ON")
        database = cls(connection, target)
        await database.migrate()
        return database

    async def close(self) -> None:
        await self._connection.close()

    async def migrate(self) -> int:
        """Apply every numbered migration newer than `PRAGMA user_version`; returns the version."""
        async with self._lock:
            row = await (await self._connection.execute("PRAGMA user_version")).fetchone()
            current = int(row[0])
            for number, script in _migrations():
                if number <= current:
                    continue
                # executescript commits on its own; the version bump is inside the script
                # so a crash between the two cannot leave a half-applied migration marked done.
                await self._connection.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
                )
                current = number
            return current

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            else:
                await self._connection.execute("COMMIT")

    async def fold_log(self) -> None:
        """Fold the write-ahead log into the file and empty it. With secure_delete on, what a
        committed transaction erased is then gone from the disk, not only from the tables:
        until this, the log still holds the rows as they were."""
        async with self._lock:
            await self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def backup(self, target: Path) -> None:
        """A consistent copy while the bot keeps running: SQLite's online backup API."""
        if target.exists():
            raise FileExistsError(f"{target} exists: choose a new file name")
        _create_private(target)
        copy = sqlite3.connect(target)
        try:
            async with self._lock:
                await self._connection.backup(copy)
        finally:
            copy.close()

    async def fetch_all(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            cursor = await self._connection.execute(sql, params)
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        async with self._lock:
            cursor = await self._connection.execute(sql, params)
            return await cursor.fetchone()


def restore(backup: Path, target: Path) -> None:
    """Put a backup in place of the database (the bot must be stopped); the old file is kept aside."""
    check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValueError(f"{backup} is damaged: it fails SQLite's integrity check")
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{backup} is not a SQLite database: {error}") from None
    finally:
        check.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if target.exists():
        target.replace(target.with_name(target.name + ".before-restore"))
    _create_private(target)
    source = sqlite3.connect(backup)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


def _create_private(path: Path) -> None:
    # Residents' names and phone numbers live here: the file is readable by its owner only.
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _migrations() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)
