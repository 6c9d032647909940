"""Evidence staff attach to an answer (photos of the work done, a letter, a decision): what
files are taken, told apart by what they hold rather than by their names, and their limits.

Photos are JPEG or PNG; documents are PDF or Word (DOCX). Zalo takes an OA's photo upload up
to 1 MB and its file upload (PDF, DOC, DOCX) up to 5 MB, so with Zalo on, photos are held to
Zalo's size; Telegram takes far more (10 MB photos, 50 MB documents).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum

MAX_FILES = 4
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_BYTES_ZALO = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What the browser's file picker offers; the server still reads every file's content.
ACCEPTED = ".jpg,.jpeg,.png,.pdf,.docx,image/jpeg,image/png,application/pdf," + DOCX


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class AnswerStage(StrEnum):
    """Which answer a file goes with: the one given after the meeting, or an agency's final one."""

    ANSWER = "answer"
    FINAL = "final"


@dataclass(frozen=True)
class EvidenceFile:
    """One stored file: named on disk by its SHA-256 (`digest`), under the data folder."""

    kind: EvidenceKind
    filename: str
    content_type: str
    digest: str
    size: int


def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


def sniff(content: bytes) -> tuple[EvidenceKind, str] | None:
    """What a file is, from its first bytes (and a DOCX from its parts); None when not taken."""
    if content.startswith(b"\xff\xd8\xff"):
        return EvidenceKind.PHOTO, "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return EvidenceKind.PHOTO, "image/png"
    if content.startswith(b"%PDF-"):
        return EvidenceKind.DOCUMENT, "application/pdf"
    if content.startswith(b"PK\x03\x04") and _is_docx(content):
        return EvidenceKind.DOCUMENT, DOCX
    return None


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf", DOCX: ".docx"}


def clean_filename(filename: str, content_type: str) -> str:
    """The name a resident sees: the staff's file name without folders or control characters,
    ending as its content says."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")[:120]
    extension = EXTENSIONS[content_type]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem or "tep") + extension
