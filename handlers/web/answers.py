"""After the meeting: the chair's answers, per agenda item or per concern, by a form or by the
filled agenda sheet (every row's problem listed before anything is recorded); then publishing,
with its progress until every message is delivered, held or failed, and "retry failed"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from aiohttp import web
from multidict import MultiMapping

from bot.domain.messages import Document
from bot.domain.refusal import Refusal
from bot.domain.vocabulary import Disposition
from bot.services.after_meeting import AnswerError
from bot.services.answers import AnswerInput, ImportReport
from handlers.web.guard import visitor_of
from handlers.web.meetings import whole_number
from handlers.web.pages import Pages
from handlers.web.render import language_of

DONE = frozenset({"item", "concern", "imported", "published", "retried"})
# How the progress counts the outbox's states, in the order the page shows them.
PROGRESS = ("pending", "sent", "held", "undeliverable", "failed")
SHEETS = (".xlsx", ".csv")


EVIDENCE_FIELD = "evidence"


def uploads_of(form: MultiMapping[str | web.FileField]) -> tuple[Document, ...]:
    """The files chosen in a form's evidence button (a button left empty still sends one empty part)."""
    chosen = [field for field in form.getall(EVIDENCE_FIELD, []) if isinstance(field, web.FileField)]
    return tuple(Document(field.filename or "", field.file.read()) for field in chosen if field.filename)


def due_of(raw: str) -> date | None:
    """The due date as typed, dd/mm/yyyy (as the ward writes dates; an ISO date is taken too)."""
    raw = raw.strip()
    if not raw:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise AnswerError("refusal.bad_date", value=raw[:20])


def answer_of(form: MultiMapping[str | web.FileField]) -> AnswerInput:
    """An answer as the form gives it; the service says what is wrong with it (a date that is
    not one is refused here, saying how to write it)."""
    agency = str(form.get("agency", "")).strip() or None
    return AnswerInput(str(form.get("disposition", "")), str(form.get("answer", "")).strip(),
                       str(form.get("answered_by", "")).strip(), agency, due_of(str(form.get("due_date", ""))),
                       uploads_of(form))


class AnswerPages(Pages):

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/meetings/{id}/answers", self.show),
            web.get("/meetings/{id}/progress", self.progress),
            web.post("/meetings/{id}/answers/items/{number}", self.item),
            web.post("/meetings/{id}/answers/concerns/{code}", self.concern),
            web.post("/meetings/{id}/answers/import", self.upload),
            web.post("/meetings/{id}/publish", self.publish),
            web.post("/meetings/{id}/retry", self.retry),
        ]

    async def show(
        self, request: web.Request, problem: str | None = None, status: int = 200, report: ImportReport | None = None,
    ) -> web.Response:
        meeting_id = whole_number(request.match_info["id"])
        meeting = await self._services.meetings.get(meeting_id)
        if meeting is None:
            raise web.HTTPNotFound()
        lines = await self._services.agenda.lines(meeting_id, included_only=True)
        done = request.query.get("done")
        answers = await self._services.answers.of_meeting(meeting_id)
        return self._renderer.page(
            request, "answers.html", status, meeting=meeting, lines=lines, problem=problem, report=report,
            answers=answers, files=await self._services.evidence.counts(list(answers)), dispositions=tuple(Disposition),
            progress=await self._progress(meeting_id), steps=PROGRESS, done=done if done in DONE else None,
            meeting_id=meeting_id, routes=await self._services.publishing.routes(meeting_id),
            rows=request.query.get("rows", ""),
        )

    async def progress(self, request: web.Request) -> web.Response:
        """The publishing's counts alone: the page asks for them every few seconds (htmx)."""
        meeting_id = whole_number(request.match_info["id"])
        return self._renderer.page(request, "progress.html", progress=await self._progress(meeting_id),
                                   steps=PROGRESS, meeting_id=meeting_id,
                                   routes=await self._services.publishing.routes(meeting_id))

    async def item(self, request: web.Request) -> web.StreamResponse:
        number, form = whole_number(request.match_info["number"]), await request.post()

        async def record(meeting_id: int, actor: str) -> object:
            return await self._services.answers.record_item(meeting_id, number, answer_of(form), actor)

        return await self._change(request, "item", record)

    async def concern(self, request: web.Request) -> web.StreamResponse:
        code, form = request.match_info["code"], await request.post()

        async def record(meeting_id: int, actor: str) -> object:
            return await self._services.answers.record(code, answer_of(form), actor)

        return await self._change(request, "concern", record)

    async def upload(self, request: web.Request) -> web.StreamResponse:
        meeting_id = whole_number(request.match_info["id"])
        sheet = (await request.post()).get("sheet")
        filename = getattr(sheet, "filename", "") or ""
        if not isinstance(sheet, web.FileField) or not filename.lower().endswith(SHEETS):
            return await self.show(request, self._t(request, "answers.sheet_needed"), 400)
        try:
            report = await self._services.answers.import_sheet(
                meeting_id, filename, sheet.file.read(), visitor_of(request).actor)
        except Refusal as refusal:
            return await self.show(request, self._renderer.said(request, refusal), 409)
        if report.problems:
            return await self.show(request, None, 400, report)
        raise web.HTTPSeeOther(f"/meetings/{meeting_id}/answers?done=imported&rows={report.applied}")

    async def publish(self, request: web.Request) -> web.StreamResponse:
        return await self._change(request, "published", self._services.publishing.publish)

    async def retry(self, request: web.Request) -> web.StreamResponse:
        return await self._change(request, "retried", lambda m, actor: self._services.publishing.retry_failed(actor))

    async def _change(self, request: web.Request, done: str, change: Callable[[int, str], Awaitable[object]]) -> web.StreamResponse:
        meeting_id = whole_number(request.match_info["id"])
        try:
            await change(meeting_id, visitor_of(request).actor)
        except Refusal as refusal:
            return await self.show(request, self._renderer.said(request, refusal), 409)
        raise web.HTTPSeeOther(f"/meetings/{meeting_id}/answers?done={done}")

    async def _progress(self, meeting_id: int) -> dict[str, int]:
        counts = await self._services.publishing.progress(meeting_id)
        shown = {step: counts.get(step, 0) for step in PROGRESS}
        shown["pending"] += counts.get("sending", 0)  # on its way: still waiting, as staff see it
        return shown


    def _t(self, request: web.Request, key: str) -> str:
        return self._renderer.words(language_of(request, self._renderer.default_language)).t(key)
