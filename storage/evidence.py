"""Evidence attached to answers: the rows linking files to a concern's answer, and the files.

The files live in `evidence/` beside the database, readable by the bot's user only, each named
by the SHA-256 of its content: writing one twice is writing it once, and a name never comes
from outside. They are served only to a staff session (the console) and read by the outbox.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.domain.evidence import AnswerStage, EvidenceFile, EvidenceKind
from storage.times import store_time

FOLDER = "evidence"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def evidence_folder(database_path: str) -> Path | None:
    """Where a database's evidence files are; None for a database in memory (nowhere to keep them)."""
    return None if database_path == ":memory:" else Path(database_path).parent / FOLDER


def _path(folder: Path, digest: str) -> Path:
    if not _DIGEST.match(digest):
        raise ValueError("not an evidence digest")
    return folder / digest


def keep_file(folder: Path, digest: str, content: bytes) -> None:
    """Write a file under its digest (once: the same digest is the same content)."""
    path = _path(folder, digest)
    if path.exists():
        return
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = folder / f".{digest}.partial"
    descriptor = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)  # whole or not at all: a crash never leaves half a file under its name


def read_file(folder: Path, digest: str) -> bytes | None:
    try:
        return _path(folder, digest).read_bytes()
    except (FileNotFoundError, ValueError):
        return None


def _file(row: sqlite3.Row) -> EvidenceFile:
    return EvidenceFile(EvidenceKind(row["kind"]), row["filename"], row["content_type"], row["digest"], row["size"])


class EvidenceRepository:
    """Which files go with which concern's answer. A concern named by its id is one the caller
    found through its unit's ConcernRepository."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def replace(
        self, concern_id: int, stage: AnswerStage, files: Sequence[EvidenceFile], added_by: str, now: datetime,
    ) -> None:
        """The files of one answer, in order, in place of those it had."""
        await self._db.execute("DELETE FROM answer_evidence WHERE concern_id = ? AND stage = ?", (concern_id, stage))
        await self._db.executemany(
            "INSERT INTO answer_evidence (concern_id, stage, position, kind, filename, content_type, digest, size, "
            "added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(concern_id, stage, position, f.kind, f.filename, f.content_type, f.digest, f.size, store_time(now),
              added_by) for position, f in enumerate(files, start=1)],
        )

    async def of(self, concern_id: int, stage: AnswerStage | None = None) -> list[tuple[AnswerStage, EvidenceFile]]:
        """A concern's files, the answer's first, each in the order staff gave them."""
        sql = "SELECT * FROM answer_evidence WHERE concern_id = ?"
        params: tuple[object, ...] = (concern_id,)
        if stage is not None:
            sql += " AND stage = ?"
            params += (stage,)
        cursor = await self._db.execute(sql + " ORDER BY stage = 'final', position", params)
        return [(AnswerStage(row["stage"]), _file(row)) for row in await cursor.fetchall()]

    async def counts(self, concern_ids: Sequence[int]) -> dict[int, int]:
        """How many files each of these concerns' answers carry (for lists)."""
        if not concern_ids:
            return {}
        marks = ", ".join("?" for _ in concern_ids)
        cursor = await self._db.execute(
            f"SELECT concern_id, COUNT(*) FROM answer_evidence WHERE concern_id IN ({marks}) GROUP BY concern_id",
            tuple(concern_ids),
        )
        return {int(row[0]): int(row[1]) for row in await cursor.fetchall()}
