"""Reports of a suite replay: JUnit (read back with junitparser), GitHub annotations, terminal."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from junitparser.xunit2 import JUnitXml as XUnit2
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.report.github import annotations, command, escape_data, escape_property
from replaycase.report.junit import write_junit
from replaycase.report.terminal import summary_line, verdict_line
from replaycase.report.view import case_yaml_lines
from replaycase.results import (
    Outcome,
    RepeatRun,
    ReplayResult,
    ResultsDocument,
    Summary,
    summarize,
)
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


RUNNER = ('case "$REPLAYCASE_CASE_ID" in '
          f'fl) {copy_cmd("output-failing.json")};; '
          f'rp) {copy_cmd("output-buggy.json")};; '
          'er) echo "it broke" >&2; exit 3;; '
          f'*) {copy_cmd("output-fixed.json")};; esac')


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four cases: er (runner error), fl (failing), fx (fixed), rp (reproduced)."""
    root = tmp_path_factory.mktemp("suite")
    scaffold(DATA / "billing-loop.json", root / "template")
    for case_id in ("er", "fl", "fx", "rp"):
        folder = root / "cases" / case_id
        shutil.copytree(root / "template", folder)
        text = (folder / "case.yaml").read_text()
        (folder / "case.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: {case_id}", text))
    return root / "cases"


def cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def replayed(suite: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(results JSON, JUnit XML) of one replay of the four cases."""
    out = tmp_path_factory.mktemp("reports")
    code, _, _ = cli(["replay", str(suite), "--runner-cmd", RUNNER, "-j", "2",
                      "--evidence-dir", str(out / "runs"), "--json", str(out / "r.json"),
                      "--junit", str(out / "junit.xml")])
    assert code == 1
    return out / "r.json", out / "junit.xml"


def cases_of(path: Path) -> dict[str, object]:
    xml = JUnitXml.fromfile(str(path))
    return {case.name: case for suite in xml for case in suite}


# -- JUnit -------------------------------------------------------------------------------------


def test_junit_counts_and_one_testcase_per_case(replayed: tuple[Path, Path]) -> None:
    xml = JUnitXml.fromfile(str(replayed[1]))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (4, 2, 1, 0)
    [suite] = list(xml)
    assert [case.name for case in suite] == ["er", "fl", "fx", "rp"]
    assert {p.name: p.value for p in suite.properties()}["expect"] == "fixed"
    for case in suite:
        assert case.classname == f"replaycase.{case.name}"
        assert case._elem.get("file").endswith(f"{case.name}/case.yaml")


def test_junit_failure_names_the_failing_assertion(replayed: tuple[Path, Path]) -> None:
    case = cases_of(replayed[1])["fl"]
    [failure] = case.result  # type: ignore[attr-defined]
    assert isinstance(failure, Failure) and failure.type == "failing"
    assert "desired final_output_exists failed" in failure.message
    assert "[failed] desired final_output_exists" in failure.text
    assert "evidence: " in failure.text


def test_junit_reproduced_failure_lists_signatures(replayed: tuple[Path, Path]) -> None:
    [failure] = cases_of(replayed[1])["rp"].result  # type: ignore[attr-defined]
    assert isinstance(failure, Failure) and failure.type == "reproduced"
    assert "observed failure reproduced: status_is, error_matches" in failure.message


def test_junit_runner_error_is_an_error(replayed: tuple[Path, Path]) -> None:
    cases = cases_of(replayed[1])
    [error] = cases["er"].result  # type: ignore[attr-defined]
    assert isinstance(error, Error)
    assert "exited with code 3" in error.message and "it broke" in error.text
    assert cases["fx"].is_passed  # type: ignore[attr-defined]


def test_junit_reads_as_xunit2_too(replayed: tuple[Path, Path]) -> None:
    xml = XUnit2.fromfile(str(replayed[1]))
    assert sum(1 for suite in xml for _ in suite) == 4


def test_junit_expect_reproduced(suite: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code, _, _ = cli(["replay", str(suite / "fx"), str(suite / "rp"), "--runner-cmd", RUNNER,
                      "--expect", "reproduced", "--evidence-dir", str(tmp_path / "runs"),
                      "--junit", str(junit)])
    assert code == 1
    cases = cases_of(junit)
    assert cases["rp"].is_passed  # type: ignore[attr-defined]
    [failure] = cases["fx"].result  # type: ignore[attr-defined]
    assert "fixed (expected reproduced)" in failure.message
    assert "signature no longer holds: status_is" in failure.message


def flaky_document(min_pass_rate: float | None) -> ResultsDocument:
    outcome = Outcome(key="final_output_exists", entry={}, outcome="failed",
                      message="no answer\x00 \x1b[31mred\x1b[0m", expected=True, actual=False)
    result = ReplayResult(
        case_id="fk", case_path="cases/fk", verdict="flaky", assertions=[outcome],
        repeats=2, pass_rate=0.5, repeat_runs=[
            RepeatRun(verdict="failing", passed=False), RepeatRun(verdict="fixed", passed=True)])
    return ResultsDocument(results=[result], summary=summarize([result], "fixed", 10.0,
                                                               min_pass_rate))


def test_junit_flaky_is_a_failure_below_the_pass_rate(tmp_path: Path) -> None:
    write_junit(flaky_document(None), tmp_path / "j.xml")
    [failure] = cases_of(tmp_path / "j.xml")["fk"].result  # type: ignore[attr-defined]
    assert failure.type == "flaky"
    assert failure.message.startswith("flaky: 1/2 runs met the expectation (fixed)")
    assert "runs: 2, pass rate 0.50: failing, fixed" in failure.text
    assert "\x00" not in failure.text and "\x1b" not in failure.text


def test_junit_flaky_passes_at_the_pass_rate(tmp_path: Path) -> None:
    write_junit(flaky_document(0.5), tmp_path / "j.xml")
    case = cases_of(tmp_path / "j.xml")["fk"]
    assert case.is_passed  # type: ignore[attr-defined]
    assert "pass rate 0.50 is at or above --min-pass-rate 0.5" in case.system_out  # type: ignore


def test_junit_not_run_cases_are_skipped(tmp_path: Path) -> None:
    summary = Summary(total=0, not_run=2, not_run_ids=["a", "b"])
    write_junit(ResultsDocument(results=[], summary=summary), tmp_path / "j.xml")
    xml = JUnitXml.fromfile(str(tmp_path / "j.xml"))
    assert (xml.tests, xml.skipped) == (2, 2)
    assert all(isinstance(c.result[0], Skipped) for s in xml for c in s)


# -- JSON --------------------------------------------------------------------------------------


def test_json_document_round_trips_with_new_fields(replayed: tuple[Path, Path]) -> None:
    data = json.loads(replayed[0].read_text())
    assert data["schema"] == "replaycase.results/v2"
    assert {"flaky", "not_run", "not_run_ids", "repeat", "min_pass_rate", "shard"} \
        <= set(data["summary"])
    assert {"repeats", "pass_rate", "repeat_runs"} <= set(data["results"][0])
    document = ResultsDocument.model_validate(data)
    assert [r.verdict for r in document.results] == ["runner_error", "failing", "fixed",
                                                     "reproduced"]


# -- GitHub annotations ------------------------------------------------------------------------


def test_workflow_command_escaping() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert command("error", "x,y.yaml", 3, "t:1", "m\nn") == \
        "::error file=x%2Cy.yaml,line=3,title=t%3A1::m%0An"


def line_of(case_yaml: Path, section: str, key: str) -> int:
    """The 1-based line of the first ``- key:`` entry after ``section:``."""
    lines = case_yaml.read_text().splitlines()
    start = lines.index(f"{section}:")
    return next(n for n, text in enumerate(lines, 1)
                if n > start + 1 and text.startswith(f"- {key}:"))


def test_annotations_point_at_the_case_yaml_lines(replayed: tuple[Path, Path],
                                                  suite: Path) -> None:
    document = ResultsDocument.model_validate_json(replayed[0].read_text())
    notes = annotations(document, case_yaml_lines(document.results), root=suite)
    failing = [n for n in notes if "title=fl" in n]
    failed = [a for a in document.results[1].assertions if a.outcome == "failed"]
    assert [a.key for a in failed] == ["final_output_exists", "tool_called"]  # it did nothing
    assert failing == [f"::error file=fl/case.yaml,line="
                       f"{line_of(suite / 'fl' / 'case.yaml', 'desired', a.key)}"
                       f",title=fl (failing)::desired assertion failed: {a.key}: {a.message}"
                       for a in failed]
    reproduced = [n for n in notes if "title=rp" in n]
    assert len(reproduced) == 5  # one per observed signature
    status_line = line_of(suite / "rp" / "case.yaml", "observed_failure", "status_is")
    assert f"line={status_line}," in reproduced[0]
    assert "observed failure reproduced: status_is" in reproduced[0]
    [runner] = [n for n in notes if "title=er" in n]
    runner_line = next(n for n, text in enumerate(
        (suite / "er" / "case.yaml").read_text().splitlines(), 1) if text.startswith("runner:"))
    assert f"line={runner_line}," in runner and "runner error: exited with code 3" in runner
    assert not [n for n in notes if "title=fx" in n]


def test_annotations_fall_back_to_line_1(tmp_path: Path) -> None:
    document = flaky_document(None)
    [note] = annotations(document, case_yaml_lines(document.results), root=tmp_path)
    assert note.startswith("::error file=cases/fk/case.yaml,line=1,title=fk (flaky 1/2)::")
    assert "flaky (1/2 runs passed)" in note
    flaky = flaky_document(0.5)
    [warning] = annotations(flaky, case_yaml_lines(flaky.results), root=tmp_path)
    assert warning.startswith("::warning ") and "--min-pass-rate 0.5" in warning


def test_cli_annotations_only_on_github_actions(suite: Path, tmp_path: Path) -> None:
    args = ["replay", str(suite / "fl"), "--runner-cmd", RUNNER, "--evidence-dir",
            str(tmp_path / "runs")]
    code, out, _ = cli(args, env={"GITHUB_ACTIONS": "true"})
    assert code == 1 and "::error file=" in out and ",title=fl (failing)::" in out
    code, out, err = cli(args, env={"GITHUB_ACTIONS": "false"})
    assert "::error" not in out + err
    code, out, err = cli([*args, "-o", "json"], env={"GITHUB_ACTIONS": "true"})
    assert json.loads(out)["summary"]["failing"] == 1  # stdout stays pure JSON
    assert "::error file=" in err


# -- terminal ----------------------------------------------------------------------------------


def test_terminal_flaky_line_and_summary() -> None:
    document = flaky_document(None)
    line = verdict_line(document.results[0]).plain
    assert "FLAKY" in line and "passed 1/2 runs" in line
    summary = document.summary.model_copy(update={"not_run": 3, "shard": "1/2"})
    text = summary_line(summary).plain
    assert text.startswith("shard 1/2: 1 case") and "1 flaky" in text
    assert "3 not run (--fail-fast)" in text


@pytest.mark.parametrize("verdict", ["fixed", "reproduced"])
def test_junit_shows_an_evidence_error(tmp_path: Path, verdict: str) -> None:
    result = ReplayResult(case_id="c", case_path="cases/c", verdict=verdict,
                          evidence_error="result.json: cannot write: No space left on device")
    path = tmp_path / "junit.xml"
    write_junit(ResultsDocument(results=[result], summary=summarize([result])), path)
    text = path.read_text()
    assert "evidence error: result.json: cannot write: No space left on device" in text
    JUnitXml.fromfile(str(path))  # well-formed
