"""Evidence with answers: files staff attach to an answer (or to an agency's final answer),
checked whole before anything is recorded, stored by their content's hash, shown in the
console, and pushed to every follower after the answer's text, one outbox row per file.

Each file's row has its own dedupe key after the answer's (`…:file1`, `…:file2`), so publishing
twice or a restart sends each file once, and the answer's progress counts the files too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.clock import Clock
from bot.config import Settings
from bot.domain.evidence import (
    MAX_DOCUMENT_BYTES, MAX_FILES, MAX_PHOTO_BYTES, MAX_PHOTO_BYTES_ZALO, AnswerStage, EvidenceFile, EvidenceKind,
    clean_filename, digest_of, sniff,
)
from bot.domain.messages import Document, Reply
from bot.domain.refusal import Refusal
from bot.outbox.codec import encode_body
from bot.services.after_meeting import AnswerError
from bot.services.lookup import find_by_typed_code
from bot.services.unit import UnitService
from bot.text import Catalog
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.evidence import EvidenceRepository, evidence_folder, keep_file, read_file
from storage.outbox import OutboxRepository
from storage.residents import ResidentRepository

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Prepared:
    """A file that passed the checks, with its bytes, ready to be kept."""

    file: EvidenceFile
    content: bytes


def photo_limit(settings: Settings) -> int:
    """Zalo takes an OA's photos up to 1 MB: with Zalo on, no photo may be larger."""
    return MAX_PHOTO_BYTES_ZALO if settings.zalo.enabled else MAX_PHOTO_BYTES


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".rstrip("0").rstrip(".")


def evidence_problems(uploads: Sequence[Document], largest_photo: int) -> list[Refusal]:
    """What is wrong with the files given with an answer (nothing is kept while anything is)."""
    if len(uploads) > MAX_FILES:
        return [Refusal("refusal.evidence_too_many", max=MAX_FILES, count=len(uploads))]
    found = []
    for upload in uploads:
        name = upload.filename or "?"
        if not upload.content:
            found.append(Refusal("refusal.evidence_empty", name=name))
            continue
        sniffed = sniff(upload.content)
        if sniffed is None:
            found.append(Refusal("refusal.evidence_type", name=name))
            continue
        limit = largest_photo if sniffed[0] == EvidenceKind.PHOTO else MAX_DOCUMENT_BYTES
        if len(upload.content) > limit:
            found.append(Refusal("refusal.evidence_too_big", name=name, size=_megabytes(len(upload.content)),
                                 max=_megabytes(limit)))
    return found


def prepare(uploads: Sequence[Document]) -> list[Prepared]:
    """The files as they will be kept (after `evidence_problems` found nothing)."""
    prepared = []
    for upload in uploads:
        sniffed = sniff(upload.content)
        assert sniffed is not None
        kind, content_type = sniffed
        file = EvidenceFile(kind, clean_filename(upload.filename, content_type), content_type,
                            digest_of(upload.content), len(upload.content))
        prepared.append(Prepared(file, upload.content))
    return prepared


async def attach(
    connection: aiosqlite.Connection, folder: Path | None, concern_id: int, stage: AnswerStage,
    files: Sequence[Prepared], actor: str, now: datetime,
) -> None:
    """The files of one answer, in place of those it had; each file is written before its row."""
    if not files:
        return
    if folder is None:
        raise AnswerError("refusal.evidence_unavailable")
    for prepared in files:
        keep_file(folder, prepared.file.digest, prepared.content)
    await EvidenceRepository(connection).replace(concern_id, stage, [p.file for p in files], actor, now)


async def queue_evidence(
    connection: aiosqlite.Connection, catalog: Catalog, resident_id: int, answer_key: str, concern_id: int,
    code: str, stage: AnswerStage, now: datetime,
) -> int:
    """One outbox row per file of the answer, after the answer's own row (`answer_key`)."""
    files = await EvidenceRepository(connection).of(concern_id, stage)
    resident = await ResidentRepository(connection).get(resident_id) if files else None
    if resident is None:
        return 0
    outbox, queued = OutboxRepository(connection), 0
    for number, (_, file) in enumerate(files, start=1):
        caption = catalog.t(resident.language, f"answer.evidence_{file.kind}", code=code, number=number,
                            count=len(files))
        queued += await outbox.enqueue(f"{answer_key}:file{number}", resident.channel, resident.channel_user_id,
                                       encode_body(Reply(caption, evidence=file)), now)
    return queued


class EvidenceService(UnitService):
    """The files of a concern's answers, for the console to show (behind a staff session)."""

    def __init__(self, settings: Settings, database: Database, clock: Clock, *, unit_id: str | None = None) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self.folder = evidence_folder(database.path)

    async def files(self, code: str) -> list[tuple[AnswerStage, EvidenceFile]]:
        async with self._database.transaction() as connection:
            concern = await find_by_typed_code(ConcernRepository(connection, self._unit_id), code,
                                               self._settings.unit.code_prefix)
            return await EvidenceRepository(connection).of(concern.id) if concern else []

    async def file(self, code: str, number: int) -> tuple[EvidenceFile, bytes] | None:
        """File `number` (from 1, as `files` lists them) of a concern's answers, with its bytes."""
        files = await self.files(code)
        if self.folder is None or not 1 <= number <= len(files):
            return None
        file = files[number - 1][1]
        content = read_file(self.folder, file.digest)
        return None if content is None else (file, content)

    async def counts(self, concern_ids: Sequence[int]) -> dict[int, int]:
        async with self._database.transaction() as connection:
            return await EvidenceRepository(connection).counts(concern_ids)
