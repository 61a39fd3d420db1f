"""Suite replay: parallel runs in a stable order, sharding, repeats, fail-fast, progress."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.errors import UsageError
from replaycase.replay.case_run import ReplayOptions
from replaycase.replay.repeat import combine
from replaycase.replay.shard import Shard, parse_shard, select_shard, shard_of
from replaycase.replay.suite import SuiteOptions, load_cases, replay_paths
from replaycase.report.terminal import (
    BarProgress,
    PlainProgress,
    progress_display,
    verdict_line,
    wants_bar,
)
from replaycase.results import ReplayResult, RunnerInfo
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


FIXED, FAILING, BUGGY = (copy_cmd(f"output-{n}.json") for n in ("fixed", "failing", "buggy"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("template") / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


def make_suite(template: Path, root: Path, ids: list[str]) -> Path:
    """Case folders named and identified by ``ids`` under root/cases."""
    cases = root / "cases"
    for case_id in ids:
        folder = cases / case_id
        shutil.copytree(template, folder)
        text = (folder / "case.yaml").read_text()
        (folder / "case.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: {case_id}", text))
    return cases


def per_case(commands: dict[str, str], default: str = FIXED) -> str:
    """A runner command that does something different for some case ids."""
    arms = " ".join(f"{shlex.quote(k)}) {v};;" for k, v in commands.items())
    return f'case "$REPLAYCASE_CASE_ID" in {arms} *) {default};; esac'


def after_the_others(marker: Path, then: str) -> tuple[str, str]:
    """(a command that waits for ``marker`` then runs ``then``, one that creates it first)."""
    wait = (f"i=0; until [ -e {marker} ] || [ $i -ge 250 ]; do sleep 0.02; i=$((i+1)); done; "
            f"sleep 0.3; {then}")
    return wait, f"touch {marker}; {FIXED}"


def opts(tmp_path: Path, cmd: str, **kw: object) -> ReplayOptions:
    return ReplayOptions(runner_cmd=cmd, evidence_root=tmp_path / "runs", kill_grace_s=0.5,
                         **kw)  # type: ignore[arg-type]


class Recorder:
    """A suite listener that keeps the order results arrived in."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.order: list[str] = []

    def started(self, total: int, case_ids: object = ()) -> None:
        self.total = total

    def finished(self, result: ReplayResult) -> None:
        self.order.append(result.case_id)


def cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


# -- parallel replay ---------------------------------------------------------------------------


def test_results_in_discovery_order_whatever_the_completion_order(template: Path,
                                                                   tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["a-slow", "b-quick", "c-quick"])
    slow, quick = after_the_others(tmp_path / "marker", FIXED)
    cmd = per_case({"a-slow": slow}, quick)
    listener = Recorder()
    document = replay_paths([cases], opts(tmp_path, cmd), SuiteOptions(jobs=3), listener)
    assert [r.case_id for r in document.results] == ["a-slow", "b-quick", "c-quick"]
    assert listener.order[-1] == "a-slow"  # finished last, listed first
    assert listener.total == 3
    assert document.summary.fixed == 3 and document.summary.passed == 3


def test_jobs_run_cases_at_the_same_time(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["p-one", "p-two"])
    meet = tmp_path / "meet"
    meet.mkdir()
    # each runner waits (up to 5 s) until both have started: only a parallel replay passes
    cmd = (f'touch {meet}/"$REPLAYCASE_CASE_ID"; i=0; '
           f'while [ "$(ls {meet} | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.05; '
           f'i=$((i+1)); done; [ "$(ls {meet} | wc -l)" -ge 2 ] && {FIXED}')
    document = replay_paths([cases], opts(tmp_path, cmd), SuiteOptions(jobs=2))
    assert [r.verdict for r in document.results] == ["fixed", "fixed"]


def test_per_case_timeout_others_go_on(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["t-hang", "t-ok"])
    cmd = per_case({"t-hang": "sleep 30"})
    code, out, _ = cli(["replay", str(cases), "--runner-cmd", cmd, "--timeout", "1",
                        "-j", "2", "--evidence-dir", str(tmp_path / "runs"), "-o", "json"])
    assert code == 1
    hang, ok = json.loads(out)["results"]
    assert hang["verdict"] == "runner_error" and hang["runner"]["timed_out"]
    assert "timed out after 1s" in hang["runner"]["reason"]
    assert ok["verdict"] == "fixed"


