"""Telegram's per-chat limits on what the bot sends in conversation.

PTB's AIORateLimiter also holds the whole bot to the bulk limit (30 messages/s), counting
every reply: at 50 residents in the dialogue that queues each reply behind everyone else's.
Replies answer what a resident just did; the bulk limit is for what the bot starts itself,
and those pushes go through the outbox, which paces them with its own bot. What is left to
respect here is each chat's own limit, wherever a burst could pass it: a group (staff
commands, 20 messages a minute) and a private chat sent several long messages at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Telegram: "avoid sending more than one message per second in a chat; short bursts are
# allowed". A whole intake, answered at machine speed, is about 17 messages.
PRIVATE_BURST = 20
PRIVATE_PER_SECOND = 1.0
GROUP_PER_MINUTE = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP
# Chats are forgotten once this many are remembered and theirs is full again.
_MEMORY = 1024
# What counts as a message: replies, not edits or answers to button presses.
_SENDS = ("send", "copyMessage", "forwardMessage")

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class ChatLimits(BaseRateLimiter[int]):
    """A bucket per chat: a group's 20 messages a minute, a private chat's 1/s after a burst.

    A 429 is waited out and the request tried again, at most `max_retries` times; only the
    request that met it waits, since no bulk limit is applied here to have overshot.
    """

    def __init__(self, max_retries: int = 3) -> None:
        self._max_retries = max_retries
        self._chats: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        limiter = self._limiter(data.get("chat_id")) if endpoint.startswith(_SENDS) else None
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            try:
                if limiter is None:
                    return await callback(*args, **kwargs)
                async with limiter:
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                seconds = _seconds(error.retry_after) + 0.1
                log.info("telegram: %s rate-limited, trying again in %.1f s", endpoint, seconds)
                await asyncio.sleep(seconds)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _limiter(self, raw: object) -> AsyncLimiter | None:
        chat_id = _chat_id(raw)
        if chat_id is None:
            return None
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if len(self._chats) >= _MEMORY:
                self._forget_quiet()
            limiter = self._chats[chat_id] = _bucket_for(chat_id)
        return limiter

    def _forget_quiet(self) -> None:
        for chat_id, limiter in list(self._chats.items()):
            if limiter.has_capacity(limiter.max_rate):
                del self._chats[chat_id]


def _chat_id(raw: object) -> int | str | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw)
        except ValueError:
            return raw  # a channel's @username
    return None


def _bucket_for(chat_id: int | str) -> AsyncLimiter:
    # Groups and channels have negative ids (or an @username); users positive ones.
    group = isinstance(chat_id, str) or chat_id < 0
    if group:
        return AsyncLimiter(GROUP_PER_MINUTE, 60)
    return AsyncLimiter(PRIVATE_BURST, PRIVATE_BURST / PRIVATE_PER_SECOND)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
