from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
import yaml

from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.errors import InputError, ReplaycaseError, RunChoiceError, UsageError
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.scaffolding.signatures import mask_message

DATA = Path(__file__).parent / "data"

LOOP = DATA / "replaykit" / "billing-loop.json"


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


def test_scaffold_writes_the_case_folder(tmp_path: Path) -> None:
    out = tmp_path / "cases" / "search-loop"
    [report] = scaffold(LOOP, out)
    assert report.case_id == "search-loop"
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == ["case.yaml", "fixtures/input.json", "fixtures/tool_calls.json",
                     "notes.md", "source-trace.json"]
    data = yaml.safe_load((out / "case.yaml").read_text())
    assert data["schema"] == "replaycase/v1"
    assert data["id"] == "search-loop"
    assert data["source"]["format"] == "replaykit"
    assert data["source"]["run_id"] == "run-billing-2024-0312"
    keys = [next(iter(e)) for e in data["observed_failure"]]
    assert keys == ["status_is", "error_matches", "repeated_tool_call", "tool_error_count",
                    "final_output_exists"]
    loop = data["observed_failure"][2]
    assert loop["repeated_tool_call"] == {"tool": "lookup_billing", "min": 5}
    assert loop["why"] == ("lookup_billing called 5 times with identical args "
                           "(events 2,4,6,8,10)")
    assert data["observed_failure"][0]["why"] == "run ended with status error (event 12)"
    desired_keys = [next(iter(e)) for e in data["desired"]]
    assert desired_keys == ["status_is", "not", "repeated_tool_call", "final_output_exists",
                            "tool_called"]  # the loop's tool: calling it once was no failure
    assert data["desired"][4] == {"tool_called": "lookup_billing",
                                  "why": "called on the way to an answer (event 2)"}
    assert "tool_error_count" not in desired_keys  # the frozen world keeps its tool errors
    assert data["desired"][0] == {"status_is": "success"}
    assert data["desired"][2] == {"repeated_tool_call": {"tool": "lookup_billing", "max": 2}}
    assert data["semantic"][0]["check"]
    calls = json.loads((out / "fixtures" / "tool_calls.json").read_text())
    assert len(calls) == 5 and calls[0]["is_error"] is True
    assert calls[0]["tool_args"] == {"customer_id": "C-10442"}
    notes = (out / "notes.md").read_text()
    assert "## Timeline" in notes and "lookup_billing" in notes
    assert lint_case(out).clean, lint_case(out).problems


def test_scaffold_is_deterministic(tmp_path: Path) -> None:
    scaffold(LOOP, tmp_path / "a" / "case")
    scaffold(LOOP, tmp_path / "b" / "case")
    assert _same_tree(tmp_path / "a" / "case", tmp_path / "b" / "case")


def test_scaffold_redacts_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "case"
    [report] = scaffold(LOOP, out)
    for path in out.rglob("*"):
        if path.is_file():
            assert "jane.doe@example.com" not in path.read_text()
    assert "<redacted:email:1>" in (out / "fixtures" / "input.json").read_text()
    assert report.redaction == {"email": 1}
    assert "email: 1" in (out / "notes.md").read_text()


def test_no_redact_keeps_values(tmp_path: Path) -> None:
    out = tmp_path / "case"
    scaffold(LOOP, out, ScaffoldOptions(redact=False))
    assert "jane.doe@example.com" in (out / "fixtures" / "input.json").read_text()


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "case"
    scaffold(LOOP, out)
    (out / "notes.md").write_text("my own notes")
    with pytest.raises(InputError, match="already exists; pass --force"):
        scaffold(LOOP, out)
    assert (out / "notes.md").read_text() == "my own notes"
    scaffold(LOOP, out, ScaffoldOptions(force=True))
    assert (out / "notes.md").read_text() != "my own notes"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_refuses_a_run_without_a_visible_failure(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--observed"):
        scaffold(DATA / "replaykit" / "happy.json", tmp_path / "case")
    assert not (tmp_path / "case").exists()
    assert list(tmp_path.iterdir()) == []


def test_observed_without_desired_gets_its_negation(tmp_path: Path) -> None:
    out = tmp_path / "wrong-tool"
    scaffold(DATA / "replaykit" / "wrong-tool.json", out,
             ScaffoldOptions(observed=["tool_called: issue_refund"]))
    data = yaml.safe_load((out / "case.yaml").read_text())
    assert data["observed_failure"] == [{"tool_called": "issue_refund"}]
    assert data["desired"][0] == {"not": {"tool_called": "issue_refund"}}
    assert [e.get("tool_called") for e in data["desired"][1:]] == ["lookup_billing"]
    assert lint_case(out).clean


def test_observed_and_desired_together(tmp_path: Path) -> None:
    out = tmp_path / "wrong-tool"
    scaffold(DATA / "replaykit" / "wrong-tool.json", out,
             ScaffoldOptions(observed=["tool_called: issue_refund"],
                             desired=["tool_not_called: issue_refund",
                                      "final_output_contains: INV-2024-0312"]))
    data = yaml.safe_load((out / "case.yaml").read_text())
    assert data["desired"] == [{"tool_not_called": "issue_refund"},
                               {"final_output_contains": "INV-2024-0312"}]


def test_observed_that_does_not_hold_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not hold"):
        scaffold(DATA / "replaykit" / "wrong-tool.json", tmp_path / "c",
                 ScaffoldOptions(observed=["tool_called: delete_account"]))
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("text", ["tool_called: [", "no_such_entry: 1", "- a list",
                                  "tool_call_count: {tool: x}", "!!python/object:os.system x"])
def test_bad_observed_is_a_usage_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(UsageError, match="--observed"):
        scaffold(LOOP, tmp_path / "c", ScaffoldOptions(observed=[text]))


def test_desired_that_already_passes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="could not catch"):
        scaffold(DATA / "replaykit" / "wrong-tool.json", tmp_path / "c",
                 ScaffoldOptions(observed=["tool_called: issue_refund"],
                                 desired=["tool_called: lookup_billing"]))


