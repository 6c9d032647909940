"""Size as a symptom: a module, class or function that grew past its limit is probably two ideas.

Limits: a module of about 500 lines, a class of 350, a function of 80. Where one must be
longer, a comment `# long: <why>` on the line above the `def`/`class` (or in the first
lines of the module) says why, and this test lets it be.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("bot", "handlers", "storage", "tests/fakebotapi")
MODULE_LINES = 500
CLASS_LINES = 350
FUNCTION_LINES = 80
MARK = "# long:"
MODULE_MARK_LINES = 10


def _files() -> list[Path]:
    found: list[Path] = []
    for name in CHECKED:
        path = ROOT / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else []
    return found


def _explained(lines: list[str], definition: ast.AST) -> bool:
    first = min([definition.lineno] + [d.lineno for d in getattr(definition, "decorator_list", [])])
    above = lines[first - 2] if first >= 2 else ""
    return above.strip().startswith(MARK)


def _oversized(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text("utf-8")
    lines = text.splitlines()
    where = path.relative_to(root)
    found = []
    if len(lines) > MODULE_LINES and not any(MARK in line for line in lines[:MODULE_MARK_LINES]):
        found.append(f"{where}: module of {len(lines)} lines (limit {MODULE_LINES})")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.ClassDef):
            limit = CLASS_LINES
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            limit = FUNCTION_LINES
        else:
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > limit and not _explained(lines, node):
            found.append(f"{where}:{node.lineno}: {node.name} is {length} lines (limit {limit})")
    return found


def test_the_checker_sees_the_application() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _files()}
    assert {"bot/app.py", "storage/db.py", "handlers/console.py"} <= names


def test_the_checker_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES + 1))
    long = tmp_path / "long.py"
    long.write_text(f"def f():\n{body}\n", "utf-8")
    explained = tmp_path / "explained.py"
    explained.write_text(f"# long: a table that reads best in one piece\ndef f():\n{body}\n", "utf-8")
    assert _oversized(long, tmp_path) and not _oversized(explained, tmp_path)


def test_no_module_class_or_function_is_over_its_limit() -> None:
    problems = [p for path in _files() for p in _oversized(path)]
    assert not problems, "\n".join(problems)
