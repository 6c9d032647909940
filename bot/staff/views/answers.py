"""Answers, publishing, follow-up and figures as the staff chat shows them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.messages import Document, Reply
from bot.domain.records import Concern, Meeting
from bot.domain.vocabulary import ConcernStatus
from bot.services.answers import ImportReport
from bot.services.followup import FollowUp
from bot.services.publishing import PublishReport, RouteCounts
from bot.services.statistics import Stats
from bot.staff.views.wording import Wording, short

PROBLEMS_SHOWN = 30  # of a refused sheet: enough to fix the worst, short enough for one message
UNANSWERED_SHOWN = 40


def recorded(words: Wording, concerns: Sequence[Concern]) -> list[Reply]:
    return words.say("staff.answer_recorded", codes=", ".join(c.code for c in concerns))


def imported(words: Wording, meeting: Meeting, report: ImportReport) -> list[Reply]:
    if report.problems:
        shown = "\n".join(f"• {words.refusal(p)}" for p in report.problems[:PROBLEMS_SHOWN])
        return words.say("staff.import_refused", count=len(report.problems), problems=shown)
    return words.say("staff.imported", applied=report.applied, unchanged=report.unchanged, id=meeting.id)


def published(words: Wording, meeting: Meeting, report: PublishReport) -> list[Reply]:
    replies = words.say("staff.published", id=meeting.id, queued=report.queued, concerns=report.concerns)
    if report.unanswered:
        replies += words.say("staff.unanswered", codes=", ".join(report.unanswered[:UNANSWERED_SHOWN]),
                             count=len(report.unanswered))
    return replies


def progress(words: Wording, meeting: Meeting, counts: dict[str, int], routes: RouteCounts | None = None) -> list[Reply]:
    """How far the answers' delivery has got; counts are outbox rows by state, `routes` the ways
    they went on Zalo (said only when any went there)."""
    replies = words.say(
        "staff.progress", id=meeting.id, sent=counts.get("sent", 0),
        pending=counts.get("pending", 0) + counts.get("sending", 0),
        undeliverable=counts.get("undeliverable", 0), failed=counts.get("failed", 0),
    )
    if counts.get("held", 0):
        replies += words.say("staff.progress_held", held=counts["held"])
    if routes is not None and routes.any:
        replies += words.say("staff.progress_routes", **routes.values())
    return replies


def follow_ups(words: Wording, items: Sequence[FollowUp]) -> list[Reply]:
    if not items:
        return words.say("staff.followup_none")
    lines = [words.t("staff.followup_header", count=len(items))]
    for entry in items:
        due = entry.answer.due_date.strftime("%d/%m/%Y") if entry.answer.due_date else "—"
        lines.append(words.t(
            "staff.followup_overdue" if entry.overdue else "staff.followup_line",
            code=entry.concern.code, agency=entry.answer.agency, due=due, text=short(words.quote(entry.concern.text), 70),
        ))
    return [Reply("\n".join(lines))]


def finalised(words: Wording, concern: Concern) -> list[Reply]:
    return words.say("staff.finalised", code=concern.code)


def carried(words: Wording, code: str, carried_as: Concern) -> list[Reply]:
    return words.say("staff.carried", code=code.upper(), new=carried_as.code, id=carried_as.meeting_id)


def statistics(words: Wording, stats: Stats) -> list[Reply]:
    rate = "—" if stats.on_time_rate is None else f"{stats.on_time_rate:.0%}"
    return words.say(
        "staff.stats", received=stats.received, concerns=stats.concerns, residents=stats.residents,
        # Every concern received, each as what became of it (a rejected one too), as the CLI does.
        standing=", ".join(f"{words.t(status.catalog_key)}: {stats.with_status(status)}" for status in ConcernStatus),
        topics=words.counts(stats.by_topic, words.topic),
        areas=words.counts(stats.by_area, words.area),
        dispositions=words.counts(stats.by_disposition, lambda d: words.t("disposition." + d)),
        forwarded=stats.forwarded, on_time=stats.forwarded_on_time, late=stats.forwarded_late,
        open=stats.forwarded_open, overdue=stats.forwarded_overdue, rate=rate,
        satisfied=stats.satisfied, unsatisfied=stats.unsatisfied,
    )


def results_file(words: Wording, meeting: Meeting, filename: str, content: bytes) -> list[Reply]:
    return [Reply(words.t("staff.results_exported", id=meeting.id), document=Document(filename, content))]


def retried(words: Wording, count: int) -> list[Reply]:
    return words.say("staff.retried", count=count)
