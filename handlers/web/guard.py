"""What every request to the console passes through: security headers, the session, the CSRF
token of every form, and the role a page needs — all checked here, on the server.

A route says which role it needs with `@needs(Role.ADMIN)` (staff by default); pages that
need nobody logged in are listed in PUBLIC_PREFIXES. A refused request is answered with a
page saying why, and written to the audit log through the login service.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit
from collections.abc import Awaitable, Callable
from aiohttp import web

from bot.domain.vocabulary import Role
from bot.services.web_login import Visitor, WebLoginService
from handlers.web.proxies import Network, client_address
from handlers.web.render import CLIENT, VISITOR, Renderer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_COOKIE = "doithoai_console"
# Behind https the cookie is "__Host-" prefixed: the browser then takes it only if Secure,
# for the whole site, and from this very host.
SECURE_SESSION_COOKIE = "__Host-doithoai_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
PUBLIC_PREFIXES = ("/login/", "/static/", "/language/", "/welcome", "/public", "/open311/")
# Called by other systems with their own key and no cookie: another site's Origin is no forgery there.
API_PREFIXES = ("/open311/",)
SAFE_METHODS = frozenset({"GET", "HEAD"})

# No inline script or style anywhere: only files of this site run or style the pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A login link's secret is in its path: no other site may learn it from a Referer header.
    # (Not "no-referrer": then browsers send "Origin: null" even to this site, and the Origin
    # check below could not tell our forms from another site's.)
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        # Staff pages hold residents' words and contacts; the public pages set their own.
        response.headers.setdefault("Cache-Control", "no-store")


def needs(role: Role) -> Callable[[Handler], Handler]:
    """Declares the role a route needs (without it, Role.STAFF)."""

    def mark(handler: Handler) -> Handler:
        handler.needed_role = role  # type: ignore[attr-defined]
        return handler

    return mark


def client_of(request: web.Request) -> str:
    """The visitor's address, as the guard found it (see handlers/web/proxies.py)."""
    found = request.get(CLIENT)
    return found if isinstance(found, str) else request.remote or "unknown"


class Guard:
    def __init__(
        self, logins: WebLoginService, renderer: Renderer, base_url: str, trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        self._logins = logins
        self._trusted_proxies = trusted_proxies
        self._renderer = renderer
        self.secure = base_url.startswith("https://")
        self._public_host = urlsplit(base_url).netloc
        self.cookie_name = SECURE_SESSION_COOKIE if self.secure else SESSION_COOKIE

    @web.middleware
    async def headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request[CLIENT] = client_address(
            request.remote, request.headers.getall("X-Forwarded-For", []), self._trusted_proxies)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self._renderer.page(request, "problem.html", 404, kind="not_found")
        except web.HTTPException as raised:  # redirects, mostly: they carry the headers too
            _secure(request, raised)
            raise
        _secure(request, response)
        return response

    @web.middleware
    async def session(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in SAFE_METHODS and not request.path.startswith(API_PREFIXES) and not self._same_site(request):
            # A form another site posts (the login's too, which has no session to hold a token yet).
            await self._logins.refused(request.get(VISITOR), client_of(request), request.path, "origin")
            return self._renderer.page(request, "problem.html", 403, kind="csrf")
        if request.path.startswith(PUBLIC_PREFIXES):
            return await handler(request)
        secret = request.cookies.get(self.cookie_name)
        visitor = await self._logins.visitor(secret) if secret else None
        if visitor is None:
            if request.method in SAFE_METHODS and not request.headers.get("HX-Request"):
                raise web.HTTPSeeOther("/welcome")
            return self._renderer.page(request, "problem.html", 401, kind="session_over")
        request[VISITOR] = visitor
        try:
            csrf_ok = request.method in SAFE_METHODS or await self._csrf_ok(request, visitor)
        except web.HTTPRequestEntityTooLarge:
            # More than any form of the console sends (its files included): said plainly, not aiohttp's 413.
            return self._renderer.page(request, "problem.html", 413, kind="too_large")
        if not csrf_ok:
            await self._logins.refused(visitor, client_of(request), request.path, "csrf")
            return self._renderer.page(request, "problem.html", 403, kind="csrf")
        needed: Role = getattr(handler, "needed_role", Role.STAFF)
        if needed not in visitor.roles:
            await self._logins.refused(visitor, client_of(request), request.path, f"needs {needed}")
            return self._renderer.page(request, "problem.html", 403, kind=f"needs_{needed}")
        return await handler(request)

    def _same_site(self, request: web.Request) -> bool:
        """Whether a browser's Origin, when it sends one, is this console (as reached, or as configured)."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser's form (a script, curl): the CSRF token still decides
        # "null" is what a page that hides where it comes from sends: refused too.
        return origin != "null" and urlsplit(origin).netloc in {request.host, self._public_host}

    async def _csrf_ok(self, request: web.Request, visitor: Visitor) -> bool:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            form = await request.post()
            field = form.get(CSRF_FIELD)
            sent = field if isinstance(field, str) else None
        return sent is not None and hmac.compare_digest(sent.encode(), visitor.csrf_token.encode())

    def start_session(self, response: web.StreamResponse, secret: str) -> None:
        # No expiry: the browser forgets the cookie when it closes; the server ends idle sessions.
        response.set_cookie(self.cookie_name, secret, httponly=True, samesite="Strict", secure=self.secure, path="/")

    def end_session(self, response: web.StreamResponse) -> None:
        response.del_cookie(self.cookie_name, path="/")

    def session_secret(self, request: web.Request) -> str | None:
        return request.cookies.get(self.cookie_name)


def visitor_of(request: web.Request) -> Visitor:
    visitor: Visitor = request[VISITOR]
    return visitor
