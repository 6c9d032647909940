"""What anyone may read without logging in: announced meetings, their published results, a
concern's status by its code, and the same records for Open311 clients.

Every record here is public-only by construction: no name, phone number, e-mail address or
resident id is ever copied into one, and a resident's text is always passed through the one
redaction function. Drafts are not public; answers are public once the meeting's results are
published; a withdrawn or rejected concern shows what `[public] show_rejected` allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

import aiosqlite

from bot.clock import Clock
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.codes import normalise_code
from bot.domain.records import Answer, Concern, Meeting
from bot.domain.redaction import Masks, redact
from bot.domain.sources import ConcernSource
from bot.domain.textnorm import fold
from bot.domain.vocabulary import ConcernStatus, Disposition, Phase
from bot.services.unit import UnitService
from bot.text import Catalog
from storage.agenda import AgendaRepository
from storage.answers import AnswerRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.sources import ConcernSourceRepository

# Statuses of concerns that did not go to the meeting by the ward's choice or the resident's.
NOT_TAKEN = frozenset({ConcernStatus.WITHDRAWN, ConcernStatus.REJECTED})


# Concerns on one page of a meeting's public results.
RESULTS_PAGE = 50

@dataclass(frozen=True)
class PublicMeeting:
    id: int
    title: str
    area_id: str
    starts_at: datetime
    place: str
    format: str
    intake_opens_at: datetime
    intake_closes_at: datetime
    phase: Phase
    announced_at: datetime | None
    published_at: datetime | None
    cancelled_reason: str | None

    @property
    def published(self) -> bool:
        return self.phase == Phase.PUBLISHED

    @property
    def accepting(self) -> bool:
        return self.phase == Phase.INTAKE_OPEN


@dataclass(frozen=True)
class PublicAnswer:
    disposition: Disposition
    answer: str
    answered_by: str
    agency: str | None
    due_date: date | None
    final_answer: str | None
    final_at: datetime | None
    recorded_at: datetime

    @property
    def awaiting_agency(self) -> bool:
        return self.disposition.awaits_final_answer and self.final_answer is None


@dataclass(frozen=True)
class PublicConcern:
    """A concern as the public sees it. `text`, `area_id` and `topic_id` are None when the ward
    publishes only the code of a withdrawn or rejected concern."""

    code: str
    meeting_id: int
    status: ConcernStatus
    submitted_at: datetime
    updated_at: datetime
    text: str | None
    area_id: str | None
    topic_id: str | None
    residents: int
    answer: PublicAnswer | None = None
    reason: str | None = None
    merged_into: str | None = None
    merged: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    media_url: str | None = None
    position: int = 0  # its place on the agenda: the results follow the meeting's order

    @property
    def closed(self) -> bool:
        """Open311's two statuses: closed once answered for good, or not going to the meeting."""
        if self.status in NOT_TAKEN or self.status == ConcernStatus.CARRIED:
            return True
        return self.answer is not None and not self.answer.awaiting_agency


@dataclass(frozen=True)
class PublicResults:
    meeting: PublicMeeting
    concerns: tuple[PublicConcern, ...]  # the ones that went to the meeting, in its order
    not_taken: tuple[PublicConcern, ...]  # withdrawn or rejected, as the ward publishes them
    total: int  # before the search
    search: str
    matched: int = 0  # found by the search, on every page
    page: int = 1
    pages: int = 1


@dataclass(frozen=True)
class RequestFilter:
    """Open311's GET requests filters; empty means any."""

    codes: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    closed: bool | None = None
    limit: int = 1000


def masks_for(catalog: Catalog, language: str) -> Masks:
    return Masks(phone=catalog.t(language, "redaction.phone"), email=catalog.t(language, "redaction.email"))


def public_meeting(meeting: Meeting, now: datetime) -> PublicMeeting | None:
    phase = meeting.phase(now)
    if phase == Phase.DRAFT:
        return None  # a draft is the office's: not public until announced
    return PublicMeeting(
        id=meeting.id, title=meeting.title, area_id=meeting.area_id, starts_at=meeting.starts_at, place=meeting.place,
        format=str(meeting.format), intake_opens_at=meeting.intake_opens_at, intake_closes_at=meeting.intake_closes_at,
        phase=phase, announced_at=meeting.announced_at, published_at=meeting.published_at,
        cancelled_reason=meeting.cancelled_reason,
    )


