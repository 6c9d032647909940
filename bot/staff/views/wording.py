"""How the staff chat words things: catalog sentences in Vietnamese, local times, names for ids.

The staff chat is the office's own group, so it is always answered in Vietnamese.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.clock import format_local
from bot.config import Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.codes import format_code
from bot.domain.messages import Reply
from bot.domain.redaction import Masks, redact
from bot.domain.refusal import Refusal
from bot.domain.textnorm import cut_at_word
from bot.text import Catalog

STAFF_LANGUAGE = "vi"


class Wording:
    def __init__(self, catalog: Catalog, settings: Settings, topics: TopicList, areas: AreaTree) -> None:
        self.catalog = catalog
        self.settings = settings
        self._topics = topics
        self._areas = areas

    def t(self, key: str, **values: object) -> str:
        return self.catalog.t(STAFF_LANGUAGE, key, **values)

    def quote(self, text: str) -> str:
        """A resident's text as the staff group may read it: every member sees it, so numbers and
        e-mail addresses are masked (staff reach the resident through the contact, in private)."""
        return redact(text, Masks(phone=self.t("redaction.phone"), email=self.t("redaction.email")))

    def say(self, key: str, **values: object) -> list[Reply]:
        """One reply of one sentence: what most staff commands answer."""
        return [Reply(self.t(key, **values))]

    def refusal(self, refusal: Refusal) -> str:
        return refusal.render(self.catalog, STAFF_LANGUAGE)

    def when(self, instant: datetime) -> str:
        return format_local(instant, self.settings.zone)

    def code(self, concern_id: int) -> str:
        return format_code(self.settings.unit.code_prefix, concern_id)

    def topic(self, topic_id: str) -> str:
        topic = self._topics.get(topic_id)
        return topic.name if topic else topic_id

    def area(self, area_id: str) -> str:
        area = self._areas.get(area_id)
        return area.name if area else area_id

    def counts(self, pairs: tuple[tuple[str, int], ...], name: Callable[[str], str]) -> str:
        """'Name: n, Name: n' for a breakdown, or a dash when there is nothing to break down."""
        return ", ".join(f"{name(key)}: {n}" for key, n in pairs) or "—"


def short(text: str, limit: int) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis."""
    return cut_at_word(text, limit)
