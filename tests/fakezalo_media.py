"""The fake Zalo's files: the OA's uploads (`POST /v2.0/oa/upload/image`, JPG/PNG up to 1 MB,
answered with an `attachment_id`; `POST /v2.0/oa/upload/file`, PDF/DOC/DOCX up to 5 MB, answered
with a `token`), and the images residents send, served at the address their event carries
(as Zalo's CDN would), counting how often each was fetched."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

IMAGE_LIMIT = 1024 * 1024
FILE_LIMIT = 5 * 1024 * 1024
FILE_TYPES = ("application/pdf", "application/msword",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@dataclass(frozen=True)
class Uploaded:
    kind: str  # "image" or "file"
    filename: str
    content: bytes
    content_type: str


@dataclass
class FakeZaloMedia:
    uploads: dict[str, Uploaded] = field(default_factory=dict)
    served: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self.base_url = ""

    def routes(self, token_error: Callable[[str | None], int]) -> list[web.RouteDef]:
        self._token_error = token_error
        return [web.post("/v2.0/oa/upload/image", self._image), web.post("/v2.0/oa/upload/file", self._file),
                web.get("/cdn/{name}", self._serve)]

    def serve(self, name: str, content: bytes) -> str:
        """An image a resident sends: its address, as the event's `url` gives it."""
        self.served[name] = content
        return f"{self.base_url}/cdn/{name}"

    def received(self, attachment: dict[str, Any] | None) -> Uploaded | None:
        """What an attachment message the OA sent shows its user: the upload it names."""
        payload = (attachment or {}).get("payload") or {}
        if (attachment or {}).get("type") == "file":
            return self.uploads.get(str(payload.get("token")))
        elements = payload.get("elements") or [{}]
        if payload.get("template_type") == "media" and elements[0].get("media_type") == "image":
            return self.uploads.get(str(elements[0].get("attachment_id")))
        return None

    async def _image(self, request: web.Request) -> web.Response:
        return await self._upload(request, "image", ("image/jpeg", "image/png"), IMAGE_LIMIT, "attachment_id")

    async def _file(self, request: web.Request) -> web.Response:
        return await self._upload(request, "file", FILE_TYPES, FILE_LIMIT, "token")

    async def _upload(
        self, request: web.Request, kind: str, types: tuple[str, ...], limit: int, answer_key: str,
    ) -> web.Response:
        error = self._token_error(request.headers.get("access_token"))
        if error:
            return web.json_response({"error": error, "message": "invalid token"})
        form = await request.post()
        part = form.get("file")
        if not isinstance(part, web.FileField):
            return web.json_response({"error": -201, "message": "no file"})
        content = part.file.read()
        if part.content_type not in types or len(content) > limit:
            return web.json_response({"error": -210, "message": "file type or size not allowed"})
        reference = f"{kind}-{next(self._ids)}"
        self.uploads[reference] = Uploaded(kind, part.filename or "", content, part.content_type)
        return web.json_response({"error": 0, "message": "Success", "data": {answer_key: reference}})

    async def _serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.fetched.append(name)
        if name not in self.served:
            raise web.HTTPNotFound()
        return web.Response(body=self.served[name], content_type="image/jpeg")
