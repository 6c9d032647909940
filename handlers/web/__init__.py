"""The staff console in a browser: aiohttp, Jinja2 templates, vendored htmx; no business rule of its own."""

from handlers.web.server import WebConsole, WebStartFailed, build_app

__all__ = ["WebConsole", "WebStartFailed", "build_app"]
