"""Pushed notices (not replies): written to the outbox inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.identity import ChatAddress
from bot.domain.messages import Button, Push, Reply
from bot.domain.redaction import Masks, redact
from bot.domain.sources import PULL_ONLY_CHANNELS
from bot.outbox.codec import encode_body
from bot.services.after_meeting import shorten
from bot.text import Catalog
from storage.outbox import OutboxRepository
from storage.residents import ResidentRepository


@dataclass(frozen=True)
class Localised:
    """A value that is itself a catalog key, rendered in each recipient's language."""

    key: str


@dataclass(frozen=True)
class Quoted:
    """A resident's own words quoted in a notice: phone numbers and e-mail addresses masked in the
    recipient's language, then cut to `limit` characters (masked first, so a cut never leaves half a number).

    Masked for every follower, the author too: the outbox keeps what it sent, and /delete must not
    have to find the resident's number inside messages already queued.
    """

    text: str
    limit: int


class Notices:
    def __init__(self, catalog: Catalog, staff_chat: ChatAddress | None) -> None:
        """`staff_chat`: where notices to staff go, on its channel (None: nowhere)."""
        self._catalog = catalog
        self._staff_chat = staff_chat

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    async def to_resident(
        self,
        connection: aiosqlite.Connection,
        resident_id: int,
        dedupe_key: str,
        key: str,
        now: datetime,
        buttons: tuple[tuple[tuple[str, str], ...], ...] = (),
        **values: object,
    ) -> bool:
        """Queue one message in the resident's own language; False if that key was queued before.

        `buttons` are rows of (catalog key of the label, payload), labelled in that language too.
        """
        resident = await ResidentRepository(connection).get(resident_id)
        if resident is None or resident.channel in PULL_ONLY_CHANNELS:
            return False  # an Open311 client reads its concerns' answers back; nothing is pushed
        language = resident.language
        rendered = {k: self._render(language, v) for k, v in values.items()}
        text = self._catalog.t(language, key, **rendered)
        rows = tuple(tuple(Button(self._catalog.t(resident.language, label), payload) for label, payload in row) for row in buttons)
        # The same values as data, for a channel that must fill an approved template instead.
        push = Push(key, tuple((name, "" if value is None else str(value)) for name, value in rendered.items()))
        return await OutboxRepository(connection).enqueue(
            dedupe_key, resident.channel, resident.channel_user_id,
            encode_body(Reply(text, buttons=rows, push=push)), now,
        )

    def _render(self, language: str, value: object) -> object:
        if isinstance(value, Localised):
            return self._catalog.t(language, value.key)
        if isinstance(value, Quoted):
            masks = Masks(phone=self._catalog.t(language, "redaction.phone"), email=self._catalog.t(language, "redaction.email"))
            return shorten(redact(value.text, masks), value.limit)
        return value

    async def to_staff(
        self, connection: aiosqlite.Connection, dedupe_key: str, key: str, now: datetime, **values: object
    ) -> bool:
        if self._staff_chat is None:
            return False
        text = self._catalog.t("vi", key, **values)
        return await OutboxRepository(connection).enqueue(
            dedupe_key, self._staff_chat.channel, self._staff_chat.chat_id, encode_body(Reply(text)), now
        )
