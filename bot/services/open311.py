"""Concerns fed in by other systems (a city hotline, another portal) through Open311's POST
requests: the same checks, limits and rate limit as a resident in the chat, the same storage
(ConcernRepository.submit, as the dialogue's confirm step), and where it came from recorded.

A client is known by its api_key, whose SHA-256 is in `[[open311.clients]]`. A refusal is an
`Open311Error`: the HTTP status the GeoReport v2 spec gives it and a catalog key saying why.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from bot.clock import Clock, format_local
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.concern_text import text_problem
from bot.domain.contact import acceptable_name, normalise_phone
from bot.domain.records import Meeting, NewConcern
from bot.domain.sources import OPEN311_CHANNEL, ConcernSource
from bot.domain.textnorm import clean, fold
from bot.public_settings import Open311Client
from bot.services.flood import FloodGuard
from bot.services.public import PublicConcern, PublicService
from bot.services.unit import UnitService
from bot.text import Catalog
from storage.audit import AuditRepository
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.residents import ResidentRepository
from storage.sources import ConcernSourceRepository

_MEDIA_URL = re.compile(r"^https?://[^\s<>\"]{1,500}$")


class Open311Error(Exception):
    """A request refused: the HTTP status (403 key, 404 unknown, 429 too many, 400 the rest)
    and why, as a catalog key under [open311] with its values."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values

    def describe(self, catalog: Catalog, language: str) -> str:
        return catalog.t(language, f"open311.{self.key}", **self.values)


@dataclass(frozen=True)
class Submitted:
    concern: PublicConcern
    notice: str  # service_notice: what happens next, in words