def test_invalid_case_is_refused_the_others_replay_exit_2(template: Path,
                                                          tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["a-good", "z-bad"])
    (cases / "z-bad" / "case.yaml").write_text("schema: replaycase/v1\nid: z-bad\nbogus: 1\n")
    code, out, err = cli(["replay", str(cases), "--runner-cmd", FIXED, "--evidence-dir",
                          str(tmp_path / "runs"), "-o", "json"])
    assert code == 2
    assert "z-bad/case.yaml" in err and "Traceback" not in err
    document = json.loads(out)
    assert [(r["case_id"], r["verdict"]) for r in document["results"]] == [("a-good", "fixed")]
    assert document["summary"]["invalid"] == 1


def test_duplicate_case_id_is_usage_error(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["dup-a", "dup-b"])
    text = (cases / "dup-b" / "case.yaml").read_text().replace("id: dup-b", "id: dup-a")
    (cases / "dup-b" / "case.yaml").write_text(text)
    with pytest.raises(UsageError, match="'dup-a' is used by both"):
        load_cases([cases])


@pytest.mark.parametrize("args, message", [
    (["--repeat", "0"], "--repeat must be at least 1"),
    (["--min-pass-rate", "0"], "--min-pass-rate must be above 0"),
    (["--min-pass-rate", "1.5"], "--min-pass-rate must be above 0"),
    (["-j", "-1"], "-j must be at least 1"),
])
def test_bad_suite_options_exit_2(template: Path, tmp_path: Path, args: list[str],
                                  message: str) -> None:
    cases = make_suite(template, tmp_path, ["o-case"])
    code, _, err = cli(["replay", str(cases), "--runner-cmd", FIXED, *args])
    assert code == 2 and message in err


# -- sharding ----------------------------------------------------------------------------------


def test_shard_of_is_pinned_to_the_case_id() -> None:
    # sha256(id) mod N + 1: these values must never change, or CI matrices split differently
    assert [shard_of(i, 3) for i in ("billing-loop", "a-case", "c-case", "d-case")] == \
        [2, 3, 1, 2]
    assert shard_of("c-case", 2) == 1 and shard_of("a-case", 2) == 2
    assert all(shard_of(f"case-{n}", 1) == 1 for n in range(20))


