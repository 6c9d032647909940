"""The meetings with their phase and counts, what admins do to one, and a meeting's queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlencode

from aiohttp import web

from bot.domain.refusal import Refusal
from bot.domain.vocabulary import ConcernStatus, Phase, Role
from bot.services.web_queue import QueueFilter
from handlers.web.guard import needs, visitor_of
from handlers.web.pages import Pages

# What a finished admin action says when the list shows again (?done=…); nothing else is shown.
DONE = frozenset({"created", "edited", "announced", "opened", "closed", "cancelled"})
STATUSES = tuple(ConcernStatus)


def whole_number(raw: str) -> int:
    """A number from a path; a bad one is a page that does not exist."""
    if not raw.isdecimal() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


class MeetingPages(Pages):

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.home),
            web.get("/meetings", self.list),
            web.post("/meetings/{id}/announce", self.announce),
            web.post("/meetings/{id}/open", self.open),
            web.post("/meetings/{id}/close", self.close),
            web.post("/meetings/{id}/cancel", self.cancel),
            web.get("/meetings/{id}/queue", self.queue),
        ]

    async def home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther("/meetings")

    async def list(self, request: web.Request, problem: str | None = None, status: int = 200) -> web.Response:
        now = self._clock.now()
        rows = []
        for meeting in await self._services.meetings.list():
            counts = await self._services.meetings.count_concerns(meeting.id)
            rows.append((meeting, meeting.phase(now), counts.get("open", 0), sum(counts.values())))
        done = request.query.get("done")
        return self._renderer.page(
            request, "meetings.html", status, rows=rows, problem=problem,
            done=done if done in DONE else None, done_id=request.query.get("id", ""),
            finished=(Phase.CANCELLED, Phase.PUBLISHED), draft=Phase.DRAFT, phases=Phase,
        )

    @needs(Role.ADMIN)
    async def announce(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, "announced", lambda i, a: self._services.meetings.announce(i, a))

    @needs(Role.ADMIN)
    async def open(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, "opened", self._services.meetings.open_intake)

    @needs(Role.ADMIN)
    async def close(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, "closed", self._services.meetings.close_intake)

    @needs(Role.ADMIN)
    async def cancel(self, request: web.Request) -> web.StreamResponse:
        reason = str((await request.post()).get("reason", ""))
        return await self._act(request, "cancelled", lambda i, a: self._services.meetings.cancel(i, a, reason))

    async def _act(
        self, request: web.Request, done: str, action: Callable[[int, str], Awaitable[object]]
    ) -> web.StreamResponse:
        meeting_id = whole_number(request.match_info["id"])
        try:
            await action(meeting_id, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.list(request, self._renderer.said(request, refusal), 409)
        raise web.HTTPSeeOther(f"/meetings?done={done}&id={meeting_id}")

    async def queue(self, request: web.Request) -> web.Response:
        meeting_id = whole_number(request.match_info["id"])
        meeting = await self._services.meetings.get(meeting_id)
        if meeting is None:
            raise web.HTTPNotFound()
        wanted = _filter(request.query)
        result = await self._services.queue_search.search(meeting_id, wanted)
        return self._renderer.page(
            request, "queue.html", meeting=meeting, result=result, wanted=wanted, statuses=STATUSES,
            query=query_without_page(request.query),
        )


def _filter(query: Mapping[str, str]) -> QueueFilter:
    """The queue's filters from the address: a value it does not know shows everything for that filter."""
    get = query.get
    status_raw = get("status", ConcernStatus.OPEN.value)
    status = ConcernStatus(status_raw) if status_raw in {s.value for s in ConcernStatus} else None
    page_raw = get("page", "1")
    return QueueFilter(
        topic_id=get("topic") or None,
        area_id=get("area") or None,
        status=status,
        duplicates_only=get("duplicates") == "1",
        search=str(get("q", ""))[:200],
        page=int(page_raw) if page_raw.isdecimal() and len(page_raw) < 7 else 1,
    )


def query_without_page(query: Mapping[str, str]) -> str:
    """The filters as an address query, for the paging links to keep them."""
    return urlencode([(k, v) for k, v in query.items() if k != "page"])
