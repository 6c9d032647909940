"""Likely duplicates, stored as they become known, so that the console's queue reads its
"possible duplicate" marks with one query (issue 12) instead of a lookup per open concern.

The measure is the one of the dialogue's offer and of the concern page
(bot.domain.similar_lookup.find_similar): a concern is a possible duplicate when the lookup
finds another open concern of its meeting that reads the same. Pairs are stored:
- when a concern is submitted (the dialogue, a carry-over): the lookup over the open concerns
  of its meeting, as the offer ran it;
- when a concern comes back to the queue (unmerged): its lookup, run again;
- when staff change its area or topic (or, later, its words): its rows, both ways, are
  worked out again.
Merging, rejecting or withdrawing a concern writes nothing: the queries read whether both
ends are still open. Only a partner left with no other open partner is looked at again (the
lookup keeps the best PAIRS_KEPT; one more may have been beyond them).

A meeting whose concerns were stored before pairs were (migration 0010's backlog) has them
worked out once, the first time its queue asks: one lookup per open concern of that meeting.
"""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from bot.domain.lexicon import Lexicon
from bot.domain.records import Concern
from bot.domain.similar import Candidate, Match
from bot.domain.similar_lookup import find_similar
from bot.domain.vocabulary import ConcernStatus
from storage.concerns import ConcernRepository
from storage.duplicates import DuplicateRepository

# The lookup's limit when storing: more than the offer's 3, so that merging the best few away
# rarely leaves a concern whose next-best partner was never written down.
PAIRS_KEPT = 20


class DuplicatePairs:
    """The pairs of one unit, kept inside the transaction of the change that calls it."""

    def __init__(self, connection: aiosqlite.Connection, unit_id: str, lexicon: Lexicon) -> None:
        self._concerns = ConcernRepository(connection, unit_id)
        self._pairs = DuplicateRepository(connection, unit_id)
        self._lexicon = lexicon

    async def submitted(self, concern: Concern, before: list[Candidate]) -> None:
        """A new concern; `before` the open concerns of its meeting without it (what the offer compared)."""
        await self._pairs.replace(concern.id, _found(self._look(Candidate.of(concern), before)))

    async def entered(self, concern_id: int) -> None:
        """Back in the queue (unmerged): whom it reads like now."""
        concern = await self._concerns.get(concern_id)
        if concern is not None:
            await self._pairs.replace(concern.id, _found(await self._lookup(concern)))

    async def left(self, concern_id: int) -> None:
        """Out of the queue (merged, rejected, withdrawn, carried over)."""
        await self._look_again_if_alone(await self._pairs.partners(concern_id))

    async def reworded(self, concern_id: int) -> None:
        """Its area, topic or words changed: its pairs, both ways, worked out again."""
        partners = await self._pairs.partners(concern_id)
        await self._pairs.forget_as_found(concern_id)
        await self.entered(concern_id)
        await self._look_again_if_alone(partners)

    async def marked(self, meeting_id: int) -> set[int]:
        """The queue's possible duplicates: open, unmerged concerns with an open, unmerged partner."""
        if await self._pairs.in_backlog(meeting_id):
            waiting = await self._concerns.similarity_candidates(meeting_id)
            await self._pairs.replace_meeting(meeting_id, {c.concern_id: _found(self._look(c, waiting)) for c in waiting})
        return await self._pairs.marked(meeting_id)

    async def _look_again_if_alone(self, partners: Iterable[int]) -> None:
        for partner in partners:
            if not await self._pairs.partners(partner, live_only=True):
                await self.entered(partner)

    async def _lookup(self, concern: Concern) -> list[Match]:
        if concern.status != ConcernStatus.OPEN or concern.merged_into is not None:
            return []
        return self._look(Candidate.of(concern), await self._concerns.similarity_candidates(concern.meeting_id))

    def _look(self, candidate: Candidate, among: list[Candidate]) -> list[Match]:
        return find_similar(candidate, among, limit=PAIRS_KEPT, lexicon=self._lexicon)


def live_marks(waiting: list[Candidate], lexicon: Lexicon) -> set[int]:
    """The marks as the queue worked them out before pairs were stored: a lookup per open
    concern (kept to check the stored marks against, tests/test_duplicates.py)."""
    return {c.concern_id for c in waiting if find_similar(c, waiting, limit=1, lexicon=lexicon)}


def _found(matches: list[Match]) -> list[tuple[int, float]]:
    return [(m.concern_id, m.score) for m in matches]