@pytest.mark.parametrize("text", ["", "1", "0/3", "4/3", "a/b", "1/0", "-1/3", "1/3/4"])
def test_parse_shard_refuses_bad_syntax(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(text)


def test_parse_shard_accepts_i_of_n() -> None:
    assert parse_shard("2/5") == Shard(2, 5)
    assert str(parse_shard(" 1 / 3 ")) == "1/3"


def test_shards_partition_the_suite_in_order(template: Path, tmp_path: Path) -> None:
    ids = [f"s-{n:02d}" for n in range(12)]
    cases = load_cases([make_suite(template, tmp_path, ids)])
    parts = [[c.id for c in select_shard(cases, Shard(i, 3))] for i in (1, 2, 3)]
    assert sorted(c for part in parts for c in part) == ids  # each case in exactly one shard
    assert all(part == sorted(part) for part in parts)  # discovery order kept
    assert all(part for part in parts)  # 12 ids spread over 3 shards: none empty here


def test_cli_shard_runs_only_its_cases(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["a-case", "c-case", "d-case"])
    runs = str(tmp_path / "runs")
    code, out, _ = cli(["replay", str(cases), "--runner-cmd", FIXED, "--shard", "2/3",
                        "--evidence-dir", runs, "-o", "json"])
    document = json.loads(out)
    assert code == 0
    assert [r["case_id"] for r in document["results"]] == ["d-case"]
    assert document["summary"]["shard"] == "2/3"


def test_cli_empty_shard_exits_0(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["c-case"])  # shard 1 of 2
    code, out, _ = cli(["replay", str(cases), "--runner-cmd", FIXED, "--shard", "2/2",
                        "--evidence-dir", str(tmp_path / "runs")])
    assert code == 0
    assert "shard 2/2: 0 cases" in out


def test_cli_bad_shard_is_usage_error(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["c-case"])
    code, _, err = cli(["replay", str(cases), "--runner-cmd", FIXED, "--shard", "3/2"])
    assert code == 2 and "--shard 3/2" in err and "Traceback" not in err


# -- repeats and flaky cases -------------------------------------------------------------------


def alternating(tmp_path: Path, first: str = FIXED, then: str = FAILING) -> str:
    """A runner whose odd runs do ``first`` and even runs ``then`` (run with -j 1)."""
    counter = tmp_path / "counter"
    return (f'n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}; '
            f'if [ $((n % 2)) -eq 0 ]; then {first}; else {then}; fi')


def test_repeat_flaky_verdict_and_pass_rate(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["r-case"])
    document = replay_paths([cases], opts(tmp_path, alternating(tmp_path)),
                            SuiteOptions(jobs=1, repeat=3))
    [result] = document.results
    assert result.verdict == "flaky" and result.repeats == 3
    assert result.pass_rate == pytest.approx(2 / 3)
    assert [r.verdict for r in result.repeat_runs] == ["fixed", "failing", "fixed"]
    assert [r.passed for r in result.repeat_runs] == [True, False, True]
    dirs = {r.evidence_dir for r in result.repeat_runs}
    assert len(dirs) == 3 and all(Path(d or "").is_dir() for d in dirs)
    assert result.evidence_dir == result.repeat_runs[1].evidence_dir  # the failing run's details
    assert document.summary.flaky == 1 and document.summary.passed == 0


@pytest.mark.parametrize("rate, code", [(None, 1), ("0.6", 0), ("0.67", 1), ("0.5", 0)])
def test_cli_min_pass_rate_decides_flaky_exit_code(template: Path, tmp_path: Path,
                                                   rate: str | None, code: int) -> None:
    cases = make_suite(template, tmp_path, ["r-case"])
    args = ["replay", str(cases), "--runner-cmd", alternating(tmp_path), "--repeat", "3",
            "-j", "1", "--evidence-dir", str(tmp_path / "runs")]
    got, out, _ = cli(args + (["--min-pass-rate", rate] if rate else []))
    assert got == code, out
    assert "FLAKY" in out and "passed 2/3 runs" in out


def test_repeat_all_agree_keeps_the_verdict(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["r-case"])
    document = replay_paths([cases], opts(tmp_path, BUGGY),
                            SuiteOptions(jobs=2, repeat=3, expect="reproduced"))
    [result] = document.results
    assert result.verdict == "reproduced" and result.pass_rate == 1.0
    assert document.summary.passed == 1


def test_repeat_under_expect_reproduced_flaky(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["r-case"])
    document = replay_paths([cases], opts(tmp_path, alternating(tmp_path, BUGGY, FIXED)),
                            SuiteOptions(jobs=1, repeat=2, expect="reproduced"))
    [result] = document.results
    assert result.verdict == "flaky" and result.pass_rate == 0.5
    assert result.verdict != "reproduced" and not result.passes("reproduced")


def _result(verdict: str, ms: float = 10.0) -> ReplayResult:
    return ReplayResult(case_id="c", case_path="cases/c", verdict=verdict,  # type: ignore[arg-type]
                        duration_ms=ms, runner=RunnerInfo(reason="boom" if verdict ==
                                                          "runner_error" else None))


def test_combine_rules() -> None:
    single = _result("failing")
    assert combine([single]) is single
    none_pass = combine([_result("failing"), _result("reproduced"), _result("reproduced")])
    assert none_pass.verdict == "reproduced" and none_pass.pass_rate == 0.0
    tie = combine([_result("runner_error"), _result("failing")])
    assert tie.verdict == "runner_error"  # a tie goes to the earliest
    assert [run.reason for run in tie.repeat_runs] == ["runner: boom", "failing"]
    mixed = combine([_result("fixed", 5), _result("runner_error", 7)])
    assert mixed.verdict == "flaky" and mixed.duration_ms == 12.0
    assert [run.reason for run in mixed.repeat_runs] == [None, "runner: boom"]
    line = verdict_line(mixed).plain  # the reason of the failing runs, not "desired 0/0"
    assert line.endswith("FLAKY        passed 1/2 runs · failed: runner: boom"), line
    assert mixed.passes("fixed", 0.5) and not mixed.passes("fixed", 0.51)
    assert not mixed.passes("fixed")


# -- fail-fast ---------------------------------------------------------------------------------


def test_cli_fail_fast_stops_starting_cases(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["f-1", "f-2", "f-3"])
    cmd = per_case({"f-1": FAILING})
    junit = tmp_path / "junit.xml"
    code, out, _ = cli(["replay", str(cases), "--runner-cmd", cmd, "--fail-fast", "-j", "1",
                        "--evidence-dir", str(tmp_path / "runs"), "-o", "json",
                        "--junit", str(junit)])
    document = json.loads(out)
    assert code == 1
    assert [r["case_id"] for r in document["results"]] == ["f-1"]
    assert document["summary"]["not_run"] == 2
    assert document["summary"]["not_run_ids"] == ["f-2", "f-3"]
    assert junit.read_text().count("<skipped") == 2


def test_without_fail_fast_every_case_runs(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["f-1", "f-2", "f-3"])
    document = replay_paths([cases], opts(tmp_path, per_case({"f-1": FAILING})),
                            SuiteOptions(jobs=1))
    assert [r.verdict for r in document.results] == ["failing", "fixed", "fixed"]
    assert document.summary.not_run == 0


def test_fail_fast_with_all_passing_runs_everything(template: Path, tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["f-1", "f-2"])
    document = replay_paths([cases], opts(tmp_path, FIXED), SuiteOptions(jobs=2,
                                                                         fail_fast=True))
    assert document.summary.total == 2 and document.summary.not_run == 0


# -- progress ----------------------------------------------------------------------------------


def test_cli_in_a_log_prints_each_case_once_as_it_finishes(template: Path,
                                                            tmp_path: Path) -> None:
    """Off a terminal the progress lines are the results, on stdout, the case ids aligned;
    the failing case's details and the summary follow, no case is listed twice."""
    cases = make_suite(template, tmp_path, ["a-slow", "b-quick"])
    slow, quick = after_the_others(tmp_path / "marker", FAILING)
    cmd = per_case({"a-slow": slow}, quick)
    code, out, err = cli(["replay", str(cases), "--runner-cmd", cmd, "-j", "2",
                          "--evidence-dir", str(tmp_path / "runs")])
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("[1/2] b-quick  FIXED") and lines[1].startswith(
        "[2/2] a-slow   FAILING"), out
    assert [line for line in lines if "FIXED" in line or "FAILING" in line] == lines[:2]
    assert lines[2] == "a-slow" and lines[3].lstrip().startswith("✗ ")
    assert lines[-1].startswith("2 cases · 1 fixed · 1 failing")
    assert not any(line.endswith(" ") for line in lines)
    assert not [line for line in err.splitlines() if line.startswith("[")]
    assert "\x1b[" not in out + err  # no colour codes off a terminal
    _, as_json, err = cli(["replay", str(cases), "--runner-cmd", cmd, "--output", "json",
                           "--evidence-dir", str(tmp_path / "runs")])
    assert len(json.loads(as_json)["results"]) == 2  # stdout holds the JSON alone
    assert len([line for line in err.splitlines() if line.startswith("[")]) == 2


def test_wants_bar_only_on_a_plain_terminal() -> None:
    tty = Console(file=io.StringIO(), force_terminal=True)
    assert wants_bar(tty, {})
    assert not wants_bar(tty, {"CI": "true"})
    assert not wants_bar(tty, {"NO_COLOR": "1"})
    assert not wants_bar(Console(file=io.StringIO(), force_terminal=False), {})


def test_progress_display_picks_bar_or_lines() -> None:
    buffer = io.StringIO()
    tty = Console(file=buffer, force_terminal=True, width=100)
    with progress_display(tty, {}) as listener:
        assert isinstance(listener, BarProgress)
        listener.finished(_result("fixed"))
        listener.started(2)
        listener.finished(_result("failing"))
        assert listener.progress.tasks[0].completed == 2
        assert listener.progress.tasks[0].total == 2
    with progress_display(Console(file=io.StringIO()), {"CI": "1"}) as listener:
        assert isinstance(listener, PlainProgress)


# -- the benchmark script ----------------------------------------------------------------------


def test_bench_script_prints_both_figures_and_the_ratio() -> None:
    script = Path(__file__).parents[1] / "bench" / "replay_parallel.py"
    done = subprocess.run([sys.executable, str(script), "--cases", "4", "--rounds", "1",
                           "--runner-cmd", FIXED], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert re.search(r"replaycase replay -j 2: \d+\.\d+s", done.stdout)
    assert re.search(r"xargs -P 2 \(bare runner\): \d+\.\d+s", done.stdout)
    assert re.search(r"^ratio: \d+\.\d+ \(target <= 1\.10", done.stdout, re.MULTILINE)
