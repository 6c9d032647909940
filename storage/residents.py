"""Residents: who writes to the bot, their language, their consent history, erasure.

A resident is a person on a channel, whichever units they write to; their consent is given
to one unit (its privacy controller), so consents are recorded and read per unit.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from bot.domain.records import DEFAULT_UNIT_ID, Consent, Resident
from bot.domain.redaction import VIETNAMESE, Masks, redact
from bot.domain.textnorm import fold
from storage.times import parse_time, store_time


def _resident(row: sqlite3.Row) -> Resident:
    return Resident(
        id=row["id"],
        channel=row["channel"],
        channel_user_id=row["channel_user_id"],
        language=row["language"],
        created_at=parse_time(row["created_at"]),  # type: ignore[arg-type]
    )


class ResidentRepository:
    def __init__(self, connection: aiosqlite.Connection, unit_id: str = DEFAULT_UNIT_ID) -> None:
        self._db = connection
        self._unit_id = unit_id  # whose consents these are

    async def get_or_create(self, channel: str, user_id: str, language: str, now: datetime) -> Resident:
        await self._db.execute(
            "INSERT INTO residents (channel, channel_user_id, language, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (channel, channel_user_id) DO NOTHING",
            (channel, user_id, language, store_time(now)),
        )
        cursor = await self._db.execute(
            "SELECT * FROM residents WHERE channel = ? AND channel_user_id = ?", (channel, user_id)
        )
        return _resident(await cursor.fetchone())  # type: ignore[arg-type]

    async def get(self, resident_id: int) -> Resident | None:
        cursor = await self._db.execute("SELECT * FROM residents WHERE id = ?", (resident_id,))
        row = await cursor.fetchone()
        return None if row is None else _resident(row)

    async def set_language(self, resident_id: int, language: str) -> None:
        await self._db.execute("UPDATE residents SET language = ? WHERE id = ?", (language, resident_id))

    async def record_consent(
        self, resident_id: int, purpose: str, version: str, text_shown: str, given: bool, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO consents (resident_id, unit_id, purpose, text_version, text_shown, given, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (resident_id, self._unit_id, purpose, version, text_shown, int(given), store_time(now)),
        )

    async def latest_consent(self, resident_id: int, purpose: str) -> Consent | None:
        cursor = await self._db.execute(
            "SELECT purpose, text_version, given, at FROM consents WHERE resident_id = ? AND unit_id = ? AND purpose = ? "
            "ORDER BY id DESC LIMIT 1",
            (resident_id, self._unit_id, purpose),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return Consent(row["purpose"], row["text_version"], bool(row["given"]), parse_time(row["at"]))  # type: ignore[arg-type]

    async def consents(self, resident_id: int) -> list[Consent]:
        cursor = await self._db.execute(
            "SELECT purpose, text_version, given, at FROM consents WHERE resident_id = ? AND unit_id = ? ORDER BY id",
            (resident_id, self._unit_id),
        )
        return [
            Consent(row["purpose"], row["text_version"], bool(row["given"]), parse_time(row["at"]))  # type: ignore[arg-type]
            for row in await cursor.fetchall()
        ]

    async def erase_personal_data(self, resident_id: int, masks: Masks = VIETNAMESE) -> int:
        """Remove name and phone everywhere; the concerns stay, anonymised. Returns concerns touched.

        Everywhere means in every unit: whoever asks to be forgotten is forgotten by the whole deployment.
        It includes what they typed: a number or e-mail address written inside a concern (or a comment
        on an answer) is replaced by its mask (`masks`, in the resident's language), in the folded copy too.
        """
        cursor = await self._db.execute(
            "SELECT id, text, contact_name, contact_phone FROM concerns WHERE author_id = ?", (resident_id,)
        )
        touched = 0
        for row in await cursor.fetchall():
            text = redact(row["text"], masks)
            if text == row["text"] and row["contact_name"] is None and row["contact_phone"] is None:
                continue
            await self._db.execute(
                "UPDATE concerns SET contact_name = NULL, contact_phone = NULL, phone_verified = 0, "
                "text = ?, text_folded = ? WHERE id = ?",
                (text, fold(text), row["id"]),
            )
            touched += 1
        cursor = await self._db.execute(
            "SELECT concern_id, comment FROM satisfaction WHERE resident_id = ? AND comment IS NOT NULL", (resident_id,)
        )
        for row in await cursor.fetchall():
            comment = redact(row["comment"], masks)
            if comment != row["comment"]:
                await self._db.execute(
                    "UPDATE satisfaction SET comment = ? WHERE concern_id = ? AND resident_id = ?",
                    (comment, row["concern_id"], resident_id),
                )
        return touched
