"""After the answers: forwarded concerns followed until their agency answers (overdue marked, the
final answer recorded in place and pushed), and a meeting's results — the report the law asks
for within 10 days, counted down, and its statistics."""

from __future__ import annotations

from aiohttp import web

from bot.domain.refusal import Refusal
from bot.services.results import results_due
from handlers.web.answers import uploads_of
from handlers.web.concerns import CODE
from handlers.web.guard import visitor_of
from handlers.web.meetings import whole_number
from handlers.web.pages import Pages
from handlers.web.render import download

REPORT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SECONDS_PER_DAY = 86400


class ResultPages(Pages):

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/followup", self.followup),
            web.post("/followup/{code}/final", self.final),
            web.get("/meetings/{id}/results", self.results),
            web.get("/meetings/{id}/results/export/{format}", self.export),
        ]

    async def followup(self, request: web.Request, problem: str | None = None, status: int = 200) -> web.Response:
        items = sorted(await self._services.followup.follow_ups(),
                       key=lambda f: (f.answer.due_date is None, f.answer.due_date, f.concern.id))
        done = request.query.get("done", "")
        return self._renderer.page(request, "followup.html", status, items=items, problem=problem,
                                   done=done if CODE.match(done) else None)

    async def final(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["code"]
        if not CODE.match(code):
            raise web.HTTPNotFound()
        form = await request.post()
        text = str(form.get("final_answer", ""))
        try:
            concern = await self._services.followup.finalise(code, text, visitor_of(request).actor, uploads_of(form))
        except Refusal as refusal:
            return await self.followup(request, self._renderer.said(request, refusal), 409)
        raise web.HTTPSeeOther(f"/followup?done={concern.code}")

    async def results(self, request: web.Request, problem: str | None = None, status: int = 200) -> web.Response:
        meeting_id = whole_number(request.match_info["id"])
        meeting = await self._services.meetings.get(meeting_id)
        if meeting is None:
            raise web.HTTPNotFound()
        due = results_due(meeting)
        left = (due - self._clock.now()).total_seconds()
        return self._renderer.page(
            request, "results.html", status, problem=problem, meeting=meeting, stats=await self._services.statistics.stats(meeting_id),
            held=meeting.phase(self._clock.now()).held, due=due, days_left=int(left // SECONDS_PER_DAY),
            overdue=left < 0, formats=tuple(REPORT_TYPES),
        )

    async def export(self, request: web.Request) -> web.Response:
        meeting_id, fmt = whole_number(request.match_info["id"]), request.match_info["format"]
        if fmt not in REPORT_TYPES:
            raise web.HTTPNotFound()
        try:
            name, content = await self._services.results.export_results(meeting_id, fmt, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.results(request, self._renderer.said(request, refusal), 409)
        return download(name, REPORT_TYPES[fmt], content)