class Open311Intake(UnitService):
    def __init__(
        self, settings: Settings, database: Database, clock: Clock, catalog: Catalog, public: PublicService,
        *, unit_id: str | None = None,
    ) -> None:
        super().__init__(settings, database, clock, unit_id=unit_id)
        self._catalog = catalog
        self._public = public
        self._areas = AreaTree(settings)
        self._topics = TopicList(settings)
        # The chat's own limit, per resident of each client (or per client when it names nobody).
        self._flood = FloodGuard(settings.limits.messages_per_minute)

    def client(self, api_key: str) -> Open311Client:
        """The client whose key this is; every configured hash is compared, in constant time."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        found = None
        for client in self._settings.open311.clients:
            if hmac.compare_digest(digest, client.api_key_sha256):
                found = client
        if not api_key or found is None:
            raise Open311Error(403, "bad_key")
        return found

    async def submit(self, form: Mapping[str, str], language: str) -> Submitted:
        client = self.client(form.get("api_key", ""))
        account = (form.get("account_id") or form.get("device_id") or "").strip()[:100]
        now = self._clock.now()
        if self._flood.check(f"{OPEN311_CHANNEL}:{client.name}:{account}", now) != "ok":
            raise Open311Error(429, "too_many")
        topic_id = self._topic(form)
        text = self._text(form)
        latitude, longitude = _location(form)
        address = clean(form.get("address_string", ""))[:300] or None
        area_id = (form.get("address_id") or "").strip() or None
        if latitude is None and address is None and area_id is None:
            raise Open311Error(400, "no_location")
        name, phone = self._contact(form)
        media_url = (form.get("media_url") or "").strip() or None
        if media_url is not None and not _MEDIA_URL.match(media_url):
            raise Open311Error(400, "bad_media_url")
        async with self._database.transaction() as connection:
            meeting = await self._meeting(MeetingRepository(connection, self._unit_id), form.get("meeting_id", ""))
            area_id = self._area(area_id, meeting)
            # Each account of a client is one resident; a request naming none is a resident of its own.
            user = f"{client.name}:{account or 'request:' + uuid.uuid4().hex}"
            resident = await ResidentRepository(connection, self._unit_id).get_or_create(OPEN311_CHANNEL, user, language, now)
            concern = await ConcernRepository(connection, self._unit_id).submit(
                NewConcern(
                    draft_key=f"{OPEN311_CHANNEL}:{client.name}:{uuid.uuid4().hex}", meeting_id=meeting.id,
                    area_id=area_id, topic_id=topic_id, text=text, text_folded=fold(text), author_id=resident.id,
                    language=language, contact_name=name, contact_phone=phone, latitude=latitude, longitude=longitude,
                ),
                self._settings.unit.code_prefix, now,
            )
            await ConcernSourceRepository(connection).record(
                concern.id, ConcernSource(OPEN311_CHANNEL, client.name, now, address, media_url))
            await AuditRepository(connection).record(
                actor=f"{OPEN311_CHANNEL}:{client.name}", action="open311.submit", subject=f"concern:{concern.code}",
                now=now, after={"meeting": meeting.id, "topic": topic_id, "area": area_id},
            )
        public = await self._public.concern(concern.code, language)
        assert public is not None
        notice = self._catalog.t(language, "open311.notice", code=concern.code, title=meeting.title,
                                 when=format_local(meeting.starts_at, self._settings.zone), place=meeting.place)
        return Submitted(public, notice)

    def _topic(self, form: Mapping[str, str]) -> str:
        code = (form.get("service_code") or "").strip()
        if not code:
            raise Open311Error(400, "no_service_code")
        if self._topics.get(code) is None:
            raise Open311Error(404, "unknown_service_code", code=code[:40])
        return code

    def _text(self, form: Mapping[str, str]) -> str:
        """The chat's rule for a concern's words (bot/domain/concern_text.py), with its limits."""
        limits = self._settings.limits
        text = clean(form.get("description", ""))
        problem = text_problem(text, limits.text_min_chars, limits.text_max_chars)
        if problem is not None:
            raise Open311Error(400, problem, length=len(text), min=limits.text_min_chars, max=limits.text_max_chars)
        return text

    def _contact(self, form: Mapping[str, str]) -> tuple[str | None, str | None]:
        """Name and number for staff to call back (never public), checked as the chat checks them."""
        name = clean(" ".join(part for part in (form.get("first_name", ""), form.get("last_name", "")) if part)) or None
        if name is not None and not acceptable_name(name, self._settings.limits.name_max_chars):
            raise Open311Error(400, "bad_name", max=self._settings.limits.name_max_chars)
        raw = (form.get("phone") or "").strip()
        if not raw:
            return name, None
        phone = normalise_phone(raw)
        if phone is None:
            raise Open311Error(400, "bad_phone")
        return name, phone

    async def _meeting(self, meetings: MeetingRepository, chosen: str) -> Meeting:
        now = self._clock.now()
        accepting = await meetings.list_accepting(now)
        if chosen.strip():
            wanted = [m for m in accepting if str(m.id) == chosen.strip()]
            if not wanted:
                raise Open311Error(400, "meeting_closed", id=chosen.strip()[:12])
            return wanted[0]
        if not accepting:
            raise Open311Error(400, "no_meeting")
        if len(accepting) > 1:
            raise Open311Error(400, "which_meeting", ids=", ".join(str(m.id) for m in accepting))
        return accepting[0]

    def _area(self, area_id: str | None, meeting: Meeting) -> str:
        if area_id is None:
            return meeting.area_id
        if self._areas.get(area_id) is None:
            raise Open311Error(404, "unknown_address_id", id=area_id[:40])
        if not self._areas.is_within(area_id, meeting.area_id):
            raise Open311Error(400, "outside_meeting", id=area_id[:40])
        return area_id


def _location(form: Mapping[str, str]) -> tuple[float | None, float | None]:
    raw_lat, raw_long = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not raw_lat and not raw_long:
        return None, None
    try:
        latitude, longitude = float(raw_lat), float(raw_long)
    except ValueError:
        raise Open311Error(400, "bad_location") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude) and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Open311Error(400, "bad_location")
    return latitude, longitude
