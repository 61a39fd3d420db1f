"""The public API is pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import replaycase

EXPECTED = [
    "Assertion", "CaseError", "CaseSpec", "Entry", "Fixtures", "InputError", "Limits",
    "LintReport", "Outcome", "RecordOptions", "RecordedCase", "Recorder", "ReplayCase",
    "ReplayOptions", "ReplayResult",
    "ReplaycaseError", "ResultsDocument", "RunDiff", "RunnerOutput", "ScaffoldOptions",
    "ScaffoldReport", "SuiteOptions", "TraceEvent", "TraceFormatError", "TraceRun",
    "Upstream", "UsageError", "__version__", "diff_runs", "evaluate", "lint_case", "lint_paths",
    "load_case", "load_trace", "parse_entry", "record_case",
    "record_cases", "replay_case", "replay_paths", "scaffold",
]


def test_all_is_pinned_and_sorted() -> None:
    assert replaycase.__all__ == sorted(EXPECTED)


def test_every_exported_name_resolves() -> None:
    for name in replaycase.__all__:
        assert getattr(replaycase, name) is not None, name


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        replaycase.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def _checker_imports() -> dict[str, str]:
    """What the ``if TYPE_CHECKING:`` block of ``replaycase/__init__.py`` imports: name to
    module, each as ``X as X`` (an explicit re-export)."""
    tree = ast.parse(Path(replaycase.__file__).read_text(encoding="utf-8"))
    [block] = [node for node in tree.body if isinstance(node, ast.If)
               and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    found: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1, ast.dump(node)
        for alias in node.names:
            assert alias.asname == alias.name, alias.name  # else not re-exported
            found[alias.name] = f"replaycase.{node.module}"
    return found


def test_a_type_checker_sees_every_exported_name_where_it_is_loaded_from() -> None:
    # The lazy table and the type checker's imports name the same objects.
    assert _checker_imports() == replaycase._EXPORTS
    assert sorted([*_checker_imports(), "__version__"]) == replaycase.__all__


def test_every_exported_name_is_the_object_of_its_module() -> None:
    for name, module in replaycase._EXPORTS.items():
        assert getattr(replaycase, name) is getattr(import_module(module), name), name


def test_no_subpackage_shadows_an_exported_name() -> None:
    """Importing a subpackage binds its name on replaycase: no stage package may be named
    like an exported function (``scaffold`` the function lives in ``scaffolding``)."""
    code = ("import importlib, inspect, pkgutil, replaycase\n"
            "for info in pkgutil.walk_packages(replaycase.__path__, 'replaycase.'):\n"
            "    if info.name != 'replaycase.__main__':\n"
            "        importlib.import_module(info.name)\n"
            "for name, module in replaycase._EXPORTS.items():\n"
            "    value = getattr(replaycase, name)\n"
            "    assert not inspect.ismodule(value), name\n"
            "    assert value is getattr(importlib.import_module(module), name), name\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-500:]


TOOL_LOOP = Path(__file__).parent / "data" / "traces" / "replayt" / "tool-loop.jsonl"


def test_the_public_api_parses_and_evaluates_an_entry() -> None:
    [run] = replaycase.load_trace(TOOL_LOOP)
    assert isinstance(run, replaycase.TraceRun)
    loop = replaycase.parse_entry({"repeated_tool_call": 3, "why": "the loop"})
    assert isinstance(loop, replaycase.Entry)
    held = replaycase.evaluate(loop, run)
    assert (held.outcome, held.key, held.why) == ("passed", "repeated_tool_call", "the loop")
    fixed = replaycase.parse_entry({"not": {"repeated_tool_call": 3}})
    broken = replaycase.evaluate(fixed, run)
    assert broken.outcome == "failed"
    assert broken.children[0].outcome == "passed"
