"""The committed cases are what their scripts make of the committed traces today:
cases/ from examples/traces/ (examples/scaffold_cases.sh: scaffold, then record the fixes that
ask the model something new against examples/scripted_model.py), and examples/runner-api/cases/
from examples/runner-api/traces/ (examples/runner-api/scaffold_cases.sh)."""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from replaycase.scaffolding.build import ScaffoldOptions, scaffold

REPO = Path(__file__).parent.parent
OBSERVED = {"wrong-tool": ["tool_called: issue_refund"]}
RUNNER_API = ["tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output"]
SDK = ["tool-loop", "tool-error-unhandled", "wrong-tool"]
RECORDED = ["tool-error-unhandled", "wrong-tool"]  # their fixes ask the model something new


def _load(path: Path) -> ModuleType:
    """A module of examples/ by its path (its folder is not put on sys.path: the runner-API
    example has modules of the same names)."""
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _same_tree(fresh: Path, committed: Path, script: str) -> None:
    files = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    kept = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*")
                  if p.is_file())
    assert files == kept
    for name in files:
        assert filecmp.cmp(fresh / name, committed / name, shallow=False), \
            f"{committed.relative_to(REPO)}/{name} is stale: run sh {script}"


@pytest.mark.parametrize("scenario", RUNNER_API)
def test_runner_api_case_matches_a_fresh_scaffold(tmp_path: Path, scenario: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the case folder named as the script names it
    out = Path("examples/runner-api/cases") / scenario
    scaffold(REPO / "examples" / "runner-api" / "traces" / f"{scenario}.json", out,
             ScaffoldOptions(observed=OBSERVED.get(scenario, [])))
    _same_tree(tmp_path / out, REPO / out, "examples/runner-api/scaffold_cases.sh")


@pytest.mark.parametrize("scenario", ["tool-loop"])
def test_a_case_whose_fix_is_in_code_is_a_fresh_scaffold(tmp_path: Path, scenario: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = Path("cases") / scenario
    scaffold(REPO / "examples" / "traces" / f"{scenario}.otlp.jsonl", out, ScaffoldOptions())
    _same_tree(tmp_path / out, REPO / out, "examples/scaffold_cases.sh")
    assert '"branch":"accepted"' not in (REPO / out / "fixtures" / "model_tape.jsonl").read_text()


def test_recording_the_fixes_afresh_gives_the_committed_cases(tmp_path: Path) -> None:
    """Scaffold, then `replaycase record` against the scripted model: byte for byte the
    committed folders, accepted branch included."""
    pytest.importorskip("openai")
    scripted_model = _load(REPO / "examples" / "scripted_model.py")
    for scenario in RECORDED:
        scaffold(REPO / "examples" / "traces" / f"{scenario}.otlp.jsonl",
                 tmp_path / "cases" / scenario,
                 ScaffoldOptions(observed=OBSERVED.get(scenario, [])))
    agent = f"{shlex.quote(sys.executable)} {shlex.quote(str(REPO / 'examples' / 'agent.py'))}"
    with scripted_model.serve() as url:
        done = subprocess.run(
            [sys.executable, "-m", "replaycase", "record", *(f"cases/{s}" for s in RECORDED),
             "--runner-cmd", agent, "--upstream", url, "-j", "2",
             "--evidence-dir", str(tmp_path / "runs")],
            env={**os.environ, "OPENAI_API_KEY": "sk-scripted-model"}, cwd=tmp_path,
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("RECORDED") == len(RECORDED), done.stdout
    for scenario in RECORDED:
        tape = (tmp_path / "cases" / scenario / "fixtures" / "model_tape.jsonl").read_text()
        assert '"branch":"accepted"' in tape
        _same_tree(tmp_path / "cases" / scenario, REPO / "cases" / scenario,
                   "examples/scaffold_cases.sh")
