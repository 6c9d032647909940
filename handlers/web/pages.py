"""What every group of the console's pages works with: the services, the renderer, the clock."""

from __future__ import annotations

from aiohttp import web

from bot.clock import Clock
from bot.services.layer import ServiceLayer
from handlers.web.render import Renderer


class Pages:
    def __init__(self, services: ServiceLayer, renderer: Renderer, clock: Clock) -> None:
        self._services = services
        self._renderer = renderer
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        """The routes of these pages, for the application to add."""
        raise NotImplementedError
