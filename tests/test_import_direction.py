"""Data flows one way (DESIGN 9, docs/architecture.md): a module imports only stages below its
own, and no module imports itself back through others.

Every import of every module is read from its source, lazy imports inside functions and
``TYPE_CHECKING`` blocks too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "replaycase"

RANKS: dict[str, int] = {
    "errors": 0,
    "_safe_files": 1, "_text": 1, "_validation": 1, "_gcpause": 1, "_bounded_regex": 1,
    "_stdout": 1,
    "_jsonio": 2, "_templating": 2,
    "model": 3,
    "importers": 4, "redact": 4, "results": 4, "project": 4, "runner": 4, "tape": 4,
    "assertions": 5, "freeze": 5,
    "case": 6,
    "scaffolding": 7, "replay": 7, "diff": 7,
    "report": 8, "recording": 8,
    "pytest_plugin": 9, "cli": 9,
    "__main__": 10,
    "__init__": 11,
}
"""The stages in the order data flows through them: a module may import a stage of a lower
rank only (one of the same rank is a sibling: scaffolding and replay never import each other)."""

ALLOWED: dict[str, set[str]] = {
    "report/view.py": {"case"},  # the one enrich step: results + case folders -> view model
}
"""Named exceptions to the ranks, each with its reason."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _targets(path: Path) -> Iterator[str]:
    """The modules of the package that ``path`` imports (dotted, relative to replaycase)."""
    name = _module_name(path)
    here = name.split(".") if _is_package(path) else name.split(".")[:-1]
    if name == "":
        here = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                module = [*base, *(node.module.split(".") if node.module else ())]
            elif node.module and node.module.split(".")[0] == "replaycase":
                module = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:  # `from . import x`: x may be a module
                if not module and alias.name == "__version__":
                    continue  # the version string, not a stage
                sub = [*module, alias.name]
                yield ".".join(sub) if _exists(sub) else ".".join(module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "replaycase":
                    yield ".".join(alias.name.split(".")[1:])


def _exists(module: list[str]) -> bool:
    folder = PACKAGE.joinpath(*module)
    return folder.with_suffix(".py").is_file() or (folder / "__init__.py").is_file()


def _stage(module: str) -> str:
    return module.split(".")[0] if module else "__init__"


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_stage_has_a_rank() -> None:
    stages = {_stage(_module_name(p)) for p in MODULES}
    assert stages <= set(RANKS), stages - set(RANKS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_a_module_imports_only_stages_upstream(path: Path) -> None:
    rel = path.relative_to(PACKAGE).as_posix()
    own = _stage(_module_name(path))
    wrong = sorted({_stage(t) for t in _targets(path)
                    if _stage(t) != own
                    and RANKS[_stage(t)] >= RANKS[own]
                    and _stage(t) not in ALLOWED.get(rel, set())})
    assert not wrong, f"{rel} ({own}, rank {RANKS[own]}) imports {wrong}"


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): set(_targets(p)) for p in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected parts of more than one module (Tarjan), or a module importing
    itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                part.append(top)
                if top == node:
                    break
            if len(part) > 1 or node in graph.get(node, ()):
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_reader_sees_relative_lazy_and_module_imports() -> None:
    targets = set(_targets(PACKAGE / "replay" / "case_run.py"))
    assert {"redact", "results"} <= {_stage(t) for t in targets}
    lazy = {_stage(t) for p in (PACKAGE / "cli").rglob("*.py") for t in _targets(p)}
    assert {"scaffolding", "replay", "report"} <= lazy  # imported inside commands
    assert "model.events" in set(_targets(PACKAGE / "model" / "run.py"))


def test_a_planted_upstream_import_is_caught(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "replaycase"
    (package / "scaffolding").mkdir(parents=True)
    (package / "replay").mkdir()
    (package / "scaffolding" / "build.py").write_text("")
    planted = package / "replay" / "suite.py"
    planted.write_text("def run():\n    from ..scaffolding.build import scaffold\n")
    monkeypatch.setitem(globals(), "PACKAGE", package)
    with pytest.raises(AssertionError, match=r"imports \['scaffolding'\]"):
        test_a_module_imports_only_stages_upstream(planted)


def test_only_the_enrich_step_of_report_reads_case_folders() -> None:
    """report/view.py builds the view from results and case folders; the renderers only
    render it (case is upstream of report, so the ranks alone would let them)."""
    readers = sorted(p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "report").rglob("*.py")
                     if any(_stage(t) == "case" for t in _targets(p)))
    assert readers == ["report/view.py"]


def test_renderers_import_the_view_model_not_the_enrich_step() -> None:
    """The renderers get a built view (report/view_models.py); only the command line builds
    it, so no renderer loads the importers, the diff engine or case loading."""
    enrich_users = sorted(p.relative_to(PACKAGE).as_posix()
                          for p in (PACKAGE / "report").rglob("*.py")
                          if "report.view" in _targets(p))
    assert enrich_users == []
