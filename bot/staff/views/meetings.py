"""Meetings as the staff chat shows them: the list, and what creating or changing one did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.messages import Button, Reply
from bot.domain.records import Meeting
from bot.services.meetings import Created
from bot.staff.payloads import QueuePage, ShowAgenda
from bot.staff.views.wording import Wording

# Meetings in these phases take no more triage or agenda work, so they get no buttons.
_FINISHED = ("cancelled", "published")


def meeting_list(words: Wording, meetings: Sequence[tuple[Meeting, dict[str, int]]], now: datetime) -> list[Reply]:
    """Every meeting with its phase and open concerns; `meetings` pairs each with its counts by status."""
    if not meetings:
        return words.say("staff.meetings_none")
    lines = [words.t("staff.meetings_header")]
    buttons = []
    for meeting, counts in meetings:
        phase = meeting.phase(now)
        lines.append(words.t(
            "staff.meeting_line", id=meeting.id, title=meeting.title, when=words.when(meeting.starts_at),
            phase=words.t(f"phase.{phase}"), count=counts.get("open", 0),
        ))
        if phase not in _FINISHED:
            buttons.append((
                Button(words.t("staff.button_queue", id=meeting.id), QueuePage(meeting.id, 1).payload),
                Button(words.t("staff.button_agenda", id=meeting.id), ShowAgenda(meeting.id).payload),
            ))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


def created(words: Wording, done: Created) -> list[Reply]:
    meeting = done.meeting
    return words.say(
        "staff.meeting_created", id=meeting.id, title=meeting.title,
        when=words.when(meeting.starts_at), closes=words.when(meeting.intake_closes_at),
    ) + short_notice(words, done)


def edited(words: Wording, done: Created) -> list[Reply]:
    return words.say("staff.meeting_edited", id=done.meeting.id) + short_notice(words, done)


def announced(words: Wording, done: Created) -> list[Reply]:
    return words.say("staff.meeting_announced", id=done.meeting.id) + short_notice(words, done)


def short_notice(words: Wording, done: Created) -> list[Reply]:
    """A warning when residents get less than the notice the law asks for."""
    return words.say("staff.short_notice") if done.warnings else []


def intake_opened(words: Wording, meeting: Meeting) -> list[Reply]:
    return words.say("staff.intake_opened", id=meeting.id, closes=words.when(meeting.intake_closes_at))


def intake_closed(words: Wording, meeting: Meeting) -> list[Reply]:
    return words.say("staff.intake_closed", id=meeting.id)


def cancelled(words: Wording, meeting: Meeting) -> list[Reply]:
    return words.say("staff.meeting_cancelled", id=meeting.id)
