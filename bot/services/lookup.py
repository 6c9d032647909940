"""Finding the concern a staff member typed, for every service that acts on one.

`concerns` is the repository of the caller's unit: a code of another unit's concern is not found.
"""

from __future__ import annotations

from bot.domain.codes import normalise_code
from bot.domain.records import Concern
from bot.domain.refusal import Refusal
from storage.concerns import ConcernRepository


async def find_by_typed_code(concerns: ConcernRepository, text: str, prefix: str) -> Concern | None:
    code = normalise_code(text, prefix)
    return None if code is None else await concerns.by_code(code)


async def concern_or_refuse(concerns: ConcernRepository, text: str, prefix: str, refusal: type[Refusal]) -> Concern:
    """The concern a staff member typed, or the caller's refusal naming what they typed."""
    concern = await find_by_typed_code(concerns, text, prefix)
    if concern is None:
        raise refusal("refusal.no_concern", code=text.strip())
    return concern
