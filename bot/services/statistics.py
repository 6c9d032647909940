"""What happened at a unit's meetings, in numbers: concerns, residents, answers, agencies, satisfaction.

One service for the staff chat's /stats, `doithoai stats` and the console's charts, of one
meeting or of every meeting of the unit. SQLite counts (storage/statistics.py); nothing here
holds more than a few grouped rows, whatever the size of the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.domain.vocabulary import ConcernStatus
from bot.services.after_meeting import AfterMeeting
from storage.statistics import ConcernGroup, ForwardedGroup, StatisticsRepository


@dataclass(frozen=True)
class Stats:
    concerns: int
    residents: int
    by_topic: tuple[tuple[str, int], ...]
    by_area: tuple[tuple[str, int], ...]
    by_disposition: tuple[tuple[str, int], ...]
    forwarded: int
    forwarded_on_time: int
    forwarded_late: int
    forwarded_open: int
    forwarded_overdue: int
    satisfied: int
    unsatisfied: int
    # Every concern received, whatever became of it, and how many stand where (ConcernStatus).
    received: int = 0
    by_status: tuple[tuple[str, int], ...] = ()

    @property
    def on_time_rate(self) -> float | None:
        closed = self.forwarded_on_time + self.forwarded_late
        return None if closed == 0 else self.forwarded_on_time / closed

    @property
    def forwarded_waiting(self) -> int:
        """Forwarded, no final answer yet, and not past its due date."""
        return self.forwarded_open - self.forwarded_overdue

    def with_status(self, status: ConcernStatus) -> int:
        return dict(self.by_status).get(status.value, 0)


class StatisticsService(AfterMeeting):
    async def stats(self, meeting_id: int | None = None) -> Stats:
        """Of one meeting, or (None) of every meeting of the unit."""
        async with self._database.transaction() as connection:
            counts = StatisticsRepository(connection, self._unit_id)
            groups = await counts.concern_groups(meeting_id)
            by_disposition = await counts.by_disposition(meeting_id)
            forwarded = await counts.forwarded(meeting_id)
            satisfaction = await counts.satisfaction(meeting_id)
            residents = await counts.residents(meeting_id)
        on_time, late, still_open, overdue = self._follow_up(forwarded)
        statuses: Counter[str] = Counter()
        for group in groups:
            statuses[group.status] += group.count
        by_status = tuple(sorted(statuses.items()))
        # Counted on their own: open or carried, not merged (ConcernStatus.counted).
        counted = [g for g in groups if ConcernStatus(g.status).counted and not g.merged]
        by_topic, by_area = _largest_first(counted, "topic_id"), _largest_first(counted, "area_id")
        return Stats(
            concerns=sum(n for _, n in by_topic),
            residents=residents,
            by_topic=by_topic,
            by_area=by_area,
            by_disposition=by_disposition,
            forwarded=on_time + late + still_open,
            forwarded_on_time=on_time,
            forwarded_late=late,
            forwarded_open=still_open,
            forwarded_overdue=overdue,
            satisfied=satisfaction.get(True, 0),
            unsatisfied=satisfaction.get(False, 0),
            received=sum(n for _, n in by_status),
            by_status=by_status,
        )

    def _follow_up(self, groups: list[ForwardedGroup]) -> tuple[int, int, int, int]:
        """(answered by the due date, answered late, no final answer yet, of those past due)."""
        today = self._today()
        on_time = late = still_open = overdue = 0
        for group in groups:
            if group.final_minute is None:
                still_open += group.count
                if group.due_date is not None and today > group.due_date:
                    overdue += group.count
            elif group.due_date is None or _local_day(group.final_minute, self._settings.zone) <= group.due_date:
                on_time += group.count
            else:
                late += group.count
        return on_time, late, still_open, overdue


def _largest_first(groups: list[ConcernGroup], key: str) -> tuple[tuple[str, int], ...]:
    """(topic or area, count) over the groups, the most first, then by id."""
    totals: Counter[str] = Counter()
    for group in groups:
        totals[getattr(group, key)] += group.count
    return tuple(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def _local_day(utc_minute: str, zone: ZoneInfo) -> date:
    moment = datetime.fromisoformat(utc_minute).replace(tzinfo=UTC)
    return moment.astimezone(zone).date()
