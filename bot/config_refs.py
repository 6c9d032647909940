"""The checks of a config across its tables: areas and their parents, ids, the levels of the
tree, the areas of group heads. They read the tables as the TOML file gives them, so that they
can run also when other keys are wrong and check-config names every problem in one run."""

from __future__ import annotations

from typing import Any


def reference_problems(data: dict[str, Any]) -> list[str]:
    """What the areas, topics and group heads say of each other, every problem found.

    Works on the file's tables as read (also when other keys are wrong, so that one run of
    check-config names everything) and on a validated config; entries it cannot read are
    left to the other checks."""
    areas = [a for a in tables_of(data.get("areas")) if isinstance(a.get("id"), str)]
    parents = {a["id"]: a.get("parent") if isinstance(a.get("parent"), str) else None for a in areas}
    problems = _duplicates("areas", "area", tables_of(data.get("areas")))
    problems += _duplicates("topics", "topic", tables_of(data.get("topics")))
    for index, area in enumerate(tables_of(data.get("areas"))):
        parent = area.get("parent")
        if isinstance(parent, str) and parent not in parents:
            problems.append(f"areas[{index}].parent{named('area', area)}: unknown area {parent!r}")
        elif isinstance(area.get("id"), str) and _in_cycle(parents, area["id"]):
            problems.append(f"areas[{index}].parent{named('area', area)}: area {area['id']!r} is its own ancestor")
    unit = data.get("unit")
    levels = unit.get("levels") if isinstance(unit, dict) else None
    if parents and isinstance(levels, list):
        depth = max(_depth(parents, area_id) for area_id in parents)
        if depth > len(levels):
            problems.append(
                f"unit.levels: the area tree is {depth} levels deep but only {len(levels)} level names are given"
            )
    staff = data.get("staff")
    heads = tables_of(staff.get("group_heads")) if isinstance(staff, dict) else []
    for index, head in enumerate(heads):
        wanted = head.get("areas")
        for area_id in wanted if isinstance(wanted, list) else []:
            if area_id not in parents:
                problems.append(f"staff.group_heads[{index}].areas: unknown area {area_id!r}")
    return problems


def tables_of(value: object) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def named(kind: str, table: dict[str, Any]) -> str:
    """The entry's own id next to its index: staff find "kp1-t9" in the file, not "the 3rd"."""
    ident = table.get("id")
    return f" ({kind} {ident!r})" if isinstance(ident, str) else ""


def _duplicates(key: str, kind: str, tables: list[dict[str, Any]]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, table in enumerate(tables):
        ident = table.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            problems.append(f"{key}[{index}].id: duplicate id {ident!r}")
        seen.add(ident)
    return problems


def _in_cycle(parents: dict[str, str | None], area_id: str) -> bool:
    seen = {area_id}
    current = parents.get(area_id)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _depth(parents: dict[str, str | None], area_id: str) -> int:
    depth = 1
    current = parents.get(area_id)
    seen = {area_id}
    while current is not None and current not in seen:
        seen.add(current)
        depth += 1
        current = parents.get(current)
    return depth