def test_several_runs_need_run_id_or_all(tmp_path: Path) -> None:
    three = DATA / "replaykit" / "three-runs.json"
    with pytest.raises(RunChoiceError, match="choose one with --run-id, or scaffold every "
                                             "failed run with --all"):
        scaffold(three, tmp_path / "c")
    [report] = scaffold(three, tmp_path / "c", ScaffoldOptions(run_id="run-billing-2024-0312"))
    assert report.run_id == "run-billing-2024-0312"
    with pytest.raises(RunChoiceError, match="no run 'nope'"):
        scaffold(three, tmp_path / "d", ScaffoldOptions(run_id="nope"))


def test_all_makes_one_case_per_failed_run(tmp_path: Path) -> None:
    reports = scaffold(DATA / "replaykit" / "three-runs.json", tmp_path / "cases",
                       ScaffoldOptions(all_runs=True))
    assert [r.case_id for r in reports] == ["run-billing-2024-0312"]
    assert load_case(tmp_path / "cases" / "run-billing-2024-0312").id == "run-billing-2024-0312"


def test_id_option_and_invalid_id(tmp_path: Path) -> None:
    [report] = scaffold(LOOP, tmp_path / "x", ScaffoldOptions(case_id="billing-loop"))
    assert load_case(tmp_path / "x").id == "billing-loop" == report.case_id
    with pytest.raises(UsageError, match="--id"):
        scaffold(LOOP, tmp_path / "bad name!")
    assert not (tmp_path / "bad name!").exists()


def test_mask_message_masks_volatile_parts() -> None:
    pattern = mask_message("ToolLoopError: called 5 times (run 7f3a9c21e4, id "
                           "123e4567-e89b-12d3-a456-426614174000) at 2024-03-12T10:00:12Z")
    import re

    other = ("ToolLoopError: called 6 times (run 0b1c2d3e4f, id "
             "00000000-1111-2222-3333-444444444444) at 2025-01-01T00:00:00Z")
    assert re.search(pattern, other)
    assert not re.search(pattern, "ValueError: called 5 times")


def test_scaffold_errors_are_replaycase_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ReplaycaseError):
        scaffold(bad, tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_all_skips_runs_with_nothing_to_ask(tmp_path: Path) -> None:
    trace = DATA / "traces" / "otlp-genai" / "all-scenarios.jsonl"
    reports = scaffold(trace, tmp_path / "cases", ScaffoldOptions(all_runs=True))
    # tool-loop and no-final-output fail visibly; wrong-tool and happy succeed; the
    # tool-error-unhandled run shows only a tool error, which the fixtures replay anyway.
    assert len(reports) == 2
    for report in reports:
        assert lint_case(report.path).clean


def test_only_tool_errors_asks_for_observed(tmp_path: Path) -> None:
    trace = DATA / "traces" / "otlp-genai" / "tool-error-unhandled.json"
    with pytest.raises(UsageError, match=r"shows only tool errors.*--observed"):
        scaffold(trace, tmp_path / "case")
    assert not (tmp_path / "case").exists()


def test_scaffold_json_output_lists_what_each_case_holds(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from replaycase.cli import app

    out = tmp_path / "cases" / "loop"
    done = CliRunner().invoke(app, ["scaffold", str(LOOP), "--out", str(out),
                                    "--output", "json"])
    assert done.exit_code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "replaycase.scaffold/v1"
    [case] = document["cases"]
    assert list(case) == ["case_id", "path", "run_id", "observed", "desired", "redaction",
                          "hints"]
    assert case["hints"] == []
    assert case["case_id"] == "loop" and case["path"] == out.as_posix()
    assert case["run_id"] == "run-billing-2024-0312"
    written = yaml.safe_load((out / "case.yaml").read_text())
    assert case["observed"] == written["observed_failure"]
    assert case["desired"] == written["desired"]
    assert isinstance(case["redaction"], dict)


def test_an_observed_entry_scaffold_derives_too_is_written_once(tmp_path: Path) -> None:
    derived = scaffold(LOOP, tmp_path / "a")[0].observed
    entry = next(e for e in derived if "repeated_tool_call" in e)
    flow = json.dumps({"repeated_tool_call": entry["repeated_tool_call"]})
    [report] = scaffold(LOOP, tmp_path / "b", ScaffoldOptions(observed=[flow]))
    keys = [json.dumps({k: v for k, v in e.items() if k != "why"}, sort_keys=True)
            for e in report.observed]
    assert len(keys) == len(set(keys)) == len(derived)
