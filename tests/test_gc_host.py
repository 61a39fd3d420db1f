"""The cyclic collector stays on in a host process (the pytest plugin, an application calling
``load_trace`` or ``scaffold``); only the CLI commands pause it (gcpause.py)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import replaycase
from replaycase.cli import app

TRACES = Path(__file__).resolve().parents[1] / "examples" / "runner-api" / "traces"


@pytest.fixture
def no_gc_disable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("gc.disable() called in a host process")

    monkeypatch.setattr(gc, "disable", refuse)


@pytest.mark.usefixtures("no_gc_disable")
def test_load_trace_leaves_the_collector_on() -> None:
    runs = replaycase.load_trace(TRACES / "tool-loop.json")
    assert runs and gc.isenabled()


@pytest.mark.usefixtures("no_gc_disable")
def test_scaffold_leaves_the_collector_on(tmp_path: Path) -> None:
    from replaycase.scaffolding.build import scaffold

    reports = scaffold(TRACES / "tool-loop.json", tmp_path / "case")
    assert reports and gc.isenabled()


def test_collector_is_on_while_the_library_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    from replaycase.importers import registry

    seen: list[bool] = []
    real = registry.detect

    def spy(doc: Any) -> Any:
        seen.append(gc.isenabled())
        return real(doc)

    monkeypatch.setattr(registry, "detect", spy)
    replaycase.load_trace(TRACES / "tool-loop.json")
    assert seen == [True]


def test_the_cli_pauses_it_and_turns_it_back_on(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = gc.disable

    def disable() -> None:
        calls.append(True)
        real()

    monkeypatch.setattr(gc, "disable", disable)
    assert gc.isenabled()
    done = CliRunner().invoke(app, ["scaffold", str(TRACES / "tool-loop.json"), "--out",
                                    str(tmp_path / "case")])
    assert done.exit_code == 0, done.output
    assert gc.isenabled()
    assert calls == [True]
