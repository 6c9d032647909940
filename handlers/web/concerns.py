"""One concern: everything about it, its history, and what staff do to it (topic, area, reject,
merge, unmerge) — each through the triage service, which checks and audits it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.clock import Clock
from bot.domain.evidence import EvidenceKind
from bot.domain.records import Concern
from bot.domain.refusal import Refusal
from bot.domain.vocabulary import Role
from bot.services.layer import ServiceLayer
from bot.services.web_photos import Fetch
from bot.services.web_login import Visitor
from handlers.web.guard import visitor_of
from handlers.web.pages import Pages
from handlers.web.render import Renderer, download

CODE = re.compile(r"^[A-Za-z]{1,5}-?\d{1,9}$")
# What a finished change says when the concern shows again (?done=…).
DONE = frozenset({"topic", "area", "rejected", "merged", "unmerged"})


def may_see_contact(visitor: Visitor) -> bool:
    """Name and number are for staff, who call residents back; the console is one person's screen,
    like the private chat where the staff chat shows them too."""
    return Role.STAFF in visitor.roles


class ConcernPages(Pages):
    def __init__(self, services: ServiceLayer, renderer: Renderer, clock: Clock, fetch_photo: Fetch | None = None) -> None:
        super().__init__(services, renderer, clock)
        self._fetch_photo = fetch_photo

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/concerns/{code}", self.show),
            web.get("/concerns/{code}/photos/{number}", self.photo),
            web.get("/concerns/{code}/evidence/{number}", self.evidence),
            web.post("/concerns/{code}/topic", self.topic),
            web.post("/concerns/{code}/area", self.area),
            web.post("/concerns/{code}/reject", self.reject),
            web.post("/concerns/{code}/merge", self.merge),
            web.post("/concerns/{code}/unmerge", self.unmerge),
        ]

    async def show(self, request: web.Request, problem: str | None = None, status: int = 200) -> web.Response:
        code = _code(request)
        try:
            view = await self._services.triage.view(code)
        except Refusal:
            raise web.HTTPNotFound() from None
        history = await self._services.audit.entries(f"concern:{view.concern.code}", limit=50)
        done = request.query.get("done")
        return self._renderer.page(
            request, "concern.html", status, view=view, concern=view.concern, history=history, problem=problem,
            contact=may_see_contact(visitor_of(request)),
            evidence=await self._services.evidence.files(view.concern.code),
            done=done if done in DONE else None, source=await self._services.public.source_of(view.concern.code),
        )

    async def photo(self, request: web.Request) -> web.Response:
        """One photo, as the bot fetched it from the channel it came on; its address holds no secret."""
        number = request.match_info["number"]
        if not number.isdecimal() or len(number) > 3:
            raise web.HTTPNotFound()
        photo = await self._services.photos.photo(_code(request), int(number), self._fetch_photo)
        if photo is None:
            raise web.HTTPNotFound()
        return web.Response(body=photo.content, content_type=photo.content_type)

    async def evidence(self, request: web.Request) -> web.Response:
        """A file staff attached to an answer: only behind a session (the guard), never a listing.
        Photos show in the page; documents are downloaded, never opened as a page of this site."""
        number = request.match_info["number"]
        if not number.isdecimal() or len(number) > 3:
            raise web.HTTPNotFound()
        found = await self._services.evidence.file(_code(request), int(number))
        if found is None:
            raise web.HTTPNotFound()
        file, content = found
        if file.kind == EvidenceKind.PHOTO:
            return web.Response(body=content, content_type=file.content_type)
        return download(file.filename, file.content_type, content)

    async def topic(self, request: web.Request) -> web.StreamResponse:
        return await self._set(request, "topic", "topic", self._services.triage.set_topic)

    async def area(self, request: web.Request) -> web.StreamResponse:
        return await self._set(request, "area", "area", self._services.triage.set_area)

    async def reject(self, request: web.Request) -> web.StreamResponse:
        return await self._set(request, "reason", "rejected", self._services.triage.reject)

    async def _set(
        self, request: web.Request, field: str, done: str, setter: Callable[[str, str, str, int | None], Awaitable[Concern]]
    ) -> web.StreamResponse:
        """A change of one field, made on the version of the concern the form was filled in on."""
        form = await request.post()
        value, version = str(form.get(field, "")), _version(form.get("version"))
        return await self._change(request, done, lambda code, actor: setter(code, value, actor, version))

    async def merge(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        # A code typed in wins over the suggestion picked.
        target = str(form.get("target_code") or form.get("target") or "").strip().upper()
        return await self._change(request, "merged", lambda code, actor: self._services.triage.merge(code, target, actor))

    async def unmerge(self, request: web.Request) -> web.StreamResponse:
        return await self._change(request, "unmerged", self._services.triage.unmerge)

    async def _change(
        self, request: web.Request, done: str, change: Callable[[str, str], Awaitable[Concern]]
    ) -> web.StreamResponse:
        code = _code(request)
        try:
            changed = await change(code, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.show(request, self._renderer.said(request, refusal), 409)
        raise web.HTTPSeeOther(f"/concerns/{changed.code}?done={done}")


def _code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not CODE.match(code):
        raise web.HTTPNotFound()
    return code


def _version(raw: object) -> int | None:
    """The version of the concern the form was filled in on: someone else's change since is refused."""
    return int(raw) if isinstance(raw, str) and raw.isdecimal() and len(raw) < 10 else None
