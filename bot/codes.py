"""Tracking codes as residents and staff type them: 'tt 147', 'TT-0147', '147' all mean TT-0147."""

from __future__ import annotations

from storage.concerns import ConcernRepository, format_code
from bot.refusal import Refusal
from storage.records import Concern


def normalise_code(text: str, prefix: str) -> str | None:
    cleaned = text.strip().upper().replace(" ", "").replace("-", "")
    if cleaned.startswith(prefix):
        cleaned = cleaned[len(prefix):]
    if not cleaned.isdecimal() or len(cleaned) > 9:
        return None
    return format_code(prefix, int(cleaned))


async def find_by_typed_code(concerns: ConcernRepository, text: str, prefix: str) -> Concern | None:
    code = normalise_code(text, prefix)
    return None if code is None else await concerns.by_code(code)


async def concern_or_refuse(concerns: ConcernRepository, text: str, prefix: str, refusal: type[Refusal]) -> Concern:
    """The concern a staff member typed, or the caller's refusal naming what they typed."""
    concern = await find_by_typed_code(concerns, text, prefix)
    if concern is None:
        raise refusal("refusal.no_concern", code=text.strip())
    return concern
