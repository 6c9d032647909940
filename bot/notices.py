"""Pushed notices (not replies): written to the outbox inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.messages import Button, Reply
from bot.notify import encode_body
from bot.text import Catalog
from storage.outbox import OutboxRepository
from storage.residents import ResidentRepository


class Notices:
    def __init__(self, catalog: Catalog, staff_chat: str | None, staff_channel: str = "telegram") -> None:
        self._catalog = catalog
        self._staff_chat = staff_chat
        self._staff_channel = staff_channel

    async def to_resident(
        self,
        connection: aiosqlite.Connection,
        resident_id: int,
        dedupe_key: str,
        key: str,
        now: datetime,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **values: object,
    ) -> bool:
        """Queue one message in the resident's own language; False if that key was queued before."""
        resident = await ResidentRepository(connection).get(resident_id)
        if resident is None:
            return False
        text = self._catalog.t(resident.language, key, **values)
        return await OutboxRepository(connection).enqueue(
            dedupe_key, resident.channel, resident.channel_user_id, encode_body(Reply(text, buttons=buttons)), now
        )

    async def to_staff(
        self, connection: aiosqlite.Connection, dedupe_key: str, key: str, now: datetime, **values: object
    ) -> bool:
        if self._staff_chat is None:
            return False
        text = self._catalog.t("vi", key, **values)
        return await OutboxRepository(connection).enqueue(
            dedupe_key, self._staff_channel, self._staff_chat, encode_body(Reply(text)), now
        )
