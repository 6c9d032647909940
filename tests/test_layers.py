"""The layering test: reads every import of the application and fails on any arrow that points up.

    handlers/                      platform adapters            (top)
    bot.app, bot.__main__, bot.cli the composition root
    bot.router, bot.channels       which feature an event is for; what a channel declares
    bot.resident, bot.staff        features: the dialogue and the staff chat
    bot.services                   the one service layer
    bot.documents, bot.outbox      what services hand their work to
    storage/                       repositories and migrations
    bot.domain, bot.text, bot.config, bot.clock, bot.logsetup   records, vocabulary, settings

An import may point to its own layer's package or to any layer below it. Two features of the
same layer never import each other. `storage` imports nothing of ours but `bot.domain`. The
staff chat and the CLI only parse, call a service and render: they do not use storage (the
CLI opens the database it hands to the services).
Platform libraries are imported only by `handlers/` and the composition root, and the office
file libraries only by `bot.documents`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "handlers", "storage")

# The layer of each of our packages; the longest matching prefix wins.
LAYERS: dict[str, int] = {
    "handlers": 8,
    "handlers.web": 8,  # the staff console: a surface over the services, like the staff chat
    "bot.app": 7,
    "bot.__main__": 7,
    "bot.cli": 7,
    "bot.router": 6,
    "bot.channels": 6,  # what a channel declares to the composition root
    "bot.chat_turns": 6,  # how channels order one chat's events
    "bot.resident": 5,
    "bot.staff": 5,
    "bot.services": 4,
    "bot.documents": 3,
    "bot.outbox": 3,
    "storage": 2,
    "bot.domain": 1,
    "bot.text": 1,
    "bot.config": 1,
    "bot.clock": 1,
    "bot.logsetup": 1,
    "bot": 1,  # bot/__init__.py
}
# Layers whose packages are features: they do not import each other's internals.
FEATURE_LAYERS = frozenset({5, 3})
COMPOSITION_ROOT = 7
# Surfaces that only parse, call a service and render: what they may take from storage.
SERVICES_ONLY: dict[str, frozenset[str]] = {
    "bot.staff": frozenset(),
    "bot.cli": frozenset({"storage.db"}),  # to open the database it hands to the services
    "bot.__main__": frozenset(),
    "handlers.web": frozenset(),
}

PLATFORM_LIBRARIES = frozenset({"telegram", "aiohttp", "httpx", "jinja2", "aiohttp_jinja2"})
OFFICE_LIBRARIES = frozenset({"docx", "openpyxl", "fpdf", "segno"})


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[Import]:
    module = _module_name(path)
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(Import(module, node.module, node.lineno))
            # `from bot.domain import similar` imports the submodule bot.domain.similar
            found.extend(Import(module, f"{node.module}.{alias.name}", node.lineno) for alias in node.names)
    return found


def _all_imports() -> list[Import]:
    files = [p for package in OURS for p in sorted((ROOT / package).rglob("*.py"))]
    return [i for path in files for i in _imports(path)]


def _package(dotted: str) -> str | None:
    """The key of LAYERS that `dotted` belongs to, or None when it is not one of ours."""
    if dotted.split(".")[0] not in OURS:
        return None
    best = None
    for prefix in LAYERS:
        if dotted == prefix or dotted.startswith(prefix + "."):
            if best is None or len(prefix) > len(best):
                best = prefix
    return best


def _is_ours_module(dotted: str) -> bool:
    """Whether an import target names one of our modules (not a name inside one)."""
    path = ROOT / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


IMPORTS = _all_imports()


def test_the_reader_finds_the_application_and_its_imports() -> None:
    modules = {i.module for i in IMPORTS}
    assert {"bot.app", "storage.db", "bot.services.answers"} <= modules
    assert any(i.target.startswith("telegram") for i in IMPORTS if i.module.startswith("handlers.telegram"))


def test_every_module_of_ours_has_a_layer() -> None:
    unplaced = sorted({i.module for i in IMPORTS if _package(i.module) is None})
    assert not unplaced, f"modules with no layer in LAYERS: {unplaced}"


def _upward(imp: Import) -> str | None:
    return _judge(imp) if _is_ours_module(imp.target) else None


def _judge(imp: Import) -> str | None:
    """What is wrong with one import of ours, or None."""
    source, target = _package(imp.module), _package(imp.target)
    if source is None or target is None:
        return None
    if source in SERVICES_ONLY and target == "storage" and imp.target not in SERVICES_ONLY[source]:
        return f"{imp} (a surface calls services; it does not use storage)"
    source_layer, target_layer = LAYERS[source], LAYERS[target]
    if source_layer == COMPOSITION_ROOT or source == target:
        return None
    if target_layer > source_layer:
        return f"{imp} (layer {source_layer} → {target_layer}: points up)"
    if target_layer == source_layer and source_layer in FEATURE_LAYERS:
        return f"{imp} (one feature into another's internals)"
    if source == "storage" and not (target == "storage" or target == "bot.domain"):
        return f"{imp} (storage imports nothing of ours but bot.domain)"
    return None


def test_no_arrow_points_up() -> None:
    problems = [p for p in map(_upward, IMPORTS) if p]
    assert not problems, "\n".join(problems)


def test_platform_libraries_only_in_handlers_and_the_composition_root() -> None:
    problems = [
        str(i) for i in IMPORTS
        if i.target.split(".")[0] in PLATFORM_LIBRARIES
        and LAYERS.get(_package(i.module) or "", 0) < COMPOSITION_ROOT
    ]
    assert not problems, "\n".join(problems)


def test_office_file_libraries_only_in_documents() -> None:
    problems = [
        str(i) for i in IMPORTS
        if i.target.split(".")[0] in OFFICE_LIBRARIES and _package(i.module) != "bot.documents"
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "target", "wrong"),
    [
        ("storage.concerns", "bot.services.answers", True),
        ("storage.concerns", "bot.domain.records", False),
        ("bot.domain.records", "storage.db", True),
        ("bot.services.answers", "bot.staff.desk", True),
        ("bot.resident.dialogue", "bot.staff.desk", True),
        ("bot.services.agenda", "bot.documents.agenda", False),
        ("bot.app", "handlers.telegram", False),
        ("bot.staff.desk", "bot.services.audit", False),
        ("bot.staff.desk", "storage.audit", True),
        ("bot.cli.db", "storage.db", False),
        ("bot.cli.audit", "storage.audit", True),
        ("bot.documents.agenda", "bot.outbox.dispatcher", True),
        ("handlers.web.pages", "bot.services.triage", False),
        ("handlers.web.pages", "storage.concerns", True),
    ],
)
def test_the_rules_judge_known_arrows(module: str, target: str, wrong: bool) -> None:
    assert (_judge(Import(module, target, 1)) is not None) is wrong
