"""What every service of one unit holds: the unit it serves, its settings, database and clock.

Each service is scoped to one unit (`unit_id`, the config's unit unless told otherwise): it
reads and writes only that unit's records, so several units can share a database.
"""

from __future__ import annotations

from datetime import date

from bot.clock import Clock
from bot.config import Settings
from storage.db import Database


class UnitService:
    def __init__(self, settings: Settings, database: Database, clock: Clock, *, unit_id: str | None = None) -> None:
        self._settings = settings
        self._unit_id = settings.unit.id if unit_id is None else unit_id
        self._database = database
        self._clock = clock

    def _today(self) -> date:
        """Today in the unit's time zone."""
        return self._clock.now().astimezone(self._settings.zone).date()
