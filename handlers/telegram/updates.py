"""python-telegram-bot's update processing: different chats at once, one chat's in order.

PTB's default handles one update at a time for the whole bot, so at a real round trip to
Telegram each resident waits for everyone else's replies; its `concurrent_updates=True`
handles them all at once, which would let one resident's second message overtake the first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.chat_turns import ChatTurns


class PerChatUpdates(BaseUpdateProcessor):
    """At most `max_concurrent_updates` updates at once (PTB's bound), one per chat."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.turns = ChatTurns()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # The chat's turn before PTB's slot (taken by super()): see ChatTurns.
        async with self.turns.turn(_chat_of(update)):
            await super().process_update(update, coroutine)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: turns end with their updates."""


def _chat_of(update: object) -> Hashable:
    """The chat an update belongs to; what has none (and is not handled) shares one turn."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None
