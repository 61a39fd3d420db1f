from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replaycase.case.lint import lint_case, lint_paths
from replaycase.cli import app
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"
REPO = Path(__file__).parent.parent


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


def messages(folder: Path) -> list[str]:
    return [p.message for p in lint_case(folder).problems]


def test_scaffolded_case_is_clean(case_dir: Path) -> None:
    report = lint_case(case_dir)
    assert report.clean, report.problems
    assert report.case_id == "billing-loop"


def test_committed_cases_are_clean() -> None:
    reports = lint_paths([REPO / "cases", REPO / "examples" / "runner-api" / "cases"])
    assert len(reports) >= 7
    assert all(r.clean for r in reports), [r.problems for r in reports if not r.clean]


def test_observed_signature_that_does_not_hold(case_dir: Path) -> None:
    path = case_dir / "case.yaml"
    path.write_text(path.read_text().replace("min: 5", "min: 9", 1))
    [message] = messages(case_dir)
    assert "observed_failure[2] (repeated_tool_call) does not hold on the source trace" in message


def test_unsound_case_whose_desired_all_pass(case_dir: Path) -> None:
    path = case_dir / "case.yaml"
    text = path.read_text()
    desired_start = text.index("desired:")
    semantic_start = text.index("semantic:")
    path.write_text(text[:desired_start] + "desired:\n- status_is: error\n"
                    + text[semantic_start:])
    assert any("unsound" in m for m in messages(case_dir))


def test_pasted_secret_fails_lint(case_dir: Path) -> None:
    notes = case_dir / "notes.md"
    pasted = "key used: sk-proj-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"
    notes.write_text(notes.read_text() + "\n" + pasted + "\n")
    line = notes.read_text().splitlines().index(pasted)
    report = lint_case(case_dir)
    [problem] = report.problems
    assert problem.file == "notes.md" and problem.line == line + 1
    assert "secret found (api_key)" in problem.message
    result = CliRunner().invoke(app, ["lint", str(case_dir)])
    assert result.exit_code == 1
    assert f"notes.md:{line + 1}: secret found (api_key)" in result.stdout
    assert "sk-proj-" not in result.stdout


def test_source_path_leaving_the_folder(case_dir: Path) -> None:
    path = case_dir / "case.yaml"
    path.write_text(path.read_text().replace("file: source-trace.json",
                                             "file: ../../etc/passwd"))
    assert any("leaves the case folder" in m for m in messages(case_dir))


def test_symlink_out_of_the_folder(case_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    os.symlink(outside, case_dir / "fixtures" / "extra.json")
    assert any("symbolic link points outside" in m for m in messages(case_dir))


def test_source_trace_symlinked_outside_is_refused(case_dir: Path, tmp_path: Path) -> None:
    real = case_dir / "source-trace.json"
    moved = tmp_path / "elsewhere.json"
    real.rename(moved)
    os.symlink(moved, real)
    found = messages(case_dir)
    assert any("leaves the case folder" in m or "points outside" in m for m in found)


def test_broken_fixture(case_dir: Path) -> None:
    (case_dir / "fixtures" / "tool_calls.json").write_text("[{")
    assert any("invalid JSON" in m for m in messages(case_dir))
    (case_dir / "fixtures" / "tool_calls.json").write_text(json.dumps([{"x": 1}]))
    assert any("tool_name" in m for m in messages(case_dir))
    (case_dir / "fixtures" / "input.json").unlink()
    assert "missing" in messages(case_dir)


def test_bad_regex_is_reported_with_its_line(case_dir: Path) -> None:
    path = case_dir / "case.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("- error_matches:"))
    lines[index] = "- error_matches: '(unclosed'"
    path.write_text("\n".join(lines) + "\n")
    problems = lint_case(case_dir).problems
    assert any(p.line == index + 1 and "not a valid regular expression" in p.message
               for p in problems), problems


def test_source_run_missing(case_dir: Path) -> None:
    path = case_dir / "case.yaml"
    path.write_text(path.read_text().replace("run_id: run-billing-2024-0312", "run_id: other"))
    assert any("holds no run 'other'" in m for m in messages(case_dir))


def test_lint_exit_codes(case_dir: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["lint", str(case_dir)]).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["lint", str(empty)])
    assert result.exit_code == 2 and "no case folders" in result.stderr
    result = CliRunner().invoke(app, ["lint", str(case_dir), "--output", "json"])
    document = json.loads(result.stdout)
    assert document["clean"] is True and document["cases"][0]["case_id"] == "billing-loop"
