"""Which part of the bot an event is for: the staff desk or the resident dialogue."""

from __future__ import annotations

from bot.domain.messages import Inbound, Reply
from bot.resident.dialogue import Intake
from bot.staff.desk import StaffDesk


class Router:
    def __init__(self, intake: Intake, desk: StaffDesk) -> None:
        self._intake = intake
        self._desk = desk

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if self._desk.claims(inbound):
            return await self._desk.handle(inbound)
        if inbound.group:
            # Groups other than the staff chat are not where residents talk to the bot.
            return []
        return await self._intake.handle(inbound)
