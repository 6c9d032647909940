"""Logging in and out: the one-time link's page, the login itself, the language switch.

Opening a link only shows a page with a button: chat apps fetch links to preview them, and
that fetch must not spend the link. Pressing the button (a POST) logs in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from bot.services.web_login import Login, WebLoginService
from handlers.web.guard import Guard, client_of
from handlers.web.render import LANGUAGE_COOKIE, LANGUAGES, Renderer

ONE_YEAR = 365 * 24 * 3600


class LoginPages:
    def __init__(self, logins: WebLoginService, guard: Guard, renderer: Renderer) -> None:
        self._logins = logins
        self._guard = guard
        self._renderer = renderer

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/welcome", self.welcome),
            web.get("/login/{secret}", self.link),
            web.post("/login/{secret}", self.login),
            web.post("/logout", self.logout),
            web.get("/language/{language}", self.language),
        ]

    async def welcome(self, request: web.Request) -> web.Response:
        """Where anyone without a session lands: how to get a login link."""
        return self._renderer.page(request, "welcome.html")

    async def link(self, request: web.Request) -> web.Response:
        problem = await self._logins.check_link(request.match_info["secret"], client_of(request))
        if problem is not None:
            return self._renderer.page(request, "problem.html", 403 if problem != "too_many" else 429,
                                       kind=f"login_{problem}")
        return self._renderer.page(request, "login.html", action=request.path)

    async def login(self, request: web.Request) -> web.StreamResponse:
        outcome = await self._logins.redeem(request.match_info["secret"], client_of(request))
        if not isinstance(outcome, Login):
            return self._renderer.page(request, "problem.html", 403 if outcome != "too_many" else 429,
                                       kind=f"login_{outcome}")
        response = web.HTTPSeeOther("/meetings")
        self._guard.start_session(response, outcome.session_secret)
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        secret = self._guard.session_secret(request)
        if secret:
            await self._logins.logout(secret)
        response = self._renderer.page(request, "welcome.html", logged_out=True, visitor=None)
        self._guard.end_session(response)
        return response

    async def language(self, request: web.Request) -> web.StreamResponse:
        """Switches the console's language and goes back to the page it was asked from."""
        chosen = request.match_info["language"]
        response = web.HTTPSeeOther(_same_site(request.query.get("next", "/meetings")))
        if chosen in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR, samesite="Strict", httponly=True,
                                secure=self._guard.secure, path="/")
        raise response


def _same_site(target: str) -> str:
    """Only a path of this site: `next` must never send anyone elsewhere."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/meetings"
    return target
