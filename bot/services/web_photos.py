"""Residents' photos for the staff console: fetched through the bot from the channel they were
sent on, and kept in a private folder next to the database, so that each is fetched once.

The browser only ever sees the console's own address for a photo (a concern's code and the
photo's number): the platform's file address, which holds the bot's token, stays on the server.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.services.lookup import find_by_typed_code
from bot.services.unit import UnitService
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.residents import ResidentRepository

log = logging.getLogger(__name__)

# The photo's channel and its reference there -> its bytes, or None (the composition root's).
Fetch = Callable[[str, str], Awaitable[bytes | None]]
# What an image file starts with, and what the browser is told it is: nothing else is served.
IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"))
CACHE_FOLDER = "photo-cache"


@dataclass(frozen=True)
class Photo:
    content: bytes
    content_type: str


def image_type(content: bytes) -> str | None:
    for magic, content_type in IMAGE_TYPES:
        if content.startswith(magic) and (content_type != "image/webp" or content[8:12] == b"WEBP"):
            return content_type
    return None


class PhotoService(UnitService):
    def __init__(self, settings: Settings, database: Database, clock: Clock, *, unit_id: str | None = None) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._cache = Path(database.path).parent / CACHE_FOLDER if database.path != ":memory:" else None

    async def photo(self, code: str, number: int, fetch: Fetch | None) -> Photo | None:
        """Photo `number` (from 1) of a concern; None when there is none, or it cannot be had now."""
        async with self._database.transaction() as connection:
            concern = await find_by_typed_code(ConcernRepository(connection, self._unit_id), code,
                                               self._settings.unit.code_prefix)
            author = await ResidentRepository(connection).get(concern.author_id) if concern else None
        if concern is None or author is None or not 1 <= number <= len(concern.photos):
            return None
        ref = concern.photos[number - 1]
        kept = self._kept(author.channel, ref)
        if kept is not None and kept.exists():
            return _photo(kept.read_bytes())
        content = await fetch(author.channel, ref) if fetch is not None else None
        photo = _photo(content) if content else None
        if photo is not None and kept is not None:
            _keep(kept, photo.content)
        return photo

    def _kept(self, channel: str, ref: str) -> Path | None:
        if self._cache is None:
            return None
        return self._cache / hashlib.sha256(f"{channel}\n{ref}".encode()).hexdigest()


def _photo(content: bytes) -> Photo | None:
    content_type = image_type(content)
    return Photo(content, content_type) if content_type else None


def _keep(path: Path, content: bytes) -> None:
    # Residents' photos: readable by the bot's user only, like the database.
    path.parent.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
