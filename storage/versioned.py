"""Optimistic locking shared by every record staff edit: write only if nobody wrote since it was read."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import aiosqlite

from storage.times import store_time


async def update_if_unchanged(
    connection: aiosqlite.Connection,
    table: str,
    editable: Collection[str],
    record_id: int,
    seen_version: int,
    changes: dict[str, object],
) -> bool:
    """True if written; False if the row's version moved on since `seen_version`.

    Table and column names never come from input: `table` is a constant of the caller and
    every column must be in its `editable` list.
    """
    unknown = set(changes) - set(editable)
    if unknown:
        raise ValueError(f"not editable in {table}: {sorted(unknown)}")
    values = [store_time(v) if isinstance(v, datetime) else v for v in changes.values()]
    assignments = ", ".join(f"{column} = ?" for column in changes)
    cursor = await connection.execute(
        f"UPDATE {table} SET {assignments}, version = version + 1 WHERE id = ? AND version = ?",
        (*values, record_id, seen_version),
    )
    return cursor.rowcount == 1
