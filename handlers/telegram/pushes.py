"""Pushes (answers, announcements, reminders) from the outbox to Telegram.

A publish sends thousands of messages whose answers nobody reads but for "ok" or an error.
python-telegram-bot's Bot builds a Message from every answer and passes each call through its
whole request path, which at Telegram's paid-broadcast rate (1,000/s) cost more CPU than the
rest of the dispatcher together. A text push is therefore one JSON POST on a kept-alive
aiohttp session, its answer parsed only when it is an error. A push with a file (rare: a
photo or document of evidence with an answer, sendPhoto / sendDocument) still goes through
the Bot, which knows how to upload.

Nothing here logs or raises the request URL: it carries the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

import aiohttp
from telegram import Bot
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.domain.messages import Button, Reply
from bot.domain.textnorm import split_text
from bot.outbox.delivery import DeliveryError, TransientError, Undeliverable
from bot.outbox.delivery import RetryAfter as DeliveryRetryAfter
from handlers.telegram.render import send_reply, to_markup

log = logging.getLogger(__name__)

_GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked")


class PushRefused(DeliveryError):
    """Telegram refused this push for a reason trying again will not change soon (a 400)."""


class TelegramPushes:
    """The outbox's sender for Telegram."""

    def __init__(self, bot: Bot, base_url: str, token: str, timeout: float, *, paid_broadcast: bool = False) -> None:
        self._bot = bot
        self._url = f"{base_url}{token}/sendMessage"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._paid_broadcast = paid_broadcast
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        # Connections are kept and reused: a publish is many small requests to one host.
        # As many connections as the outbox has sends in flight (see its ROUND_TRIP_ALLOWANCE).
        connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=60)
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, address: str, reply: Reply) -> None:
        if reply.document is not None or reply.evidence is not None:
            await self._send_with_bot(address, reply)
            return
        chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
        markup = _markup_json(reply.buttons, reply.ask, reply.ask_label, reply.remove_keyboard)
        for index, chunk in enumerate(chunks):
            body: dict[str, Any] = {"chat_id": int(address), "text": chunk}
            if markup is not None and index == len(chunks) - 1:
                body["reply_markup"] = markup
            if self._paid_broadcast:
                body["allow_paid_broadcast"] = True
            await self._post(body)

    async def _post(self, body: dict[str, Any]) -> None:
        if self._session is None:
            raise TransientError("the Telegram push session is not open")
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            async with self._session.post(self._url, data=data, headers={"Content-Type": "application/json"}) as answer:
                if answer.status == 200:
                    return
                error = await _error_of(answer)
        except (aiohttp.ClientError, asyncio.TimeoutError) as failure:
            # The exception's text may name the URL, hence the token: its type only.
            raise TransientError(f"{type(failure).__name__} talking to the Bot API") from None
        raise error

    async def _send_with_bot(self, address: str, reply: Reply) -> None:
        try:
            await send_reply(self._bot, int(address), reply)
        except RetryAfter as error:
            raise DeliveryRetryAfter(_seconds(error.retry_after)) from None
        except Forbidden as error:
            raise Undeliverable(str(error)) from None
        except BadRequest as error:
            raise _refusal(str(error)) from None
        except (TimedOut, NetworkError) as error:
            raise TransientError(str(error)) from None


@lru_cache(maxsize=1024)
def _markup_json(
    buttons: tuple[tuple[Button, ...], ...], ask: str | None, ask_label: str | None, remove_keyboard: bool
) -> dict[str, Any] | None:
    """The keyboard as JSON, remembered: a publish sends each concern's one keyboard to every
    follower of it, and building PTB's objects for each was a tenth of the CPU per push.
    Callers only serialise what this returns, never change it."""
    reply = Reply("", buttons=buttons, ask=ask, ask_label=ask_label, remove_keyboard=remove_keyboard)  # type: ignore[arg-type]
    markup = to_markup(reply)
    return None if markup is None else markup.to_dict()


async def _error_of(answer: aiohttp.ClientResponse) -> DeliveryError:
    """What a failed sendMessage means for the outbox, from Telegram's error answer."""
    try:
        payload = await answer.json(content_type=None)
        description = str(payload.get("description", ""))
        retry_after = (payload.get("parameters") or {}).get("retry_after")
    except (ValueError, AttributeError, aiohttp.ClientError):
        description, retry_after = "", None
    status = answer.status
    if status == 429:
        return DeliveryRetryAfter(float(retry_after) if isinstance(retry_after, int | float) else 1.0)
    if status == 403:
        return Undeliverable(description or "Forbidden")
    if status == 400:
        return _refusal(description)
    return TransientError(f"HTTP {status} {description}".strip())


def _refusal(description: str) -> DeliveryError:
    if any(gone in description.lower() for gone in _GONE):
        return Undeliverable(description)
    return PushRefused(description or "Bad Request")


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
