"""Creating and editing a meeting (admins): one form, with the law's 7 days' notice shown as a
warning before anything is saved — the admin saves anyway, or changes the date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clock import Clock, parse_local
from bot.domain.records import Meeting
from bot.domain.refusal import Refusal
from bot.domain.vocabulary import MeetingFormat, Phase, Role
from bot.services.layer import ServiceLayer
from bot.services.meetings import MeetingDraft, MeetingError, gives_short_notice
from handlers.web.guard import needs, visitor_of
from handlers.web.meetings import whole_number
from handlers.web.pages import Pages
from handlers.web.render import Renderer

# How the form shows a time, in the unit's zone: as the ward writes it (and the CLI reads it).
# Not the browser's datetime-local input, which shows the browser's own language and order
# (mm/dd/yyyy on an English browser) on a Vietnamese page.
INPUT_TIME = "%d/%m/%Y %H:%M"
TIMES = ("starts", "opens", "closes")


@dataclass(frozen=True)
class MeetingFields:
    """The form as the admin filled it in: text, until it is read."""

    title: str = ""
    place: str = ""
    format: str = MeetingFormat.IN_PERSON.value
    area: str = ""
    starts: str = ""
    opens: str = ""
    closes: str = ""
    draft: bool = False
    # The admin saw the warning about short notice and saves anyway.
    confirmed: bool = False

    @classmethod
    def of_form(cls, form: Mapping[str, object]) -> MeetingFields:
        text = {f.name: str(form.get(f.name, "")).strip()[:500] for f in fields(cls) if f.type == "str"}
        return cls(**text, draft=form.get("draft") == "1", confirmed=form.get("confirmed") == "1")

    @classmethod
    def of_meeting(cls, meeting: Meeting, zone: ZoneInfo) -> MeetingFields:
        def local(instant: datetime) -> str:
            return instant.astimezone(zone).strftime(INPUT_TIME)

        return cls(meeting.title, meeting.place, str(meeting.format), meeting.area_id, local(meeting.starts_at),
                   local(meeting.intake_opens_at), local(meeting.intake_closes_at), meeting.status == Phase.DRAFT)

    def time(self, name: str, zone: ZoneInfo) -> datetime | None:
        raw = getattr(self, name)
        if not raw:
            return None
        try:
            return parse_local(raw, zone)
        except ValueError:
            raise MeetingError("refusal.bad_time", value=raw) from None


class MeetingForm(Pages):
    def __init__(self, services: ServiceLayer, renderer: Renderer, clock: Clock, zone: ZoneInfo) -> None:
        super().__init__(services, renderer, clock)
        self._zone = zone

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/meetings/new", self.new),
            web.post("/meetings/new", self.create),
            web.get("/meetings/{id}/edit", self.edit),
            web.post("/meetings/{id}/edit", self.save),
        ]

    @needs(Role.ADMIN)
    async def new(self, request: web.Request) -> web.Response:
        return self._form(request, None, MeetingFields())

    @needs(Role.ADMIN)
    async def edit(self, request: web.Request) -> web.Response:
        meeting = await self._meeting(request)
        return self._form(request, meeting, MeetingFields.of_meeting(meeting, self._zone))

    @needs(Role.ADMIN)
    async def create(self, request: web.Request) -> web.StreamResponse:
        typed = MeetingFields.of_form(await request.post())
        try:
            starts = typed.time("starts", self._zone)
            if starts is None:
                raise MeetingError("refusal.bad_time", value="")
            if not typed.draft and self._warn(typed, starts, None):
                return self._form(request, None, typed, warning=True)
            draft = MeetingDraft(typed.title, starts, typed.place, typed.format, typed.area or None,
                                 typed.time("opens", self._zone), typed.time("closes", self._zone))
            created = await self._services.meetings.create(draft, visitor_of(request).actor, announce=not typed.draft)
        except Refusal as refusal:
            return self._form(request, None, typed, problem=self._renderer.said(request, refusal))
        raise web.HTTPSeeOther(f"/meetings?done=created&id={created.meeting.id}")

    @needs(Role.ADMIN)
    async def save(self, request: web.Request) -> web.StreamResponse:
        meeting = await self._meeting(request)
        typed = replace(MeetingFields.of_form(await request.post()), draft=meeting.status == Phase.DRAFT)
        try:
            changes: dict[str, object] = {"title": typed.title, "place": typed.place, "format": typed.format,
                                          "area_id": typed.area or meeting.area_id}
            for name, attribute in zip(TIMES, ("starts_at", "intake_opens_at", "intake_closes_at"), strict=True):
                changes[attribute] = typed.time(name, self._zone) or getattr(meeting, attribute)
            starts = changes["starts_at"]
            assert isinstance(starts, datetime)
            if not typed.draft and starts != meeting.starts_at and self._warn(typed, starts, meeting.announced_at):
                return self._form(request, meeting, typed, warning=True)
            await self._services.meetings.edit(meeting.id, visitor_of(request).actor, **changes)
        except Refusal as refusal:
            return self._form(request, meeting, typed, problem=self._renderer.said(request, refusal))
        raise web.HTTPSeeOther(f"/meetings?done=edited&id={meeting.id}")

    def _warn(self, typed: MeetingFields, starts: datetime, announced_at: datetime | None) -> bool:
        """Short notice, not yet confirmed: the form comes back once with the warning."""
        return not typed.confirmed and gives_short_notice(starts, announced_at or self._clock.now())

    def _form(
        self, request: web.Request, meeting: Meeting | None, typed: MeetingFields,
        warning: bool = False, problem: str | None = None,
    ) -> web.Response:
        return self._renderer.page(
            request, "meeting_form.html", 400 if problem else 200, meeting=meeting, typed=typed, warning=warning,
            problem=problem, formats=tuple(MeetingFormat),
        )

    async def _meeting(self, request: web.Request) -> Meeting:
        meeting = await self._services.meetings.get(whole_number(request.match_info["id"]))
        if meeting is None:
            raise web.HTTPNotFound()
        return meeting

