"""What every after-the-meeting service of one unit shares: its settings, clock and lookups.

Recording answers, publishing them, following forwarded concerns, carrying concerns over,
the results report and the statistics are separate services; each is scoped to one unit
(`unit_id`, the config's unit unless told otherwise) and refuses with `AnswerError`.
"""

from __future__ import annotations


from bot.domain.records import Concern, Meeting
from bot.domain.refusal import Refusal
from bot.domain.textnorm import cut_at_word
from bot.services.lookup import concern_or_refuse
from bot.services.unit import UnitService
from storage.concerns import ConcernRepository
from storage.meetings import MeetingRepository


class AnswerError(Refusal):
    """Why an answer, a publish or a carry-over was refused, for staff (a catalog key under [refusal])."""


class AfterMeeting(UnitService):
    """The base of the after-the-meeting services: their lookups refuse with AnswerError."""

    async def _meeting(self, meetings: MeetingRepository, meeting_id: int) -> Meeting:
        meeting = await meetings.get(meeting_id)
        if meeting is None:
            raise AnswerError("refusal.no_meeting", id=meeting_id)
        return meeting

    async def _concern(self, concerns: ConcernRepository, code: str) -> Concern:
        return await concern_or_refuse(concerns, code, self._settings.unit.code_prefix, AnswerError)


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at the end with an ellipsis."""
    return cut_at_word(text, limit)
