"""The public pages, no login: the announced meetings, a meeting's page and notice-board poster,
its results once published, and a concern's status by its code.

Everything shown comes from bot/services/public.py, which hands out public-only records (no
name, phone number or e-mail address; residents' words through the redaction function). The
language is in the address (`?lang=en`), not a cookie, so that a page is the same for everyone
who opens that address and can be cached (handlers/web/caching.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.documents.poster import (
    Poster,
    PosterCode,
    PosterFontMissing,
    find_fonts,
    poster_pdf,
)
from bot.services.layer import ServiceLayer
from bot.services.public import PublicMeeting
from handlers.web.caching import revalidated
from handlers.web.meetings import whole_number
from handlers.web.render import LANGUAGES, Renderer

SEARCH_MAX = 200
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def public_links(settings: Settings) -> dict[str, str]:
    """The bot's addresses that open a chat with it, from `[public]` (empty when not configured)."""
    links = {}
    if settings.public.telegram_username:
        links["telegram"] = f"https://t.me/{settings.public.telegram_username}"
    if settings.public.zalo_oa_id:
        links["zalo"] = f"https://zalo.me/{settings.public.zalo_oa_id}"
    return links


class PublicPages:
    def __init__(self, services: ServiceLayer, renderer: Renderer, clock: Clock, settings: Settings) -> None:
        self._services = services
        self._public = services.public
        self._renderer = renderer
        self._clock = clock
        self._settings = settings

    def routes(self) -> list[web.RouteDef]:
        pages: list[tuple[str, Handler]] = [
            ("/public/", self.index),
            ("/public/meetings/{id}", self.meeting),
            ("/public/meetings/{id}/results", self.results),
            ("/public/meetings/{id}/poster.pdf", self.poster),
            ("/public/status", self.lookup),
            ("/public/concerns/{code}", self.concern),
        ]
        return [web.get("/public", self.home)] + [web.get(path, self._found(handler)) for path, handler in pages]

    async def home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(_with_language("/public/", _language(request)))

    def _found(self, handler: Handler) -> Handler:
        """A page that does not exist (or a draft's) says so in the public pages' own words."""

        async def page(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except web.HTTPNotFound:
                return self._page(request, "public/not_found.html", status=404)

        return page

    async def index(self, request: web.Request) -> web.Response:
        return self._page(request, "public/index.html", meetings=await self._public.meetings())

    async def meeting(self, request: web.Request) -> web.Response:
        meeting = await self._meeting(request)
        return self._page(request, "public/meeting.html", meeting=meeting, links=public_links(self._settings))

    async def results(self, request: web.Request) -> web.Response:
        meeting = await self._meeting(request)
        search = request.query.get("q", "")[:SEARCH_MAX]
        page = request.query.get("page", "1")
        results = await self._public.results(meeting.id, _language(request), search,
                                             int(page) if page.isdecimal() and len(page) < 7 else 1)
        if results is None:
            return self._page(request, "public/not_yet.html", meeting=meeting)
        return self._page(request, "public/results.html", meeting=meeting, results=results,
                          show_rejected=self._settings.public.show_rejected, refresh=request.path_qs,
                          page_link=lambda number: _with_language(_results_path(meeting.id, search, number),
                                                                  _language(request)))

    async def lookup(self, request: web.Request) -> web.StreamResponse:
        """The form's answer: the concern's page, or the form again saying the code was not found."""
        typed = request.query.get("code", "").strip()[:40]
        if typed:
            concern = await self._public.concern(typed, _language(request))
            if concern is not None:
                raise web.HTTPSeeOther(_with_language(f"/public/concerns/{concern.code}", _language(request)))
        return self._page(request, "public/lookup.html", typed=typed, status=404 if typed else 200)

    async def concern(self, request: web.Request) -> web.Response:
        concern = await self._public.concern(request.match_info["code"][:40], _language(request))
        if concern is None:
            return self._page(request, "public/lookup.html", typed=request.match_info["code"][:40], status=404)
        meeting = await self._public.meeting(concern.meeting_id)
        return self._page(request, "public/concern.html", concern=concern, meeting=meeting,
                          show_rejected=self._settings.public.show_rejected)

    async def poster(self, request: web.Request) -> web.Response:
        meeting = await self._meeting(request)
        language = _language(request)
        try:
            fonts = find_fonts(self._settings.public.poster_font)
        except PosterFontMissing as missing:
            raise web.HTTPServiceUnavailable(text=str(missing))
        content = poster_pdf(self._poster(meeting, language, _base(request, self._settings)), fonts)
        return revalidated(request, web.Response(body=content, content_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="poster-{meeting.id}.pdf"',
        }))

    def _poster(self, meeting: PublicMeeting, language: str, base: str) -> Poster:
        t = self._t(language)
        zone = self._settings.zone
        words = self._renderer.words(language)
        links = public_links(self._settings)
        codes = [PosterCode(url, t(f"poster.scan_{name}")) for name, url in links.items()]
        codes.append(PosterCode(f"{base}{_with_language(f'/public/meetings/{meeting.id}', language)}", t("poster.scan_page")))
        return Poster(
            unit_name=words.unit_name(),
            heading=t("poster.heading"),
            title=meeting.title,
            lines=(
                (t("meeting.when"), format_local(meeting.starts_at, zone)),
                (t("meeting.place"), meeting.place),
                (t("meeting.format"), words.any(f"format.{meeting.format}")),
                (t("meeting.how"), t(f"meeting.how_{meeting.format}")),
                (t("meeting.intake"), t("meeting.intake_window", opens=format_local(meeting.intake_opens_at, zone),
                                         closes=format_local(meeting.intake_closes_at, zone))),
            ),
            invitation=t("poster.invitation") if links else t("poster.invitation_page"),
            codes=tuple(codes),
            footer=t("poster.footer", unit=words.unit_name()),
        )

    async def _meeting(self, request: web.Request) -> PublicMeeting:
        meeting = await self._public.meeting(whole_number(request.match_info["id"]))
        if meeting is None:
            raise web.HTTPNotFound()  # a draft is not public: as if it did not exist
        return meeting

    def _t(self, language: str) -> Any:
        catalog = self._services.catalog
        return lambda key, **values: catalog.t(language, f"public.{key}", **values)

    def _page(self, request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
        language = _language(request)
        other = "en" if language == "vi" else "vi"
        switch = request.path + "?" + urlencode({**request.query, "lang": other})
        html = self._renderer.render(
            template, t=self._t(language), words=self._renderer.words(language), language=language,
            switch=switch, link=lambda path: _with_language(path, language), now=self._clock.now(),
            unit=self._renderer.words(language).unit_name(), **values,
        )
        return revalidated(request, web.Response(text=html, status=status, content_type="text/html", charset="utf-8"))


def _language(request: web.Request) -> str:
    chosen = request.query.get("lang", "")
    return chosen if chosen in LANGUAGES else "vi"


def _results_path(meeting_id: int, search: str, page: int) -> str:
    query = {key: value for key, value in (("q", search), ("page", str(page))) if value and value != "1"}
    return f"/public/meetings/{meeting_id}/results" + (f"?{urlencode(query)}" if query else "")


def _with_language(path: str, language: str) -> str:
    if language == "vi":
        return path
    return path + ("&" if "?" in path else "?") + f"lang={language}"


def _base(request: web.Request, settings: Settings) -> str:
    """The site's address as the public reaches it: the configured one, else as this request came."""
    return settings.web.public_url or f"{request.scheme}://{request.host}"
