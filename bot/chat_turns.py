"""One chat's events one after another, in the order they came; different chats at once.

A resident who types twice quickly must get the answers in that order, and must never have
two events of theirs inside the dialogue together; a resident waiting for the database must
not hold up everyone else. Both channels take a turn here before handling an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Turns taken or waited for: the entry goes when the last one ends, so chats that went
    # quiet cost nothing however many there were.
    holders: int = 0


class ChatTurns:
    """Turns per chat, first come first served (asyncio.Lock hands over in FIFO order).

    With `limit`, at most that many turns run at once across chats. The chat's own turn is
    waited for first: an event queued behind its own chat's must not occupy a slot that
    other chats could use.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._chats: dict[Hashable, _Chat] = {}
        self._slots = asyncio.Semaphore(limit) if limit is not None else None

    @property
    def chats(self) -> int:
        """Chats with a turn running or waiting (what is kept in memory)."""
        return len(self._chats)

    @asynccontextmanager
    async def turn(self, chat: Hashable) -> AsyncIterator[None]:
        # No await between looking up and counting: in asyncio this is atomic, so the entry
        # cannot be dropped by another turn in between.
        entry = self._chats.get(chat)
        if entry is None:
            entry = self._chats[chat] = _Chat()
        entry.holders += 1
        try:
            async with entry.lock, self._slots or nullcontext():
                yield
        finally:
            entry.holders -= 1
            if entry.holders == 0:
                del self._chats[chat]
