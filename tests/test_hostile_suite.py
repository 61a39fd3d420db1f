"""Hostile input at the suite level: refused cases, unwritable outputs, a closed stdout."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_suite import FIXED, cli, make_suite, opts, template  # noqa: F401

from replaycase.replay import suite as suite_module
from replaycase.replay.suite import replay_paths
from replaycase.report.github import annotations, escape_data
from replaycase.report.view import case_yaml_lines
from replaycase.results import ResultsDocument

TRACES = Path(__file__).parent / "data" / "replaykit"


def _unknown_key(case_yaml: Path) -> None:
    case_yaml.write_text("schema: replaycase/v1\nid: z-bad\nbogus: 1\n")


def _not_yaml(case_yaml: Path) -> None:
    case_yaml.write_text("id: [unclosed\n  : :\n")


def _binary(case_yaml: Path) -> None:
    case_yaml.write_bytes(b"\xff\xfe\x00garbage\x80")


def _empty(case_yaml: Path) -> None:
    case_yaml.write_text("")


def _directory(case_yaml: Path) -> None:
    case_yaml.unlink()
    case_yaml.mkdir()


def _fifo(case_yaml: Path) -> None:
    case_yaml.unlink()
    os.mkfifo(case_yaml)


BAD_CASES: dict[str, Callable[[Path], None]] = {
    "unknown-key": _unknown_key, "not-yaml": _not_yaml, "binary": _binary, "empty": _empty,
    "directory": _directory, "fifo": _fifo,
}


@pytest.mark.parametrize("spoil", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_a_refused_case_does_not_stop_the_others(template: Path, tmp_path: Path,  # noqa: F811
                                                 spoil: Callable[[Path], None]) -> None:
    cases = make_suite(template, tmp_path, ["a-good", "z-bad", "b-good"])
    spoil(cases / "z-bad" / "case.yaml")
    json_file, junit = tmp_path / "r.json", tmp_path / "j.xml"
    code, out, err = cli(["replay", str(cases), "--runner-cmd", FIXED, "--evidence-dir",
                          str(tmp_path / "runs"), "--json", str(json_file),
                          "--junit", str(junit)])
    assert code == 2, err
    lines = [line for line in err.splitlines() if "z-bad" in line]
    assert len(lines) == 1 and lines[0].startswith("replaycase: error: ")
    assert "Traceback" not in err and "internal error" not in err
    document = json.loads(json_file.read_text())
    assert [(r["case_id"], r["verdict"]) for r in document["results"]] == [
        ("a-good", "fixed"), ("b-good", "fixed")]
    summary = document["summary"]
    assert summary["invalid"] == 1 and summary["passed"] == 2
    [invalid] = summary["invalid_cases"]
    assert invalid["path"].endswith("cases/z-bad") and "z-bad" in invalid["error"]
    assert 'type="invalid_case"' in junit.read_text()
    assert "1 invalid" in out
    results = ResultsDocument.model_validate(document)
    notes = annotations(results, case_yaml_lines([], results.summary.invalid_cases), tmp_path)
    assert notes == [f"::error file=cases/z-bad/case.yaml,line=1,title=invalid case (not run)::"
                     f"{escape_data(invalid['error'])}"]


@pytest.mark.parametrize("fault", [OSError(errno.EACCES, "Permission denied"),
                                   RecursionError("maximum recursion depth exceeded")])
def test_a_case_that_fails_to_load_is_refused_not_fatal(template: Path,  # noqa: F811
                                                        tmp_path: Path, fault: Exception,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    cases = make_suite(template, tmp_path, ["a-good", "z-bad"])
    real = suite_module.load_case

    def load(folder):  # type: ignore[no-untyped-def]
        if Path(folder).name == "z-bad":
            raise fault
        return real(folder)

    monkeypatch.setattr(suite_module, "load_case", load)
    document = replay_paths([cases], opts(tmp_path, FIXED))
    assert [r.verdict for r in document.results] == ["fixed"]
    [invalid] = document.summary.invalid_cases
    assert invalid.error.startswith(str(cases / "z-bad") + ": ")


def test_duplicate_case_id_stays_a_usage_error(template: Path, tmp_path: Path) -> None:  # noqa: F811
    cases = make_suite(template, tmp_path, ["dup-a", "dup-b"])
    text = (cases / "dup-b" / "case.yaml").read_text().replace("id: dup-b", "id: dup-a")
    (cases / "dup-b" / "case.yaml").write_text(text)
    pid = tmp_path / "pid"
    started = time.monotonic()
    code, _, err = cli(["replay", str(cases), "--runner-cmd", f"echo $$ > {pid}; sleep 30",
                        "--evidence-dir", str(tmp_path / "runs")])
    assert code == 2 and "'dup-a' is used by both" in err
    assert time.monotonic() - started < 10  # a runner already started is ended, not awaited
    if pid.exists():
        assert not Path(f"/proc/{pid.read_text().strip()}").exists()


# -- outputs are checked before any runner starts ----------------------------------------------


def _outputs(tmp_path: Path) -> dict[str, list[str]]:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {
        "json-is-a-folder": ["--json", str(folder)],
        "junit-is-a-folder": ["--junit", str(folder)],
        "html-is-a-folder": ["--html", str(folder)],
        "markdown-is-a-folder": ["--markdown", str(folder)],
        "json-under-a-file": ["--json", str(a_file / "r.json")],
        "evidence-in-proc": ["--evidence-dir", "/proc/replaycase-evidence"],
        "evidence-is-proc": ["--evidence-dir", "/proc"],
        "evidence-is-a-file": ["--evidence-dir", str(a_file)],
        "evidence-under-a-file": ["--evidence-dir", str(a_file / "runs")],
    }


OUTPUTS = ["json-is-a-folder", "junit-is-a-folder", "html-is-a-folder", "markdown-is-a-folder",
           "json-under-a-file", "evidence-in-proc", "evidence-is-proc", "evidence-is-a-file",
           "evidence-under-a-file"]


@pytest.mark.parametrize("name", OUTPUTS)
def test_unwritable_output_is_refused_before_any_runner(template: Path,  # noqa: F811
                                                        tmp_path: Path, name: str) -> None:
    cases = make_suite(template, tmp_path, ["o-case"])
    ran = tmp_path / "ran"
    args = _outputs(tmp_path)[name]
    if args[0] != "--evidence-dir":
        args += ["--evidence-dir", str(tmp_path / "runs")]
    code, out, err = cli(["replay", str(cases), "--runner-cmd", f"touch {ran}; {FIXED}",
                          *args])
    assert code == 2, out + err
    assert not ran.exists()  # refused before the runner started
    assert err.startswith("replaycase: error: ") and len(err.strip().splitlines()) == 1
    assert args[1] in err and "internal error" not in err


def test_outputs_that_are_fine_still_work(template: Path, tmp_path: Path) -> None:  # noqa: F811
    cases = make_suite(template, tmp_path, ["o-case"])
    json_file = tmp_path / "new" / "deeper" / "r.json"
    code, _, err = cli(["replay", str(cases), "--runner-cmd", FIXED, "--evidence-dir",
                        str(tmp_path / "runs"), "--json", str(json_file),
                        "--markdown", str(tmp_path / "m.md")])
    assert code == 0, err
    assert json.loads(json_file.read_text())["summary"]["fixed"] == 1
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".replaycase")]


# -- a reader that goes away ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["inspect", str(TRACES / "billing-loop.json"), "--output", "json"],
    ["inspect", str(TRACES / "billing-loop.json")],
    ["schema"],
    ["--version"],
    ["--help"],
], ids=["inspect-json", "inspect-text", "schema", "version", "help"])
def test_a_closed_stdout_is_a_quiet_exit(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write is EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "replaycase", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr == ""  # no traceback, no internal error, no "Exception ignored"


def test_head_closing_the_pipe_is_a_quiet_exit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    run = json.loads((TRACES / "billing-loop.json").read_text())
    run["metadata"]["note"] = "x" * 300_000  # more than a pipe holds: the writer meets EPIPE
    big.write_text(json.dumps(run))
    done = subprocess.run(f"{sys.executable} -m replaycase inspect {big} --output json "
                          "| head -c 10", shell=True, capture_output=True, text=True,
                          timeout=60, check=False)
    assert len(done.stdout) == 10
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert "internal error" not in done.stderr


def test_merge_keeps_refused_cases_once_and_an_interrupt() -> None:
    from replaycase.results import InvalidCase, Summary
    from replaycase.results.merge import merge_documents

    refused = InvalidCase(path="cases/z-bad", error="cases/z-bad/case.yaml: line 1: bad")
    one = ResultsDocument(results=[], summary=Summary(shard="1/2", invalid=1,
                                                      invalid_cases=[refused]))
    two = ResultsDocument(results=[], summary=Summary(shard="2/2", invalid=1,
                                                      invalid_cases=[refused], incomplete=True,
                                                      interrupted="SIGTERM"))
    merged = merge_documents([(Path("a.json"), one), (Path("b.json"), two)]).summary
    assert merged.invalid == 1 and merged.invalid_cases == [refused]
    assert merged.incomplete and merged.interrupted == "SIGTERM"


def test_merge_of_results_with_a_refused_case_does_not_pass(tmp_path: Path) -> None:
    from replaycase.results import InvalidCase, Summary

    refused = InvalidCase(path="cases/z-bad", error="cases/z-bad/case.yaml: line 1: bad")
    shard = tmp_path / "shard.json"
    shard.write_text(ResultsDocument(results=[], summary=Summary(
        invalid=1, invalid_cases=[refused])).model_dump_json(by_alias=True))
    code, _, _ = cli(["merge", str(shard)])
    assert code == 1
