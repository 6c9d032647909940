"""What happened at a unit's meetings, in numbers: concerns, residents, answers, agencies, satisfaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.services.after_meeting import AfterMeeting
from storage.answers import AnswerRepository, SatisfactionRepository
from storage.concerns import ConcernRepository


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

    @property
    def on_time_rate(self) -> float | None:
        closed = self.forwarded_on_time + self.forwarded_late
        return None if closed == 0 else self.forwarded_on_time / closed


class StatisticsService(AfterMeeting):
    async def stats(self, meeting_id: int | None = None) -> Stats:
        today = self._today()
        async with self._database.transaction() as connection:
            concerns = ConcernRepository(connection, self._unit_id)
            all_concerns = await concerns.all(meeting_id)
            answers = {a.concern_id: a for a in await AnswerRepository(connection, self._unit_id).all(meeting_id)}
            satisfaction = await SatisfactionRepository(connection, self._unit_id).counts(meeting_id)
            residents = await concerns.count_residents(meeting_id)
        counted = [c for c in all_concerns if c.status.counted and c.merged_into is None]
        forwarded = [a for a in answers.values() if a.disposition.awaits_final_answer]
        closed = [a for a in forwarded if a.final_at is not None]
        on_time = [a for a in closed if a.due_date is None or a.final_at.astimezone(self._settings.zone).date() <= a.due_date]  # type: ignore[union-attr]
        still_open = [a for a in forwarded if a.final_at is None]
        return Stats(
            concerns=len(counted),
            residents=residents,
            by_topic=_counted(c.topic_id for c in counted),
            by_area=_counted(c.area_id for c in counted),
            by_disposition=_counted(a.disposition for a in answers.values()),
            forwarded=len(forwarded),
            forwarded_on_time=len(on_time),
            forwarded_late=len(closed) - len(on_time),
            forwarded_open=len(still_open),
            forwarded_overdue=sum(1 for a in still_open if a.overdue_on(today)),
            satisfied=satisfaction.get(True, 0),
            unsatisfied=satisfaction.get(False, 0),
        )


def _counted(values: object) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))  # type: ignore[arg-type]
