"""The queue as the console looks through it: every concern of a meeting, filtered, searched, paged.

The staff chat's queue (TriageService.queue) shows the open concerns a page at a time; the
console's desk needs more at once — concerns in every status, a search that ignores accents
("tan hoa" finds "Tân Hóa"), and the ones that look like another concern of the same area
(a possible duplicate, worth merging: stored as they become known, bot/services/duplicates.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.domain.areas import AreaTree
from bot.domain.records import Concern
from bot.domain.lexicon import lexicon_for
from bot.domain.textnorm import fold
from bot.domain.vocabulary import ConcernStatus
from bot.services.duplicates import DuplicatePairs
from bot.services.meetings import MeetingService
from bot.services.unit import UnitService
from storage.concerns import ConcernRepository
from storage.queue import QueueRepository
from storage.db import Database

PAGE_SIZE = 20


@dataclass(frozen=True)
class QueueFilter:
    """What staff asked to see; None or empty means any."""

    topic_id: str | None = None
    area_id: str | None = None
    status: ConcernStatus | None = ConcernStatus.OPEN
    duplicates_only: bool = False
    search: str = ""
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    concern: Concern
    residents: int
    possible_duplicate: bool


@dataclass(frozen=True)
class QueueResult:
    meeting_id: int
    rows: tuple[QueueRow, ...]  # this page's
    total: int  # every concern the filter keeps
    page: int
    pages: int


class QueueSearch(UnitService):
    def __init__(
        self, settings: Settings, database: Database, clock: Clock, meetings: MeetingService, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._areas = AreaTree(settings)
        self._meetings = meetings
        self._lexicon = lexicon_for(settings)

    async def search(self, meeting_id: int, wanted: QueueFilter, page_size: int | None = None) -> QueueResult:
        page_size = page_size or PAGE_SIZE
        await self._meetings.get_or_fail(meeting_id)
        async with self._database.transaction() as connection:
            every = await QueueRepository(connection, self._unit_id).keys(meeting_id)
            residents = await ConcernRepository(connection, self._unit_id).resident_counts(meeting_id)
            duplicates = await DuplicatePairs(connection, self._unit_id, self._lexicon).marked(meeting_id)
        words = fold(wanted.search).split()
        kept = [
            c.id for c in every
            if (wanted.status is None or c.status == wanted.status)
            and (wanted.topic_id is None or c.topic_id == wanted.topic_id)
            and (wanted.area_id is None or self._areas.is_within(c.area_id, wanted.area_id))
            and (not wanted.duplicates_only or c.id in duplicates)
            and c.says(words)
        ]
        pages = max(1, -(-len(kept) // page_size))
        page = min(max(wanted.page, 1), pages)
        async with self._database.transaction() as connection:
            # The page's concerns whole, with their photos (the whole list needs neither).
            shown = await QueueRepository(connection, self._unit_id).whole(kept[(page - 1) * page_size: page * page_size])
        rows = tuple(QueueRow(c, residents.get(c.id, 1), c.id in duplicates) for c in shown)
        return QueueResult(meeting_id, rows, len(kept), page, pages)
