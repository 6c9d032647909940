"""Telegram's side of the update journal: what is fetched is written down before Telegram
is told it arrived, and what was not handled when the process stopped is handled at start.

In polling, Telegram forgets an update once a getUpdates asks for a higher offset, and
python-telegram-bot asks for one as soon as a batch is queued, not handled: so the batch is
journalled (one transaction) when it comes back from getUpdates, before the library sees it.
In webhook mode the library answers 200 once the update is in its queue: the queue journals
it first. The dialogue marks an update handled with its effects; the channel marks the rest
(the staff chat, groups, what it ignores) right after handling.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from telegram import Update

from bot.clock import Clock
from storage.db import Database
from storage.journal import JournalledUpdate, UpdateJournalRepository

log = logging.getLogger(__name__)

# Telegram keeps an unconfirmed update for 24 hours; a handled row is kept well past that,
# so any redelivery is recognised, then forgotten.
JOURNAL_MEMORY = timedelta(days=7)
PRUNE_EVERY = timedelta(hours=6)


class TelegramJournal:
    def __init__(self, database: Database, clock: Clock, channel: str) -> None:
        self._database = database
        self._clock = clock
        self._channel = channel
        self._pruned_at: datetime | None = None
        # Handled from the journal at this start: Telegram may still deliver them once more.
        self.replayed: set[int] = set()

    async def record(self, raws: Sequence[dict[str, Any]]) -> set[int]:
        """Journal a batch of raw updates in one transaction; the ids to handle.

        Telegram delivering again an update handled by an earlier process (whose confirmation
        a crash cut off) is handled again: the dialogue recognises it and repeats its last
        replies, which the resident may never have received. One still waiting to be handled
        here, or handled from the journal at this start, is not: it is answered once.
        """
        updates = [JournalledUpdate(int(raw["update_id"]), json.dumps(raw, ensure_ascii=False)) for raw in raws]
        if not updates:
            return set()
        async with self._database.transaction() as connection:
            journal = UpdateJournalRepository(connection, self._channel)
            new = await journal.add(updates, self._clock.now())
            seen = [u.update_id for u in updates if u.update_id not in new]
            again = await journal.handled_among(seen) - self.replayed if seen else set()
        await self._forget_old_now_and_then()
        return new | again

    async def done(self, update_id: int) -> None:
        async with self._database.transaction() as connection:
            await UpdateJournalRepository(connection, self._channel).mark_handled(update_id, self._clock.now())

    async def unhandled(self) -> list[JournalledUpdate]:
        async with self._database.transaction() as connection:
            return await UpdateJournalRepository(connection, self._channel).unhandled()

    async def forget_old(self) -> None:
        now = self._clock.now()
        self._pruned_at = now
        async with self._database.transaction() as connection:
            await UpdateJournalRepository(connection, self._channel).prune(now - JOURNAL_MEMORY)

    async def _forget_old_now_and_then(self) -> None:
        if self._pruned_at is None or self._clock.now() - self._pruned_at >= PRUNE_EVERY:
            await self.forget_old()


class JournallingQueue(asyncio.Queue[object]):
    """The Application's update queue in webhook mode: an update is journalled before it is
    queued, hence before the webhook call is answered; one delivered again while its first
    copy waits here is dropped."""

    def __init__(self, journal: TelegramJournal) -> None:
        super().__init__()
        self._journal = journal

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            raw = item.to_dict()
            if item.update_id not in await self._journal.record([raw]):
                log.info("update %s was delivered again while waiting; handled once", item.update_id)
                return
        await super().put(item)
