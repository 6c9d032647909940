"""A meeting's agenda: build it from the queue, order it (drag and drop, or the up and down
buttons as the keyboard's way), include or exclude, rename, set minutes, attach and detach
concerns, and download it — each through the agenda service, which checks and audits it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.domain.refusal import Refusal
from handlers.web.guard import visitor_of
from handlers.web.meetings import whole_number
from handlers.web.pages import Pages
from handlers.web.render import download

# What a finished change says when the agenda shows again (?done=…).
DONE = frozenset({"built", "sorted", "moved", "included", "excluded", "minutes", "renamed", "attached", "detached"})
FILE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

Change = Callable[[int, str], Awaitable[object]]


class AgendaPages(Pages):

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/meetings/{id}/agenda", self.show),
            web.get("/meetings/{id}/agenda/export/{format}", self.export),
            web.get("/meetings/{id}/announcement.docx", self.announcement),
            web.post("/meetings/{id}/agenda/build", self.build),
            web.post("/meetings/{id}/agenda/sort", self.sort),
            web.post("/meetings/{id}/agenda/attach", self.attach),
            web.post("/meetings/{id}/agenda/detach", self.detach),
            web.post("/meetings/{id}/agenda/items/{number}/{action}", self.item),
        ]

    async def show(self, request: web.Request, problem: str | None = None, status: int = 200) -> web.Response:
        meeting_id = whole_number(request.match_info["id"])
        meeting = await self._services.meetings.get(meeting_id)
        if meeting is None:
            raise web.HTTPNotFound()
        lines = await self._services.agenda.lines(meeting_id)
        done = request.query.get("done")
        return self._renderer.page(
            request, "agenda.html", status, meeting=meeting, lines=lines, problem=problem,
            total=sum(line.item.minutes for line in lines if line.item.included),
            budget=self._services.agenda.time_budget,
            done=done if done in DONE else None, formats=tuple(FILE_TYPES),
        )

    async def export(self, request: web.Request) -> web.Response:
        meeting_id, fmt = whole_number(request.match_info["id"]), request.match_info["format"]
        if fmt not in FILE_TYPES:
            raise web.HTTPNotFound()
        try:
            exported = await self._services.exports.agenda_file(meeting_id, fmt, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.show(request, self._renderer.said(request, refusal), 409)
        return download(exported.name, FILE_TYPES[fmt], exported.content)

    async def announcement(self, request: web.Request) -> web.Response:
        """The meeting's announcement (the 7-day notice) as a DOCX, from the meetings page."""
        meeting_id = whole_number(request.match_info["id"])
        try:
            exported = await self._services.exports.announcement_file(meeting_id, visitor_of(request).actor)
        except Refusal:
            raise web.HTTPNotFound() from None
        return download(exported.name, FILE_TYPES["docx"], exported.content)

    async def build(self, request: web.Request) -> web.StreamResponse:
        return await self._change(request, "built", self._services.agenda.build)

    async def sort(self, request: web.Request) -> web.StreamResponse:
        return await self._change(request, "sorted", self._services.agenda.sort)

    async def attach(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        code, number = str(form.get("code", "")).strip(), _number(form.get("number"))
        return await self._change(request, "attached", lambda m, actor: self._services.agenda.attach(code, m, number, actor))

    async def detach(self, request: web.Request) -> web.StreamResponse:
        code = str((await request.post()).get("code", "")).strip()
        return await self._change(request, "detached", lambda m, actor: self._services.agenda.detach(code, actor))

    async def item(self, request: web.Request) -> web.StreamResponse:
        """One item's change: up, down, to (a position: what a drop sends), include, exclude, minutes, rename."""
        number, action = whole_number(request.match_info["number"]), request.match_info["action"]
        form = await request.post()
        agenda = self._services.agenda
        changes: dict[str, tuple[str, Change]] = {
            "up": ("moved", lambda m, a: agenda.move(m, number, max(1, number - 1), a)),
            "down": ("moved", lambda m, a: agenda.move(m, number, number + 1, a)),
            "to": ("moved", lambda m, a: agenda.move(m, number, _number(form.get("position")), a)),
            "include": ("included", lambda m, a: agenda.set_included(m, number, True, a)),
            "exclude": ("excluded", lambda m, a: agenda.set_included(m, number, False, a)),
            "minutes": ("minutes", lambda m, a: agenda.set_minutes(m, number, _number(form.get("minutes")), a)),
            "rename": ("renamed", lambda m, a: agenda.rename(m, number, str(form.get("title", "")), a)),
        }
        if action not in changes:
            raise web.HTTPNotFound()
        done, change = changes[action]
        return await self._change(request, done, change)

    async def _change(self, request: web.Request, done: str, change: Change) -> web.StreamResponse:
        meeting_id = whole_number(request.match_info["id"])
        try:
            await change(meeting_id, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.show(request, self._renderer.said(request, refusal), 409)
        if request.headers.get("HX-Request"):  # a drop: the script reloads the agenda itself
            return web.Response(status=204)
        raise web.HTTPSeeOther(f"/meetings/{meeting_id}/agenda?done={done}")



def _number(raw: object) -> int:
    """A number typed into a form; anything else is 0, which the service refuses as out of range."""
    return int(raw) if isinstance(raw, str) and raw.strip().isdecimal() and len(raw.strip()) < 7 else 0
