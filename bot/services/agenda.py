"""The chair's agenda: items built from similar concerns, ordered, edited, turned into a document.

Suggested items come from similarity clusters of the whole meeting; staff can then include,
exclude, reorder, rename, retime, and move concerns between items. Order: by topic (as the
config lists them), then by the number of residents behind each item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.documents.records import AgendaConcern, AgendaDocument, AgendaEntry, AnnouncementDocument
from bot.domain.areas import AreaTree, TopicList
from bot.domain.clustering import cluster, similar_pairs
from bot.domain.lexicon import lexicon_for
from bot.domain.records import Concern, Meeting
from bot.domain.redaction import redact
from bot.domain.similar import Candidate
from bot.domain.textnorm import cut_at_word, short_phrase
from bot.domain.refusal import Refusal, status_term
from bot.domain.vocabulary import ConcernStatus, Phase
from bot.services.lookup import concern_or_refuse
from bot.text import Catalog
from bot.services.unit import UnitService
from storage.agenda import AgendaItem, AgendaRepository
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository

TITLE_CHARS = 90
# A title staff type is kept whole up to this; longer, it is cut after a word.
TITLE_MAX_CHARS = 300
# Possible duplicates shown under the agenda: the best few, not every pair of a big meeting.
DUPLICATES_SHOWN = 5
MIN_MINUTES, MAX_MINUTES = 1, 240


class AgendaError(Refusal):
    """Why an agenda change was refused, for staff (a catalog key under [refusal])."""


@dataclass(frozen=True)
class PossibleDuplicate:
    """A concern of one item that may say what a concern of another item says."""

    concern: Concern
    item: int  # its item's number, as the agenda shows it
    like: Concern  # the older of the two
    like_item: int
    score: float


@dataclass(frozen=True)
class AgendaLine:
    item: AgendaItem
    concerns: tuple[Concern, ...]
    residents: int
    topic: str
    agency: str
    areas: tuple[str, ...]


class AgendaService(UnitService):
    """The agendas of one unit's meetings (`unit_id`, the config's unit unless told otherwise)."""

    def __init__(
        self, settings: Settings, database: Database, clock: Clock, catalog: Catalog | None = None,
        *, unit_id: str | None = None,
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._catalog = catalog or Catalog.load()
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)
        self._topic_order = {t.id: n for n, t in enumerate(self._topics.all())}
        self._lexicon = lexicon_for(settings)

    @property
    def time_budget(self) -> int:
        """Minutes the meeting gives to residents' concerns, which the agenda's items share."""
        return self._settings.agenda.time_budget_minutes

    async def build(self, meeting_id: int, actor: str) -> int:
        """Add an item for every group of similar concerns not yet on the agenda; returns how many."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            meeting = await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            concerns = ConcernRepository(connection, self._unit_id)
            agenda = AgendaRepository(connection)
            assigned = await agenda.assigned_concerns(meeting.id)
            waiting = [c for c in await concerns.live(meeting.id) if c.id not in assigned]
            residents = await concerns.resident_counts(meeting.id)
            groups = self._suggest(waiting, residents)
            for group in groups:
                lead = max(group, key=lambda c: (residents.get(c.id, 1), -c.id))
                await agenda.add(
                    meeting.id, item_title(lead.text), lead.topic_id, self._minutes(len(group)), [c.id for c in group], now
                )
            await AuditRepository(connection).record(
                actor=actor, action="agenda.build", subject=f"meeting:{meeting.id}", now=now, after={"new_items": len(groups)}
            )
        return len(groups)

    async def lines(self, meeting_id: int, included_only: bool = False) -> list[AgendaLine]:
        async with self._database.transaction() as connection:
            await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            concerns = ConcernRepository(connection, self._unit_id)
            lines = []
            for item in await AgendaRepository(connection).items(meeting_id):
                if included_only and not item.included:
                    continue
                # Only what still stands: a concern withdrawn, rejected or merged since the build is not presented.
                members = tuple(
                    c for c in [await concerns.get(i) for i in item.concern_ids]
                    if c is not None and c.status == ConcernStatus.OPEN and c.merged_into is None
                )
                if not members:
                    continue
                topic = self._topics.get(item.topic_id)
                areas = tuple(dict.fromkeys(self._areas.path_label(c.area_id, "vi") for c in members))
                lines.append(
                    AgendaLine(
                        item=item,
                        concerns=members,
                        residents=await concerns.residents_behind([c.id for c in members]),
                        topic=topic.name if topic else item.topic_id,
                        agency=topic.agency if topic else "",
                        areas=areas,
                    )
                )
        return lines

    async def move(self, meeting_id: int, number: int, to: int, actor: str) -> None:
        """Move the item at position `number` (1-based, as shown) to position `to`."""
        await self._edit_order(meeting_id, actor, lambda ids: _moved(ids, number, to))

    async def sort(self, meeting_id: int, actor: str) -> None:
        """Back to the suggested order: topic, then number of residents."""
        lines = await self.lines(meeting_id)
        ordered = sorted(lines, key=lambda line: (self._topic_order.get(line.item.topic_id, 99), -line.residents, line.item.id))
        await self._edit_order(meeting_id, actor, lambda ids: [line.item.id for line in ordered])

    async def set_included(self, meeting_id: int, number: int, included: bool, actor: str) -> None:
        await self._edit_item(meeting_id, number, actor, "agenda.include" if included else "agenda.exclude", included=int(included))

    async def set_minutes(self, meeting_id: int, number: int, minutes: int, actor: str) -> None:
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise AgendaError("refusal.minutes_range", low=MIN_MINUTES, high=MAX_MINUTES)
        await self._edit_item(meeting_id, number, actor, "agenda.minutes", minutes=minutes)

    async def rename(self, meeting_id: int, number: int, title: str, actor: str) -> None:
        if not title.strip():
            raise AgendaError("refusal.title_empty")
        await self._edit_item(meeting_id, number, actor, "agenda.rename", title=cut_at_word(title, TITLE_MAX_CHARS))

    async def detach(self, code: str, actor: str) -> None:
        """Take a concern out of its item into an item of its own, at the end."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            concern = await self._concern(ConcernRepository(connection, self._unit_id), code)
            await self._meeting(MeetingRepository(connection, self._unit_id), concern.meeting_id)
            agenda = AgendaRepository(connection)
            if await agenda.detach(concern.id) is None:
                raise AgendaError("refusal.not_on_agenda", code=concern.code)
            await agenda.add(concern.meeting_id, item_title(concern.text), concern.topic_id, self._minutes(1), [concern.id], now)
            await agenda.delete_empty(concern.meeting_id)
            await AuditRepository(connection).record(
                actor=actor, action="agenda.detach", subject=f"concern:{concern.code}", now=now
            )

    async def attach(self, code: str, meeting_id: int, number: int, actor: str) -> None:
        """Put a concern into the item at position `number` (taking it out of any other)."""
        now = self._clock.now()
        async with self._database.transaction() as connection:
            concern = await self._concern(ConcernRepository(connection, self._unit_id), code)
            await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            if concern.meeting_id != meeting_id:
                raise AgendaError("refusal.other_meeting", code=concern.code)
            if concern.status != ConcernStatus.OPEN or concern.merged_into is not None:
                raise AgendaError("refusal.agenda_not_open", code=concern.code, status=status_term(concern.status))
            agenda = AgendaRepository(connection)
            item = _at(await agenda.items(meeting_id), number)
            await agenda.detach(concern.id)
            await agenda.attach(item.id, [concern.id])
            await agenda.delete_empty(meeting_id)
            await AuditRepository(connection).record(
                actor=actor, action="agenda.attach", subject=f"concern:{concern.code}", now=now, after={"item": item.id}
            )

    async def document(self, meeting_id: int) -> AgendaDocument:
        """What the chair reads: included items, no phone numbers, no names (residents were promised that)."""
        async with self._database.transaction() as connection:
            meeting = await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
        lines = await self.lines(meeting_id, included_only=True)
        zone = self._settings.zone
        entries = tuple(
            AgendaEntry(
                number=number,
                item_id=line.item.id,
                title=whole_title(line.item.title, [c.text for c in line.concerns]),
                topic=line.topic,
                areas=line.areas,
                agency=line.agency,
                residents=line.residents,
                minutes=line.item.minutes,
                concerns=tuple(
                    AgendaConcern(c.code, c.text, self._areas.path_label(c.area_id, "vi"), None) for c in line.concerns
                ),
            )
            for number, line in enumerate(lines, start=1)
        )
        return AgendaDocument(
            unit_name=self._settings.unit.name,
            chair_title=self._settings.unit.chair_title,
            meeting_id=meeting.id,
            meeting_title=meeting.title,
            starts_at=format_local(meeting.starts_at, zone),
            place=meeting.place,
            format_label=self._catalog.t("vi", meeting.format.catalog_key),
            generated_at=format_local(self._clock.now(), zone),
            entries=entries,
            levels=tuple(self._settings.unit.levels),
        )

    async def announcement(self, meeting_id: int) -> AnnouncementDocument:
        """The meeting's 7-day announcement: its time, place, format, intake window, and the
        channels residents write to the bot on."""
        async with self._database.transaction() as connection:
            meeting = await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
        settings, zone = self._settings, self._settings.zone
        public = settings.public
        # A link a resident can type from the printed page: the bot's address where it is known.
        links = {"Telegram": f"https://t.me/{public.telegram_username}" if public.telegram_username else "",
                 "Zalo": f"https://zalo.me/{public.zalo_oa_id}" if public.zalo_oa_id else ""}
        channels = tuple(
            f"{name} ({links[name]})" if links[name] else name
            for name, on in (("Telegram", settings.telegram.enabled), ("Zalo", settings.zalo.enabled)) if on
        )
        return AnnouncementDocument(
            unit_name=settings.unit.name,
            chair_title=settings.unit.chair_title,
            meeting_id=meeting.id,
            meeting_title=meeting.title,
            starts_at=format_local(meeting.starts_at, zone),
            place=meeting.place,
            format=meeting.format,
            format_label=self._catalog.t("vi", meeting.format.catalog_key),
            intake_opens_at=format_local(meeting.intake_opens_at, zone),
            intake_closes_at=format_local(meeting.intake_closes_at, zone),
            generated_at=format_local(self._clock.now(), zone),
            topics=tuple(topic.name for topic in settings.topics),
            channels=channels,
            levels=tuple(settings.unit.levels),
            chair_name=settings.unit.chair_name,
            page_url=f"{settings.web.base_url}/public/meetings/{meeting.id}" if settings.web.enabled else None,
        )

    # --- helpers ------------------------------------------------------------------------

    def _suggest(self, waiting: list[Concern], residents: dict[int, int]) -> list[list[Concern]]:
        """Groups of the concerns a person would call the same, across topics (residents pick
        the topic, and neighbours pick neighbouring ones for one problem), ordered by the
        topic of the concern most residents are behind, then by residents."""
        by_id = {c.id: c for c in waiting}
        groups = [[by_id[i] for i in ids] for ids in cluster([Candidate.of(c) for c in waiting], lexicon=self._lexicon)]

        def order(group: list[Concern]) -> tuple[int, int, int]:
            lead = max(group, key=lambda c: (residents.get(c.id, 1), -c.id))
            return (self._topic_order.get(lead.topic_id, 99), -sum(residents.get(c.id, 1) for c in group), lead.id)

        return sorted(groups, key=order)

    async def duplicates(self, meeting_id: int, lines: list[AgendaLine] | None = None) -> list[PossibleDuplicate]:
        """Concerns of different items that may be the same, best first (at most DUPLICATES_SHOWN):
        staff merge one into the other, or leave them."""
        lines = await self.lines(meeting_id) if lines is None else lines
        item_of = {c.id: number for number, line in enumerate(lines, start=1) for c in line.concerns}
        concerns = {c.id: c for line in lines for c in line.concerns}
        pairs = similar_pairs([Candidate.of(c) for c in concerns.values()], lexicon=self._lexicon)
        found = [
            PossibleDuplicate(concerns[b], item_of[b], concerns[a], item_of[a], score)
            for a, b, score in pairs if item_of[a] != item_of[b]
        ]
        return found[:DUPLICATES_SHOWN]

    def _minutes(self, concerns: int) -> int:
        agenda = self._settings.agenda
        return min(agenda.max_item_minutes, agenda.minutes_per_item + concerns - 1)

    async def _edit_item(self, meeting_id: int, number: int, actor: str, action: str, **changes: object) -> None:
        now = self._clock.now()
        async with self._database.transaction() as connection:
            await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            agenda = AgendaRepository(connection)
            item = _at(await agenda.items(meeting_id), number)
            if not await agenda.update(item, **changes):
                raise AgendaError("refusal.item_changed")
            await AuditRepository(connection).record(
                actor=actor, action=action, subject=f"agenda_item:{item.id}", now=now,
                before={key: getattr(item, key) for key in changes}, after=dict(changes),
            )

    async def _edit_order(self, meeting_id: int, actor: str, reorder: object) -> None:
        now = self._clock.now()
        async with self._database.transaction() as connection:
            await self._meeting(MeetingRepository(connection, self._unit_id), meeting_id)
            agenda = AgendaRepository(connection)
            ids = [item.id for item in await agenda.items(meeting_id)]
            new_ids = reorder(ids)  # type: ignore[operator]
            await agenda.reorder(meeting_id, new_ids)
            await AuditRepository(connection).record(
                actor=actor, action="agenda.reorder", subject=f"meeting:{meeting_id}", now=now,
                before={"order": ids}, after={"order": new_ids},
            )

    async def _meeting(self, meetings: MeetingRepository, meeting_id: int) -> Meeting:
        meeting = await meetings.get(meeting_id)
        if meeting is None:
            raise AgendaError("refusal.no_meeting", id=meeting_id)
        if meeting.status == Phase.CANCELLED:
            raise AgendaError("refusal.meeting_cancelled", id=meeting_id)
        return meeting

    async def _concern(self, concerns: ConcernRepository, code: str) -> Concern:
        return await concern_or_refuse(concerns, code, self._settings.unit.code_prefix, AgendaError)


def _at(items: list[AgendaItem], number: int) -> AgendaItem:
    if not 1 <= number <= len(items):
        raise AgendaError("refusal.no_item", number=number, count=len(items))
    return items[number - 1]


def _moved(ids: list[int], number: int, to: int) -> list[int]:
    if not 1 <= number <= len(ids) or not 1 <= to <= len(ids):
        raise AgendaError("refusal.positions", count=len(ids))
    moved = list(ids)
    moved.insert(to - 1, moved.pop(number - 1))
    return moved


def item_title(text: str) -> str:
    """The automatic title of an item from its lead concern: a short phrase ended at a word."""
    # Hidden before cutting: half a phone number is no longer recognisable as one.
    return short_phrase(redact(text), TITLE_CHARS)


def whole_title(title: str, texts: Iterable[str]) -> str:
    """An item's title for the chair's documents: a title stored before titles ended at a word
    (the first 89 characters of a concern's text and '…', often half a word) made again from
    that text; any other title, staff's own included, as it is."""
    if not title.endswith("…"):
        return title
    for text in texts:
        flat = " ".join(redact(text).split())
        if len(flat) > TITLE_CHARS and title == flat[: TITLE_CHARS - 1].rstrip() + "…":
            return item_title(text)
    return title


