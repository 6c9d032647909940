"""The staff console: an aiohttp server in the bot's own process, over the same services as the
staff chat and the CLI. It parses requests, calls a service and renders a page; every rule
and every audit row is the services'."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.domain.evidence import MAX_DOCUMENT_BYTES, MAX_FILES
from bot.services.layer import ServiceLayer
from bot.services.web_photos import Fetch
from handlers.web.agenda import AgendaPages
from handlers.web.answers import AnswerPages
from handlers.web.audit import AuditPages
from handlers.web.concerns import ConcernPages
from handlers.web.guard import Guard
from handlers.web.login import LoginPages
from handlers.web.meeting_form import MeetingForm
from handlers.web.meetings import MeetingPages
from handlers.web.open311 import Open311Api
from handlers.web.proxies import networks
from handlers.web.public import PublicPages
from handlers.web.render import Renderer
from handlers.web.results import ResultPages

log = logging.getLogger(__name__)

# A form is a few fields; the largest body is an answer with its evidence: at most MAX_FILES
# files of at most 5 MB each, and the form around them.
MAX_BODY = MAX_FILES * MAX_DOCUMENT_BYTES + 256 * 1024


def build_app(settings: Settings, services: ServiceLayer, clock: Clock, fetch_photo: Fetch | None = None) -> web.Application:
    renderer = Renderer(settings, services.catalog)
    guard = Guard(services.web_login, renderer, settings.web.base_url, networks(settings.web.trusted_proxies))
    app = web.Application(middlewares=[guard.headers, guard.session], client_max_size=MAX_BODY)
    app.add_routes(LoginPages(services.web_login, guard, renderer).routes())
    # The form's /meetings/new before the pages' /meetings/{id}/…: the first route that matches wins.
    app.add_routes(MeetingForm(services, renderer, clock, settings.zone).routes())
    app.add_routes(MeetingPages(services, renderer, clock).routes())
    app.add_routes(AgendaPages(services, renderer, clock).routes())
    app.add_routes(AnswerPages(services, renderer, clock).routes())
    app.add_routes(ResultPages(services, renderer, clock).routes())
    app.add_routes(ConcernPages(services, renderer, clock, fetch_photo).routes())
    app.add_routes(AuditPages(services.audit, renderer, settings).routes())
    app.add_routes(PublicPages(services, renderer, clock, settings).routes())
    if settings.open311.enabled:
        app.add_routes(Open311Api(services, settings).routes())
    app.router.add_static("/static/", _static_folder(), follow_symlinks=False, append_version=False)
    return app


def _static_folder() -> Path:
    return Path(str(resources.files("handlers.web").joinpath("static")))


class WebConsole:
    """The console's server, started and stopped with the bot."""

    def __init__(
        self, settings: Settings, services: ServiceLayer, clock: Clock, fetch_photo: Fetch | None = None
    ) -> None:
        self._settings = settings
        self._app = build_app(settings, services, clock, fetch_photo)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        web_settings = self._settings.web
        self._runner = web.AppRunner(self._app, access_log=None)  # an access log would hold login links
        await self._runner.setup()
        site = web.TCPSite(self._runner, web_settings.listen, web_settings.port)
        try:
            await site.start()
        except OSError as error:
            await self.stop()
            raise WebStartFailed(f"the console cannot listen on {web_settings.listen}:{web_settings.port}: "
                                 f"{error.strerror or error}") from None
        log.info("the staff console is at %s", web_settings.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class WebStartFailed(Exception):
    """The console could not start; the message says why, for the operator."""
