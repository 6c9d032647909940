"""After the answers: forwarded concerns followed until their agency answers (overdue marked, the
final answer recorded in place and pushed), and a meeting's results — the report the law asks
for within 10 days, counted down, and its statistics; the statistics of every meeting, as charts."""

from __future__ import annotations

from aiohttp import web

from bot.domain.refusal import Refusal
from bot.domain.vocabulary import ConcernStatus
from bot.services.results import results_due
from handlers.web.answers import uploads_of
from handlers.web.charts import WIDTH, charts
from handlers.web.concerns import CODE
from handlers.web.guard import visitor_of
from handlers.web.meetings import whole_number
from handlers.web.pages import Pages
from handlers.web.render import download, language_of

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
            web.get("/statistics", self.statistics),
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
            request, "results.html", status, problem=problem, meeting=meeting,
            held=meeting.phase(self._clock.now()).held, due=due, days_left=int(left // SECONDS_PER_DAY),
            overdue=left < 0, formats=tuple(REPORT_TYPES), **await self._figures(request, meeting_id),
        )

    async def statistics(self, request: web.Request) -> web.Response:
        """One meeting's statistics or (?meeting=all, the default) every meeting's of the unit."""
        raw = request.query.get("meeting", "all")
        chosen = None if raw == "all" else await self._services.meetings.get(whole_number(raw))
        if raw != "all" and chosen is None:
            raise web.HTTPNotFound()
        meetings = await self._services.meetings.list()
        return self._renderer.page(
            request, "statistics.html", chosen=chosen, meetings=meetings,
            **await self._figures(request, chosen.id if chosen else None),
        )

    async def _figures(self, request: web.Request, meeting_id: int | None) -> dict[str, object]:
        """What _charts.html draws: the service's numbers and the charts made of them."""
        stats = await self._services.statistics.stats(meeting_id)
        words = self._renderer.words(language_of(request, self._renderer.default_language))
        return {"stats": stats, "charts": charts(stats, words), "width": WIDTH, "concern_status": ConcernStatus}

    async def export(self, request: web.Request) -> web.Response:
        meeting_id, fmt = whole_number(request.match_info["id"]), request.match_info["format"]
        if fmt not in REPORT_TYPES:
            raise web.HTTPNotFound()
        try:
            name, content = await self._services.results.export_results(meeting_id, fmt, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.results(request, self._renderer.said(request, refusal), 409)
        return download(name, REPORT_TYPES[fmt], content)
