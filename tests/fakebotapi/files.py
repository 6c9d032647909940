"""Files the server knows: what residents send (photos, voice, documents) and what the bot uploads.

Each file gets a file_id and a file_path as on Telegram, so the bot can re-send by id and
download by path, and a test can read the bytes whichever way the bot sent them.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Any

from tests.fakebotapi.records import FileUpload
from tests.fakebotapi.wire import JSONDict, bad


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


class FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def store(
        self, content: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        self._counter += 1
        number = self._counter
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            suffix = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"FAKEFILE{number:06d}{folder[:3].upper()}",
            file_unique_id=f"U{number:06d}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def photo_sizes(
        self, content: bytes | None, stored: StoredFile | None = None
    ) -> list[JSONDict]:
        """Telegram answers one upload with several sizes; the biggest holds the real bytes."""
        data = content if content is not None else b"\xff\xd8\xff\xe0fake-jpeg" + bytes(64)
        sizes: list[JSONDict] = []
        for index, (width, height) in enumerate(((90, 67), (320, 240), (1280, 960))):
            if index == 2 and stored is not None:
                size_file = stored
            else:
                size_file = self.store(data, None, "image/jpeg", "photos")
            sizes.append(
                {
                    "file_id": size_file.file_id,
                    "file_unique_id": size_file.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(size_file.content),
                }
            )
        return sizes

    def input_file(
        self, value: Any, kind: str, folder: str, default_mime: str
    ) -> tuple[StoredFile, FileUpload]:
        """A file the bot sends: an upload, a known file_id, or a URL Telegram would fetch."""
        if isinstance(value, FileUpload):
            content = value.content or b""
            mime = value.mime_type or default_mime
            stored = self.store(content, value.filename, mime, folder)
            upload = FileUpload(value.filename, content, mime, stored.file_id, uploaded=True)
            return stored, upload
        if isinstance(value, str) and value in self.by_id:
            stored = self.by_id[value]
            return stored, FileUpload(stored.file_name, stored.content, stored.mime_type, value)
        if isinstance(value, str) and re.match(r"https?://\S+$", value):
            name = value.rsplit("/", 1)[-1].split("?", 1)[0] or None
            stored = self.store(b"", name, default_mime, folder)
            return stored, FileUpload(name, None, default_mime, value)
        if value in (None, ""):
            raise bad(f"there is no {kind} in the request")
        raise bad("wrong file identifier/HTTP URL specified")

    def media_object(self, kind: str, stored: StoredFile) -> Any:
        """The object a Message carries for a file of this kind (photo: a list of sizes)."""
        base: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if kind == "photo":
            return self.photo_sizes(stored.content, stored)
        if kind in {"document", "audio", "video", "animation"}:
            if stored.file_name:
                base["file_name"] = stored.file_name
            if stored.mime_type:
                base["mime_type"] = stored.mime_type
        if kind in {"video", "animation"}:
            base.update(width=640, height=480, duration=1)
        if kind in {"audio", "voice"}:
            base["duration"] = 1
        if kind == "voice":
            base["mime_type"] = "audio/ogg"
        if kind == "sticker":
            base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
        return base

    def get_file(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        """The getFile method: where the bot downloads a file from."""
        stored = self.by_id.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }
