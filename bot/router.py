"""Which part of the bot an event is for: the staff desk or the resident dialogue.

One flood guard covers both: a resident's messages are counted by the dialogue (which
answers in the resident's language), everything for the staff desk — commands, buttons,
the staff group's messages — here, so nobody gets 500 answers to 500 commands.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.messages import Inbound, Reply
from bot.resident.dialogue import Intake
from bot.services.flood import FloodGuard
from bot.staff.desk import StaffDesk
from bot.text import Catalog

# The staff desk answers in Vietnamese, as the office works.
STAFF_LANGUAGE = "vi"


class Router:
    def __init__(self, intake: Intake, desk: StaffDesk, clock: Clock, catalog: Catalog) -> None:
        self._intake = intake
        self._desk = desk
        self._clock = clock
        self._catalog = catalog
        self._flood: FloodGuard = intake.flood

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if self._desk.claims(inbound):
            verdict = self._flood.check(f"{inbound.channel}:{inbound.user_id}", self._clock.now())
            if verdict == "drop":
                return []
            if verdict == "warn":
                return [Reply(self._catalog.t(STAFF_LANGUAGE, "flood"))]
            return await self._desk.handle(inbound)
        if inbound.group:
            # Groups other than the staff chat are not where residents talk to the bot.
            return []
        return await self._intake.handle(inbound)
