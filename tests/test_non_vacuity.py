"""Cases that cannot be passed by doing nothing: the null candidate, lint's check, what
scaffold derives (a tool_called, a state, a model call) and its hint when it cannot, and the
README's runner-API snippet that must not replay `fixed` on the tool-loop case."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from replaycase.assertions import evaluate, parse_entry
from replaycase.assertions.null_candidate import NULL_ANSWER, VACUOUS, null_candidate, passes_null
from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.cli import app
from replaycase.model import TraceRun
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

REPO = Path(__file__).parent.parent
CASES = REPO / "cases"


def _entries(*texts: str) -> list[Any]:
    import yaml

    return [parse_entry(yaml.safe_load(text)) for text in texts]


def _trace(tmp_path: Path, events: list[dict[str, Any]], status: str = "success",
           final: Any = None, name: str = "run.json") -> Path:
    run = {"schema": "replaycase.trace/v1", "run_id": "r1", "status": status,
           "input": "Why was I charged twice?", "final_output": final,
           "events": [{"seq": n, **e} for n, e in enumerate(events, start=1)],
           "metadata": {"agent": "support_agent"}}
    path = tmp_path / name
    path.write_text(json.dumps(run))
    return path


def _call(name: str, args: dict[str, Any], call_id: str, error: bool = False,
          ) -> list[dict[str, Any]]:
    return [{"type": "tool_call", "tool_name": name, "tool_args": args, "call_id": call_id},
            {"type": "tool_result", "call_id": call_id, "tool_name": name,
             "output": "Error: 503" if error else {"ok": True}, "is_error": error}]


def _llm(*tools: str, offered: list[str] | None = None) -> dict[str, Any]:
    return {"type": "llm_call", "model": "m",
            "tool_calls": [{"tool_name": t, "tool_args": {}} for t in tools],
            **({"tools_offered": offered} if offered is not None else {})}


def _desired(report: Any, key: str) -> list[Any]:
    return [entry[key] for entry in report.desired if key in entry]


# --- the null candidate ----------------------------------------------------------------------

def test_null_candidate_calls_nothing_and_answers_a_sentence() -> None:
    run = null_candidate("hello")
    assert run.status == "success" and run.tool_calls() == [] and run.llm_calls() == []
    assert run.final_output == NULL_ANSWER and run.has_final_output() and run.input == "hello"
    assert passes_null(_entries("status_is: success", "final_output_exists: true",
                                "not: {tool_called: issue_refund}", "no_errors: true"))
    assert not passes_null(_entries("status_is: success", "tool_called: lookup_billing"))
    assert not passes_null(_entries("final_output_contains: refund policy"))
    assert passes_null([])  # no desired assertion at all: doing nothing passes


@pytest.mark.parametrize("answer", ["…", "...", "  -- ", "", "…\n…"])
def test_a_placeholder_answer_is_no_answer(answer: str) -> None:
    run = TraceRun(run_id="r", status="success", final_output=answer)
    [entry] = _entries("final_output_exists: true")
    outcome = evaluate(entry, run)
    assert outcome.outcome == "failed" and not run.has_final_output()
    if answer.strip():
        assert "placeholder" in outcome.message and "expected one" in outcome.message
    assert evaluate(entry, run.model_copy(update={"final_output": "OK"})).outcome == "passed"
    assert evaluate(entry, run.model_copy(update={"final_output": "42"})).outcome == "passed"


# --- lint ------------------------------------------------------------------------------------

def test_lint_fails_a_case_a_candidate_doing_nothing_passes(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "wrong-tool"
    shutil.copytree(CASES / "wrong-tool", case)
    assert lint_case(case).clean
    text = (case / "case.yaml").read_text()
    kept = [line for line in text.splitlines(keepends=True)
            if "tool_called: lookup_billing" not in line and "on the way to an answer" not in line]
    assert len(kept) == len(text.splitlines()) - 2
    (case / "case.yaml").write_text("".join(kept))
    report = lint_case(case)
    assert [p.message for p in report.problems] == [
        f"{VACUOUS} (a run that calls no tool and answers {NULL_ANSWER!r} passes them all)"]
    done = CliRunner().invoke(app, ["lint", str(case)])
    assert done.exit_code == 1 and "a candidate that does nothing passes" in done.output


def test_committed_cases_reject_the_null_candidate() -> None:
    from replaycase.replay.case_run import judge
    from replaycase.results import RunnerInfo

    folders = sorted(p.parent for p in [*CASES.glob("*/case.yaml"),
                                        *(REPO / "examples/runner-api/cases").glob("*/case.yaml")])
    assert len(folders) == 7
    for folder in folders:
        case = load_case(folder)
        verdict = judge(case, null_candidate(case.spec.scenario.input), RunnerInfo()).verdict
        assert verdict != "fixed", folder
        assert not passes_null(case.spec.desired, case.spec.scenario.input), folder


# --- scaffold --------------------------------------------------------------------------------

def test_a_loop_keeps_its_tool_and_the_wrong_tool_is_left_out_with_what_follows(
        tmp_path: Path) -> None:
    loop = _trace(tmp_path, [_llm("lookup_billing"), *_call("lookup_billing", {"id": 1}, "a"),
                             *_call("lookup_billing", {"id": 1}, "b"),
                             *_call("lookup_billing", {"id": 1}, "c"),
                             {"type": "error", "message": "loop guard stopped the run"}],
                  status="error", name="loop.json")
    [report] = scaffold(loop, tmp_path / "loop")
    assert _desired(report, "tool_called") == ["lookup_billing"] and not report.hints
    assert lint_case(tmp_path / "loop").clean

    wrong = _trace(tmp_path, [*_call("search_kb", {"q": "x"}, "a", error=True),
                              *_call("lookup_billing", {"id": 1}, "b"),
                              *_call("issue_refund", {"id": 1}, "c"),
                              *_call("send_email", {"to": "x"}, "d"),
                              *_call("lookup_billing", {"id": 2}, "e")],
                   final="Refunded.", name="wrong.json")
    [report] = scaffold(wrong, tmp_path / "wrong",
                        ScaffoldOptions(observed=["tool_called: issue_refund"]))
    # the tool that errored is kept (the fixtures replay its error); the refund and what
    # came after it are not
    assert _desired(report, "tool_called") == ["search_kb", "lookup_billing"]
    tool_called = [e for e in report.desired if "tool_called" in e]
    assert tool_called[1]["why"] == "called on the way to an answer (event 3)"
    assert lint_case(tmp_path / "wrong").clean


def test_a_tool_only_the_model_asked_for_counts_and_one_not_offered_does_not(
        tmp_path: Path) -> None:
    trace = _trace(tmp_path, [_llm("lookup_billing", "made_up", offered=["lookup_billing"]),
                              *_call("made_up", {}, "a", error=True),
                              {"type": "error", "message": "lookup crashed"}], status="error")
    [report] = scaffold(trace, tmp_path / "case")
    assert _desired(report, "tool_called") == ["lookup_billing"]
    [entry] = [e for e in report.desired if "tool_called" in e]
    assert entry["why"] == "the model asked for it on the way to an answer (event 1)"


def test_without_tools_states_then_a_model_call_then_the_hint(tmp_path: Path) -> None:
    states = _trace(tmp_path, [{"type": "state", "state": "intake"},
                               {"type": "state", "state": "review"},
                               {"type": "error", "message": "validation failed"}],
                    status="error", name="states.json")
    [report] = scaffold(states, tmp_path / "states")
    assert _desired(report, "state_visited") == ["intake", "review"]
    [report] = scaffold(states, tmp_path / "states2",
                        ScaffoldOptions(observed=["state_visited: review"]))
    assert _desired(report, "state_visited") == ["intake"]  # review was the failure

    model = _trace(tmp_path, [_llm(), {"type": "error", "message": "bad JSON from the model"}],
                   status="error", name="model.json")
    [report] = scaffold(model, tmp_path / "model")
    assert _desired(report, "llm_call_count") == [{"min": 1}] and not report.hints
    assert lint_case(tmp_path / "model").clean

    bare = _trace(tmp_path, [{"type": "error", "message": "crashed at start"}],
                  status="error", name="bare.json")
    done = CliRunner().invoke(app, ["scaffold", str(bare), "--out", str(tmp_path / "bare")])
    assert done.exit_code == 0, done.output
    assert f"  warning:  {VACUOUS}" in done.output
    [problem] = lint_case(tmp_path / "bare").problems
    assert problem.message.startswith(VACUOUS)
    # the hint's way out: a desired assertion a person writes
    [report] = scaffold(bare, tmp_path / "bare2", ScaffoldOptions(
        observed=["status_is: error"], desired=["final_output_contains: refund"]))
    assert not report.hints and lint_case(tmp_path / "bare2").clean


def test_a_desired_assertion_that_already_rejects_doing_nothing_gets_nothing_added(
        tmp_path: Path) -> None:
    trace = _trace(tmp_path, _call("lookup_billing", {"id": 1}, "a"), final="Paid in full.")
    [report] = scaffold(trace, tmp_path / "case", ScaffoldOptions(
        observed=["final_output_contains: Paid in full"],
        desired=["final_output_contains: not been paid"]))
    assert report.desired == [{"final_output_contains": "not been paid"}]


# --- the README's runner-API snippet -----------------------------------------------------------

def _readme_snippet() -> str:
    readme = (REPO / "README.md").read_text()
    after = readme.split("A Python runner can use the small public API:", 1)[1]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_runner_api_snippet_is_not_fixed_on_the_tool_loop_case(
        tmp_path: Path) -> None:
    snippet = _readme_snippet()
    assert 'rec.final_output("…")' in snippet and "Fixtures.from_env()" in snippet
    runner = tmp_path / "snippet.py"
    runner.write_text(snippet)
    cmd = f"{shlex.quote(sys.executable)} {shlex.quote(str(runner))}"
    result = replay_case(load_case(CASES / "tool-loop"),
                         ReplayOptions(runner_cmd=cmd, evidence_root=tmp_path / "runs"))
    assert result.runner.exit_code == 0, result.runner.reason
    assert result.verdict == "failing", [a.message for a in result.assertions]
    [failed] = [a for a in result.assertions if a.outcome != "passed"]
    assert failed.key == "final_output_exists" and "placeholder" in failed.message
