"""The statistics as charts: horizontal bars drawn on the server as inline SVG (templates/_charts.html).

No chart library and no script: the page's strict CSP allows none inline, and bars need none.
Each chart has a title and a description for screen readers, and its numbers again in a
table beside it. Only the geometry is worked out here; the numbers are the service's (Stats).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.services.statistics import Stats
from handlers.web.render import Words

WIDTH = 640  # the SVG's own units; it is drawn at the width of its card
ROW = 40  # a label above each bar
BAR = 14
VALUE_ROOM = 110  # room after the longest bar for "1234 (56%)"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: int  # of the chart's total, in whole percent
    width: float
    top: float
    kind: str  # a CSS class: the colour of what it counts


@dataclass(frozen=True)
class Chart:
    key: str  # the element ids: chart-KEY, chart-KEY-title, chart-KEY-desc
    title: str
    description: str
    bars: tuple[Bar, ...]
    total: int

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW


def chart(key: str, title: str, description: str, counts: list[tuple[str, int, str]]) -> Chart:
    """Bars for (label, count, kind), each as long as its share of the largest."""
    total = sum(n for _, n, _ in counts)
    largest = max((n for _, n, _ in counts), default=0)
    bars = tuple(
        Bar(label, n, round(100 * n / total) if total else 0,
            round((WIDTH - VALUE_ROOM) * n / largest, 1) if largest else 0.0, row * ROW, kind)
        for row, (label, n, kind) in enumerate(counts)
    )
    return Chart(key, title, description, bars, total)


def charts(stats: Stats, words: Words) -> tuple[Chart, ...]:
    """The five charts of issue 12: by topic, area and outcome, forwarded concerns answered on
    time, and residents' satisfaction."""
    t = words.t

    def plain(pairs: tuple[tuple[str, int], ...], name: Callable[[str], str]) -> list[tuple[str, int, str]]:
        return [(name(key), n, "plain") for key, n in pairs]

    return (
        chart("topic", t("statistics.by_topic"), t("statistics.by_topic_desc", total=stats.concerns),
              plain(stats.by_topic, words.topic)),
        chart("area", t("statistics.by_area"), t("statistics.by_area_desc", total=stats.concerns),
              plain(stats.by_area, words.area_path)),
        chart("disposition", t("statistics.by_disposition"),
              t("statistics.by_disposition_desc", total=sum(n for _, n in stats.by_disposition)),
              [(words.disposition(key), n, f"disposition-{key}") for key, n in stats.by_disposition]),
        chart("on-time", t("statistics.on_time"), t("statistics.on_time_desc", total=stats.forwarded), [
            (t("statistics.answered_on_time"), stats.forwarded_on_time, "good"),
            (t("statistics.answered_late"), stats.forwarded_late, "late"),
            (t("statistics.waiting"), stats.forwarded_waiting, "waiting"),
            (t("statistics.overdue"), stats.forwarded_overdue, "bad"),
        ] if stats.forwarded else []),
        chart("satisfaction", t("statistics.satisfaction"),
              t("statistics.satisfaction_desc", total=stats.satisfied + stats.unsatisfied), [
            (t("statistics.satisfied"), stats.satisfied, "good"),
            (t("statistics.unsatisfied"), stats.unsatisfied, "bad"),
        ] if stats.satisfied + stats.unsatisfied else []),
    )
