"""Data flows one way (DESIGN 9): a stage never imports a stage downstream of it.

Every import of every module is read from its source, lazy imports inside functions too. The
table holds the packages moved so far (issue 13); the rest of the layout adds its rows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "replaycase"

FORBIDDEN: dict[str, set[str]] = {
    "redact": {"importers", "scaffold", "case", "replay", "results", "report", "project", "cli"},
    "results": {"importers", "scaffold", "replay", "report", "project", "cli"},
    "project": {"replay", "report", "scaffold", "cli"},
    "replay": {"scaffold", "report", "cli"},
    "report": {"replay", "scaffold", "project", "cli"},
    "_safe_files": {"importers", "scaffold", "case", "replay", "results", "report", "cli"},
}


def _stage(module: tuple[str, ...]) -> str:
    """The top-level stage of a module path inside the package: ('replay', 'suite') -> replay."""
    return module[0] if module else ""


def _imports(path: Path) -> set[str]:
    """The stages a module imports from, relative and absolute imports alike."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    here = parts[:-1]  # the package a relative import starts from, for __init__ too
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - node.level + 1]
            target = (*base, *(node.module.split(".") if node.module else ()))
            if node.module is None:  # from . import x: each name is a module of base
                found |= {_stage((*base, alias.name)) for alias in node.names}
            else:
                found.add(_stage(target))
        elif isinstance(node, ast.ImportFrom) and node.module \
                and node.module.startswith("replaycase."):
            found.add(_stage(tuple(node.module.split(".")[1:])))
        elif isinstance(node, ast.Import):
            found |= {_stage(tuple(a.name.split(".")[1:])) for a in node.names
                      if a.name.startswith("replaycase.")}
    return found


def _modules_of(stage: str) -> list[Path]:
    folder = PACKAGE / stage
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{stage}.py"]


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_a_stage_imports_nothing_downstream(stage: str) -> None:
    modules = _modules_of(stage)
    assert modules and all(m.is_file() for m in modules)
    wrong = {m.relative_to(PACKAGE).as_posix(): sorted(_imports(m) & FORBIDDEN[stage])
             for m in modules}
    assert not {m: w for m, w in wrong.items() if w}


def test_the_reader_sees_relative_and_lazy_imports() -> None:
    replay = PACKAGE / "replay" / "case_run.py"
    assert {"case", "redact", "results"} <= _imports(replay)
    cli = PACKAGE / "cli"  # imported inside commands
    assert "scaffold" in _imports(cli / "_cases.py")
    assert {"replay", "report"} <= _imports(cli / "_replay.py")
