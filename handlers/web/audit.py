"""The audit log (admins): who did what and when, from the chat, the CLI and the console alike,
refusals included; filtered by person, kind of action and days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.config import Settings
from bot.domain.identity import StaffMember
from bot.domain.vocabulary import Role
from bot.services.audit import AuditQuery, AuditService
from bot.services.web_login import web_actor
from handlers.web.guard import needs
from handlers.web.meetings import query_without_page
from handlers.web.render import Renderer

# The kinds of action the filter offers: an action's first word, as the services name them.
KINDS = ("concern", "meeting", "agenda", "answers", "outbox", "web")


class AuditPages:
    def __init__(self, audit: AuditService, renderer: Renderer, settings: Settings) -> None:
        self._audit = audit
        self._renderer = renderer
        self._zone = settings.zone
        self._people = {_key(member): member for member in settings.staff.everyone()}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/audit", self.show)]

    @needs(Role.ADMIN)
    async def show(self, request: web.Request) -> web.Response:
        query = request.query
        page = query.get("page", "1")
        found = await self._audit.search(
            self._wanted(query), int(page) if page.isdecimal() and len(page) < 7 else 1)
        return self._renderer.page(
            request, "audit.html", found=found, kinds=KINDS, query=query_without_page(query),
            people=[(key, member.name or key) for key, member in self._people.items()],
            chosen={name: query.get(name, "") for name in ("who", "what", "from", "to")},
        )

    def _wanted(self, query: Mapping[str, str]) -> AuditQuery:
        who = query.get("who", "").strip()
        member = self._people.get(who)
        # A member of staff is every identity they have, in the chat and in the console; anyone
        # else (cli:…, sandbox) is the actor as written.
        actors = _actors(member) if member else ((who,) if who else ())
        what = query.get("what", "")
        return AuditQuery(
            actors=actors,
            action=what if what in KINDS else None,
            since=_day_start(query.get("from", ""), self._zone),
            until=_day_start(query.get("to", ""), self._zone, next_day=True),
        )


def _key(member: StaffMember) -> str:
    first = min(member.identities, key=lambda i: (i.channel, i.user_id))
    return f"{first.channel}:{first.user_id}"


def _actors(member: StaffMember) -> tuple[str, ...]:
    return tuple(a for i in sorted(member.identities, key=lambda i: (i.channel, i.user_id))
                 for a in (f"{i.channel}:{i.user_id}", web_actor(i)))


def _day_start(raw: str, zone: ZoneInfo, next_day: bool = False) -> datetime | None:
    """The start of a day typed as dd/mm/yyyy (or yyyy-mm-dd) in the unit's zone, or of the day after;
    None (no bound) for anything else."""
    day: date | None = None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(raw.strip(), pattern).date()
            break
        except ValueError:
            continue
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time(), zone)
