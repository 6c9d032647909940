"""The area tree (ward -> khu phố -> tổ dân phố …) and the topic list, from the config."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    name_en: str | None
    parent: str | None
    depth: int

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    name_en: str | None
    agency: str

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class AreaTree:
    def __init__(self, settings: Settings) -> None:
        parents = {a.id: a.parent for a in settings.areas}
        self._areas = {
            a.id: Area(a.id, a.name, a.name_en, a.parent, _depth(parents, a.id)) for a in settings.areas
        }
        self._children: dict[str | None, list[str]] = {}
        for area in settings.areas:
            self._children.setdefault(area.parent, []).append(area.id)
        self._levels = settings.unit.levels
        self._levels_en = settings.unit.levels_en or settings.unit.levels

    @property
    def roots(self) -> list[Area]:
        return [self._areas[i] for i in self._children.get(None, [])]

    def get(self, area_id: str | None) -> Area | None:
        return None if area_id is None else self._areas.get(area_id)

    def children(self, area_id: str | None) -> list[Area]:
        return [self._areas[i] for i in self._children.get(area_id, [])]

    def is_within(self, area_id: str, ancestor_id: str) -> bool:
        current: str | None = area_id
        while current is not None:
            if current == ancestor_id:
                return True
            current = self._areas[current].parent
        return False

    def descendants(self, area_id: str) -> list[str]:
        """The area and everything below it."""
        found = [area_id]
        for child in self._children.get(area_id, []):
            found.extend(self.descendants(child))
        return found

    def ancestors(self, area_id: str) -> list[str]:
        """Everything above the area, nearest first."""
        found = []
        current = self._areas[area_id].parent
        while current is not None:
            found.append(current)
            current = self._areas[current].parent
        return found

    def nearness(self, area_id: str, other_id: str) -> int:
        """How far `other_id` is from `area_id`: 0 the same area, 1 under the same parent (the
        same khu phố), and so on up to the levels between `area_id` and the unit."""
        if area_id == other_id:
            return 0
        mine = [area_id, *self.ancestors(area_id)] if area_id in self._areas else [area_id]
        theirs = {other_id, *self.ancestors(other_id)} if other_id in self._areas else {other_id}
        for steps, ancestor in enumerate(mine):
            if ancestor in theirs:
                return steps
        return len(mine)

    def level_name(self, area: Area, language: str) -> str:
        names = self._levels_en if language == "en" else self._levels
        return names[min(area.depth, len(names)) - 1]

    def path_label(self, area_id: str, language: str) -> str:
        """'Tổ dân phố 5, Khu phố 2, Phường Tân Hòa': nearest first, as addresses are written."""
        parts = []
        current = self.get(area_id)
        while current is not None:
            parts.append(current.label(language))
            current = self.get(current.parent)
        return ", ".join(parts)


class TopicList:
    def __init__(self, settings: Settings) -> None:
        self._topics = {t.id: Topic(t.id, t.name, t.name_en, t.agency) for t in settings.topics}

    def all(self) -> list[Topic]:
        return list(self._topics.values())

    def get(self, topic_id: str | None) -> Topic | None:
        return None if topic_id is None else self._topics.get(topic_id)


def _depth(parents: dict[str, str | None], area_id: str) -> int:
    depth = 1
    current = parents[area_id]
    while current is not None:
        depth += 1
        current = parents[current]
    return depth
