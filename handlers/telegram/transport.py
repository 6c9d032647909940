"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

PTB's default transport is httpx, whose connection pool (httpcore 1.0) walks every pooled
connection, with a system call each to see whether it is still readable, whenever a
request starts or ends. With 32 residents in the dialogue at a real round trip to Telegram
there are ~100 connections, and that walk took more CPU than the whole dialogue: measured
in bench/intake.py --rtt 0.05, 38% of the bot's CPU. aiohttp's connector keeps idle
connections in a queue instead. PTB documents BaseRequest as the place to plug in another
HTTP library; this one does only that: send, and hand back the status and the body.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT_TIMEOUT = 5.0
_MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        read_timeout: float | None = _DEFAULT_TIMEOUT,
        write_timeout: float | None = _DEFAULT_TIMEOUT,
        connect_timeout: float | None = _DEFAULT_TIMEOUT,
        connections: int = 256,
    ) -> None:
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            sock_connect=_given(connect_timeout, self._connect_timeout),
            # aiohttp has no write timeout of its own: a request is allowed both.
            sock_read=_given(read_timeout, self._read_timeout),
            total=_total(read_timeout, write_timeout, self._read_timeout,
                         _MEDIA_WRITE_TIMEOUT if files else self._write_timeout),
        )
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The error names the host and port, never the path (which holds the token).
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: Any, default: float | None) -> float | None:
    return default if value is BaseRequest.DEFAULT_NONE else value


def _total(read: Any, write: Any, read_default: float | None, write_default: float | None) -> float | None:
    parts = [_given(read, read_default), _given(write, write_default)]
    return None if any(part is None for part in parts) else sum(part for part in parts if part is not None)


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them (JSON values), files as multipart."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