def _public_answer(answer: Answer | None, meeting: Meeting) -> PublicAnswer | None:
    if answer is None or meeting.status != Phase.PUBLISHED:
        return None  # recorded answers become public when the ward publishes them
    return PublicAnswer(
        disposition=answer.disposition, answer=answer.answer, answered_by=answer.answered_by, agency=answer.agency,
        due_date=answer.due_date, final_answer=answer.final_answer, final_at=answer.final_at,
        recorded_at=answer.recorded_at,
    )


class PublicService(UnitService):
    """Public-only reads for the public pages and Open311 (bot/services/open311.py posts)."""

    def __init__(
        self, settings: Settings, database: Database, clock: Clock, catalog: Catalog, *, unit_id: str | None = None
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._catalog = catalog
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)

    async def meetings(self) -> list[PublicMeeting]:
        """Every meeting that was announced, the latest first."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            stored = await MeetingRepository(connection, self._unit_id).list_all()
        found = [m for m in (public_meeting(meeting, now) for meeting in stored) if m is not None]
        return sorted(found, key=lambda m: (m.starts_at, m.id), reverse=True)

    async def meeting(self, meeting_id: int) -> PublicMeeting | None:
        async with self._database.transaction() as connection:
            meeting = await MeetingRepository(connection, self._unit_id).get(meeting_id)
        return None if meeting is None else public_meeting(meeting, self._clock.now())

    async def results(self, meeting_id: int, language: str, search: str = "", page: int = 1) -> PublicResults | None:
        """A published meeting's concerns with their answers, found without accents ("tan hoa"
        finds "Tân Hóa"); None before the results are published."""
        async with self._database.transaction() as connection:
            meeting = await MeetingRepository(connection, self._unit_id).get(meeting_id)
            if meeting is None or meeting.status != Phase.PUBLISHED:
                return None
            concerns = await self._concerns(connection, meeting, language)
        public = public_meeting(meeting, self._clock.now())
        assert public is not None
        went = sorted((c for c in concerns if c.status == ConcernStatus.OPEN), key=lambda c: (c.position, c.code))
        not_taken = [c for c in concerns if c.status in NOT_TAKEN]
        total = len(went)
        wanted = fold(search).split()
        if wanted:
            went = [c for c in went if self._matches(c, language, wanted)]
            not_taken = [c for c in not_taken if self._matches(c, language, wanted)]
        # A city ward's meeting may hold thousands: a page a phone can load, the rest a link away.
        pages = max(1, -(-len(went) // RESULTS_PAGE))
        page = min(max(page, 1), pages)
        shown = went[(page - 1) * RESULTS_PAGE: page * RESULTS_PAGE]
        return PublicResults(public, tuple(shown), tuple(not_taken) if page == pages else (), total, search,
                             matched=len(went), page=page, pages=pages)

    async def concern(self, code_text: str, language: str) -> PublicConcern | None:
        """One concern by its code, as /status shows it, public fields only; None when it does
        not exist, its meeting is a draft, or the ward hides concerns not taken."""
        code = normalise_code(code_text, self._settings.unit.code_prefix)
        if code is None:
            return None
        async with self._database.transaction() as connection:
            stored = await ConcernRepository(connection, self._unit_id).by_code(code)
            if stored is None:
                return None
            meeting = await MeetingRepository(connection, self._unit_id).get(stored.meeting_id)
            if meeting is None or meeting.phase(self._clock.now()) == Phase.DRAFT:
                return None
            found = await self._concerns(connection, meeting, language, only=stored.id)
        return found[0] if found else None

    async def requests(self, wanted: RequestFilter, language: str) -> list[PublicConcern]:
        """Concerns of every public meeting, for Open311's GET requests, newest first."""
        now = self._clock.now()
        found: list[PublicConcern] = []
        async with self._database.transaction() as connection:
            for meeting in await MeetingRepository(connection, self._unit_id).list_all():
                if meeting.phase(now) == Phase.DRAFT:
                    continue
                found.extend(await self._concerns(connection, meeting, language))
        if wanted.codes:
            codes = {normalise_code(c, self._settings.unit.code_prefix) for c in wanted.codes}
            found = [c for c in found if c.code in codes]  # the spec: this overrides every other filter
        else:
            found = [c for c in found if _kept(c, wanted)]
        return sorted(found, key=lambda c: (c.submitted_at, c.code), reverse=True)[: wanted.limit]

    async def source_of(self, code: str) -> ConcernSource | None:
        """Where a concern came from, for staff, when another system fed it in."""
        async with self._database.transaction() as connection:
            concern = await ConcernRepository(connection, self._unit_id).by_code(code)
            if concern is None:
                return None
            return (await ConcernSourceRepository(connection).of_concerns([concern.id])).get(concern.id)

    async def _concerns(
        self, connection: aiosqlite.Connection, meeting: Meeting, language: str, only: int | None = None
    ) -> list[PublicConcern]:
        """Every concern of a meeting as the public may see it (hidden ones left out), or just the
        one `only` names: its answer and merged ones still come from the whole meeting."""
        repository = ConcernRepository(connection, self._unit_id)
        stored = await repository.all(meeting.id)
        answers = await AnswerRepository(connection, self._unit_id).of_meeting(meeting.id)
        counts = await repository.resident_counts(meeting.id)
        sources = await ConcernSourceRepository(connection).of_concerns([c.id for c in stored])
        position = {cid: item.position for item in await AgendaRepository(connection).items(meeting.id) for cid in item.concern_ids}
        by_id = {c.id: c for c in stored}
        merged_in: dict[int, list[str]] = {}
        for concern in stored:
            if concern.merged_into is not None:
                merged_in.setdefault(concern.merged_into, []).append(concern.code)
        masks = masks_for(self._catalog, language)
        show = self._settings.public.show_rejected
        public: list[PublicConcern] = []
        for concern in stored:
            if only is not None and concern.id != only:
                continue
            if concern.status in NOT_TAKEN and show == "hidden":
                continue
            root = _root(concern, by_id)
            record = self._record(concern, meeting, masks, answers.get(root.id), counts.get(concern.id, 1))
            record = replace(
                record,
                merged_into=root.code if root.id != concern.id else None,
                merged=tuple(merged_in.get(concern.id, ())),
                media_url=sources[concern.id].media_url if concern.id in sources else None,
                position=position.get(concern.id, 1_000_000),
            )
            if concern.status in NOT_TAKEN:
                record = replace(record, text=None, area_id=None, topic_id=None, latitude=None, longitude=None,
                                 media_url=None, merged=(), reason=concern.reject_reason if show == "reason" else None)
            public.append(record)
        return public

    def _record(
        self, concern: Concern, meeting: Meeting, masks: Masks, answer: Answer | None, residents: int
    ) -> PublicConcern:
        shown = _public_answer(answer, meeting)
        updated = max(t for t in (
            concern.submitted_at, concern.withdrawn_at, shown.recorded_at if shown else None,
            shown.final_at if shown else None, meeting.published_at if shown else None,
        ) if t is not None)
        location = self._settings.public.show_location
        return PublicConcern(
            code=concern.code, meeting_id=concern.meeting_id, status=concern.status,
            submitted_at=concern.submitted_at, updated_at=updated,
            text=redact(concern.text, masks), area_id=concern.area_id, topic_id=concern.topic_id,
            residents=residents, answer=shown,
            latitude=concern.latitude if location else None, longitude=concern.longitude if location else None,
        )

    def _matches(self, concern: PublicConcern, language: str, wanted: list[str]) -> bool:
        answer = concern.answer
        parts = [concern.code, concern.text or "", concern.reason or ""]
        if concern.area_id:
            parts.append(self._areas.path_label(concern.area_id, language) if self._areas.get(concern.area_id) else "")
        topic = self._topics.get(concern.topic_id)
        if topic is not None:
            parts.append(topic.label(language))
        if answer is not None:
            parts += [answer.answer, answer.answered_by, answer.agency or "", answer.final_answer or ""]
        words = _words_of(" ".join(parts))
        # Whole words ("hẻm 12" is not "hẻm 121"), but the last may be half typed.
        *whole, last = wanted
        return all(word in words for word in whole) and any(word.startswith(last) for word in words)


def _root(concern: Concern, by_id: dict[int, Concern]) -> Concern:
    """The concern a merged one ended up in (whose answer it shares)."""
    seen = {concern.id}
    while concern.merged_into is not None and concern.merged_into in by_id and concern.merged_into not in seen:
        concern = by_id[concern.merged_into]
        seen.add(concern.id)
    return concern


def _kept(concern: PublicConcern, wanted: RequestFilter) -> bool:
    if wanted.topics and concern.topic_id not in wanted.topics:
        return False
    if wanted.start is not None and concern.submitted_at < wanted.start:
        return False
    if wanted.end is not None and concern.submitted_at > wanted.end:
        return False
    return wanted.closed is None or concern.closed == wanted.closed


@lru_cache(maxsize=50_000)
def _words_of(text: str) -> frozenset[str]:
    """A concern's words without accents; kept, since folding is most of a search's time and the
    same published concerns are searched again and again (a changed answer is a new text)."""
    return frozenset(fold(text).split())
