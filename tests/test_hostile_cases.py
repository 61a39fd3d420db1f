"""Hostile case files and options: a case folder runs nothing of its own, untrusted regexes
run with a time bound, every number is validated, ids are whole-string matched, and the
JUnit report stays well-formed XML whatever the candidate prints."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from replaycase.assertions import evaluate, parse_entry
from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.case.schema import case_json_schema
from replaycase.cli import app
from replaycase.model import TraceRun
from replaycase.project.init import NO_RUNNER_MESSAGE, WORKFLOW
from replaycase.replay.case_run import NO_RUNNER_CMD, ReplayOptions, replay_case
from replaycase.scaffolding.build import scaffold
from replaycase.scaffolding.signatures import mask_message

DATA = Path(__file__).parent / "data" / "replaykit"
PY = shlex.quote(sys.executable)


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


def edit_case(case_dir: Path, change: dict[str, object]) -> None:
    """Rewrite case.yaml with some top-level keys replaced."""
    path = case_dir / "case.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(change)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def copy_cmd(name: str) -> str:
    return f'cp {shlex.quote(str(DATA / name))} "$REPLAYCASE_OUTPUT_PATH"'


# -- 1. nothing in a case folder runs ------------------------------------------------------


@pytest.fixture
def marker_case(case_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "marker"
    edit_case(case_dir, {"runner": {"cmd": f"touch {shlex.quote(str(marker))}",
                                    "timeout_s": 30}})
    return case_dir, marker


def test_replay_without_runner_cmd_never_runs_the_case_command(
        marker_case: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case_dir, marker = marker_case
    monkeypatch.chdir(tmp_path)  # no [tool.replaycase] with a runner_cmd around
    code, _, err = cli(["replay", str(case_dir), "--evidence-dir", str(tmp_path / "runs")])
    assert one_line_error(code, err) == f"replaycase: error: {NO_RUNNER_CMD}"
    assert NO_RUNNER_CMD.endswith("pass --runner-cmd or set runner_cmd in [tool.replaycase]")
    assert not marker.exists()


def test_replay_case_api_without_runner_cmd_is_a_usage_error(
        marker_case: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, marker = marker_case
    from replaycase.errors import UsageError

    with pytest.raises(UsageError, match="pass --runner-cmd or set runner_cmd"):
        replay_case(load_case(case_dir), ReplayOptions(evidence_root=tmp_path / "runs"))
    assert not marker.exists()


def test_with_runner_cmd_the_case_command_is_still_not_run(
        marker_case: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, marker = marker_case
    code, out, err = cli(["replay", str(case_dir), "--runner-cmd", copy_cmd("output-fixed.json"),
                          "--evidence-dir", str(tmp_path / "runs"), "--output", "json"])
    assert code == 0, err
    [result] = json.loads(out)["results"]
    assert result["verdict"] == "fixed"
    assert result["runner"]["cmd"] == copy_cmd("output-fixed.json")
    assert not marker.exists()


def test_pytest_plugin_never_runs_the_case_command(marker_case: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    case_dir, marker = marker_case
    # Without --replaycase-runner the plugin collects nothing, so nothing can run.
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(case_dir)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 5, done.stdout  # no tests collected
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(case_dir), "--replaycase-runner", copy_cmd("output-fixed.json"),
                           "--replaycase-evidence-dir", str(tmp_path / "runs")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    assert not marker.exists()


def test_a_case_with_runner_cmd_loads_and_lint_warns_it_is_ignored(
        marker_case: tuple[Path, Path]) -> None:
    case_dir, _ = marker_case
    assert load_case(case_dir).spec.runner.timeout_s == 30
    report = lint_case(case_dir)
    assert report.clean, report.problems  # a warning does not make lint fail
    [warning] = report.warnings
    assert warning.file == "case.yaml" and warning.line is not None
    assert "runner.cmd is ignored" in warning.message

    code, out, _ = cli(["lint", str(case_dir)])
    assert code == 0
    assert f"case.yaml:{warning.line}: warning: runner.cmd is ignored" in out
    assert "1 warning" in out
    code, out, _ = cli(["lint", str(case_dir), "--output", "json"])
    assert code == 0
    document = json.loads(out)
    assert document["clean"] is True
    [case] = document["cases"]
    assert case["problems"] == []
    assert "runner.cmd is ignored" in case["warnings"][0]["message"]


def test_a_fresh_case_has_no_warnings_and_no_runner_cmd(case_dir: Path) -> None:
    text = (case_dir / "case.yaml").read_text()
    assert "cmd" not in yaml.safe_load(text)["runner"]
    assert "cmd:" not in text
    report = lint_case(case_dir)
    assert report.clean and report.warnings == []


def test_schema_says_runner_cmd_is_ignored() -> None:
    runner = case_json_schema()["$defs"]["RunnerDefaults"]
    cmd = runner["properties"]["cmd"]
    assert cmd.get("deprecated") is True and "Ignored" in cmd["description"]
    assert "never" in runner["description"]


def _guard_step(folder: Path) -> dict[str, object] | None:
    document = yaml.safe_load((folder / WORKFLOW).read_text())
    [job] = document["jobs"].values()
    names = [step.get("name") for step in job["steps"]]
    replay = names.index("Replay cases")
    guard = next((s for s in job["steps"] if s.get("name") == "Check the runner command"), None)
    if guard is not None:
        assert job["steps"].index(guard) < replay
    return guard


def test_init_without_runner_cmd_writes_a_workflow_that_fails_clearly(tmp_path: Path) -> None:
    code, out, err = cli(["init", str(tmp_path)])
    assert code == 0, err
    assert "the workflow fails until it is set" in out
    guard = _guard_step(tmp_path)
    assert guard is not None and guard["shell"] == "python"
    script = tmp_path / "guard.py"
    script.write_text(str(guard["run"]))
    empty = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert empty.returncode == 0, empty.stdout  # no case yet: nothing to replay
    (tmp_path / "cases" / "first").mkdir(parents=True)  # the first case arrives
    (tmp_path / "cases" / "first" / "case.yaml").write_text("schema: replaycase/v1\n")
    failed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert failed.returncode == 1
    assert failed.stdout.strip() == f"::error title=replaycase::{NO_RUNNER_MESSAGE}"
    # Once runner_cmd is configured, the same workflow goes on to replay.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        "# runner_cmd = ", 'runner_cmd = "python my_agent_runner.py" # '))
    passed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_init_with_runner_cmd_writes_no_guard(tmp_path: Path) -> None:
    code, _, err = cli(["init", str(tmp_path), "--runner-cmd", "python run.py"])
    assert code == 0, err
    assert _guard_step(tmp_path) is None


# -- 2. regexes from a case run with a time bound ------------------------------------------

EVIL = "(a|a)+$"  # exponential backtracking: 2^n paths before '!' fails the match, from any
# position, so also inside a JSON text (``regex`` is quick on ``^(a+)+$``; this one it is not)
EVIL_TEXT = "a" * 40 + "!"


@pytest.fixture
def short_bound(monkeypatch: pytest.MonkeyPatch) -> float:
    from replaycase import _bounded_regex as bounded_regex

    monkeypatch.setattr(bounded_regex, "TIMEOUT_S", 0.2)
    return 0.2


def evil_run() -> TraceRun:
    return TraceRun.model_validate({
        "run_id": "r", "status": "error", "final_output": json.dumps({"answer": EVIL_TEXT}),
        "events": [
            {"type": "tool_call", "seq": 1, "tool_name": "lookup",
             "tool_args": {"q": EVIL_TEXT}},
            {"type": "error", "seq": 2, "message": EVIL_TEXT},
            {"type": "final_output", "seq": 3, "output": json.dumps({"answer": EVIL_TEXT})},
        ]})


REGEX_ENTRIES = {
    "error_matches": {"error_matches": EVIL},
    "final_output_matches": {"final_output_matches": EVIL},
    "output_field": {"output_field": {"path": "answer", "matches": EVIL}},
    "tool_args": {"tool_args": {"tool": "lookup", "args": {"q": EVIL}, "match": "regex"}},
    "not": {"not": {"error_matches": EVIL}},
    "all_of": {"all_of": [{"status_is": "error"}, {"final_output_matches": EVIL}]},
    "any_of": {"any_of": [{"error_matches": EVIL}, {"final_output_matches": EVIL},
                          {"tool_args": {"tool": "lookup", "args": {"q": EVIL},
                                         "match": "regex"}}]},
}


@pytest.mark.parametrize("name", list(REGEX_ENTRIES))
def test_a_backtracking_regex_is_an_error_within_the_bound(name: str,
                                                          short_bound: float) -> None:
    entry = parse_entry(REGEX_ENTRIES[name])
    started = time.monotonic()
    outcome = evaluate(entry, evil_run())
    elapsed = time.monotonic() - started
    assert outcome.outcome == "error", outcome
    assert "regex took longer than 0.2 s on " in outcome.message
    # One budget per entry, nested entries included (generous: the machine may be busy; an
    # unbounded search of 2^40 paths would take hours).
    assert elapsed < short_bound + 5


def test_the_timeout_message_names_the_bound_and_the_text_size() -> None:
    text = "a" * 12_345 + "!"
    run = TraceRun.model_validate({"run_id": "r", "status": "error",
                                   "events": [{"type": "error", "seq": 1, "message": text}]})
    outcome = evaluate(parse_entry({"error_matches": EVIL}), run)
    assert outcome.outcome == "error"
    assert outcome.message == "regex took longer than 1 s on 12,346 characters"


def test_patterns_compile_once(short_bound: float) -> None:
    from replaycase._bounded_regex import compile_pattern

    compile_pattern.cache_clear()
    run = evil_run()
    entry = parse_entry({"final_output_matches": "answer"})
    for _ in range(50):
        assert evaluate(entry, run).outcome == "passed"
    info = compile_pattern.cache_info()
    assert info.misses == 1 and info.hits >= 50


def evil_case(tmp_path: Path) -> Path:
    trace = tmp_path / "evil-trace.json"
    trace.write_text(json.dumps({"run_id": "run-evil", "status": "error", "events": [
        {"type": "input_message", "role": "user", "content": "hi"},
        {"type": "error", "message": EVIL_TEXT}]}))
    out = tmp_path / "cases" / "evil"
    scaffold(trace, out)
    data = yaml.safe_load((out / "case.yaml").read_text())
    edit_case(out, {"observed_failure": [*data["observed_failure"], {"error_matches": EVIL}],
                    "desired": [*data["desired"], {"not": {"final_output_matches": EVIL}},
                                {"output_field": {"path": "a", "matches": EVIL}}]})
    return out


def test_lint_reports_a_backtracking_regex_naming_the_entry(tmp_path: Path,
                                                            short_bound: float) -> None:
    case = evil_case(tmp_path)
    data = yaml.safe_load((case / "case.yaml").read_text())
    observed_index = len(data["observed_failure"]) - 1
    started = time.monotonic()
    code, out, _ = cli(["lint", str(case)])
    assert time.monotonic() - started < 5
    assert code == 1
    assert (f"observed_failure[{observed_index}] (error_matches) does not hold on the source "
            "trace: regex took longer than 0.2 s on 41 characters") in out


def test_lint_reports_a_desired_regex_timeout(tmp_path: Path, short_bound: float) -> None:
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"run_id": "run-1", "status": "error",
                                 "final_output": EVIL_TEXT, "events": [
                                     {"type": "input_message", "role": "user", "content": "hi"},
                                     {"type": "llm_call", "model": "m"},
                                     {"type": "error", "message": "boom"}]}))
    out = tmp_path / "cases" / "desired"
    scaffold(trace, out)
    data = yaml.safe_load((out / "case.yaml").read_text())
    edit_case(out, {"desired": [*data["desired"], {"not": {"final_output_matches": EVIL}}]})
    report = lint_case(out)
    index = len(data["desired"])
    assert [p.message for p in report.problems] == [
        f"desired[{index}] (not) could not be evaluated on the source trace: final_output_"
        "matches could not be judged: regex took longer than 0.2 s on 41 characters"]


def test_replay_judges_a_backtracking_regex_as_an_error(tmp_path: Path,
                                                         short_bound: float) -> None:
    case = evil_case(tmp_path)
    output = tmp_path / "candidate.json"
    output.write_text(json.dumps({"run_id": "c", "status": "error", "final_output": EVIL_TEXT,
                                  "errors": [EVIL_TEXT]}))
    started = time.monotonic()
    code, out, err = cli(["replay", str(case), "--runner-cmd",
                          f'cp {shlex.quote(str(output))} "$REPLAYCASE_OUTPUT_PATH"',
                          "--evidence-dir", str(tmp_path / "runs"), "--output", "json"])
    assert time.monotonic() - started < 10
    assert code == 1, err
    [result] = json.loads(out)["results"]
    timed_out = [o for o in result["signatures"] + result["assertions"]
                 if o["outcome"] == "error"]
    assert {o["key"] for o in timed_out} == {"error_matches", "not"}
    assert all("regex took longer than 0.2 s" in o["message"] for o in timed_out)


@pytest.mark.parametrize("message", [
    "TimeoutError: billing-api did not respond within 10s",
    "HTTP 502 from https://api.example.com/v1/items?id=42&page=3.5 (retry 2 of 3)",
    "KeyError: 'user[0].name' not in {\"a\": [1, 2]} ^ $ * + ? | \\ ( )",
    "request 3f2c9a1e-8b7d-4c6e-9f01-23456789abcd failed after 1.25s: <redacted:email:1>",
    "deadbeef12 trace 0xCAFE42 — naïve café ✓ 数据库超时",
    "max turns (25) exceeded; {x} [y] (?P<z>)",
])
def test_scaffold_patterns_mean_the_same_to_re_and_regex(message: str) -> None:
    import re

    import regex

    pattern = mask_message(message)
    assert re.search(pattern, message) and regex.search(pattern, message)
    for other in (message, message.upper(), "x" + message[:-1], "10s 2.5 1"):
        ours = regex.search(pattern, other)
        theirs = re.search(pattern, other)
        assert (ours and ours.span()) == (theirs and theirs.span())


@pytest.mark.parametrize("pattern", ["(unclosed", "a{2,1}", "*x", "[z-a]", "a)", "[a", "(?Q)"])
def test_lint_compiles_regexes_with_the_same_engine(case_dir: Path, pattern: str) -> None:
    data = yaml.safe_load((case_dir / "case.yaml").read_text())
    edit_case(case_dir, {"desired": [*data["desired"], {"final_output_matches": pattern}]})
    report = lint_case(case_dir)
    assert any("not a valid regular expression" in p.message for p in report.problems)


# -- 3. every number is validated -----------------------------------------------------------

BAD_FLAGS = [
    *(("--timeout", v) for v in ("nan", "inf", "-inf", "-1", "0", "86401")),
    *(("--max-output-mb", v) for v in ("nan", "inf", "-1", "0", "2e6")),
    *(("-j", v) for v in ("0", "-1", "2000")),
    *(("--repeat", v) for v in ("0", "1000000000")),
    *(("--min-pass-rate", v) for v in ("nan", "inf", "0", "1.5", "-0.5")),
]


@pytest.mark.parametrize(("flag", "value"), BAD_FLAGS)
def test_a_bad_number_flag_is_one_line_naming_it(case_dir: Path, tmp_path: Path, flag: str,
                                                 value: str) -> None:
    marker = tmp_path / "ran"
    code, _, err = cli(["replay", str(case_dir), "--runner-cmd", f"touch {marker}",
                        "--evidence-dir", str(tmp_path / "runs"), flag, value])
    line = one_line_error(code, err)
    assert line.startswith(f"replaycase: error: {flag} must be "), line
    assert "(got " in line
    assert not marker.exists() and not (tmp_path / "runs").exists()


def test_the_pytest_plugin_checks_its_timeout(case_dir: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(case_dir), "--replaycase-runner", "true",
                           "--replaycase-timeout", "nan"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr  # a usage error
    assert "--replaycase-timeout must be above 0 and at most 86400 (got nan)" in done.stderr


BAD_CONFIG = [
    ("timeout_s", v) for v in ("nan", "inf", "-inf", "-1", "0", "true", '"60"')
] + [
    ("max_output_mb", v) for v in ("nan", "inf", "0", "true", "2e6")
] + [
    ("jobs", v) for v in ("true", "false", "0", "1.5", "inf", "nan")
] + [
    (f"limits.{key}", v) for key in ("max_file_mb", "max_string_mb", "max_output_mb")
    for v in ("nan", "inf", "true", "0", "1e9")
] + [
    ("limits.max_depth", v) for v in ("true", "1.5", "inf", "0")
] + [
    ("prices.m.input_per_million", v) for v in ("nan", "inf", "true", "-inf")
]


@pytest.mark.parametrize(("key", "value"), BAD_CONFIG)
def test_a_bad_number_in_the_config_is_one_line_naming_the_key(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str,
        value: str) -> None:
    table, _, name = key.rpartition(".")
    body = {"": "", "limits": "", "prices.m": 'output_per_million = 1\n'}[table]
    header = f"[tool.replaycase{'.' + table if table else ''}]"
    (tmp_path / "pyproject.toml").write_text(f"{header}\n{name} = {value}\n{body}")
    monkeypatch.chdir(tmp_path)
    for args in (["lint", str(case_dir)], ["replay", str(case_dir), "--runner-cmd", "true"]):
        code, _, err = cli(args)
        line = one_line_error(code, err)
        assert f"pyproject.toml: tool.replaycase.{key}: " in line, line


BAD_CASE_NUMBERS = [
    ({"runner": {"timeout_s": v}}, "runner.timeout_s")
    for v in (float("nan"), float("inf"), -1, 0, True, "60", 86401)
] + [
    ({"revision": v}, "revision") for v in (True, 1.5, float("nan"), 0)
] + [
    ({"desired": [{entry: v}]}, entry)
    for entry in ("max_cost_usd", "max_duration_ms", "max_tokens", "max_tool_calls")
    for v in (float("nan"), float("inf"), True, -1)
] + [
    ({"desired": [{entry: {bound: v}}]}, f"{entry}.{bound}")
    for entry in ("tool_call_count", "llm_call_count", "tool_error_count")
    for bound in ("min", "max", "equals") for v in (float("nan"), float("inf"), True, 1.5)
] + [
    ({"desired": [{"repeated_tool_call": {"max": v}}]}, "repeated_tool_call.max")
    for v in (float("nan"), True, 2.5)
] + [
    ({"desired": [{"not": {"max_cost_usd": float("nan")}}]}, "not.max_cost_usd"),
    ({"desired": [{"all_of": [{"max_tokens": True}]}]}, "all_of[0].max_tokens"),
]


@pytest.mark.parametrize(("change", "where"), BAD_CASE_NUMBERS,
                         ids=[f"{w}={next(iter(c.values()))!r}"[:60] for c, w in
                              BAD_CASE_NUMBERS])
def test_a_bad_number_in_case_yaml_names_the_key(case_dir: Path, tmp_path: Path,
                                                 change: dict[str, object],
                                                 where: str) -> None:
    edit_case(case_dir, change)
    report = lint_case(case_dir)
    assert not report.clean
    assert any(where in p.message and p.line for p in report.problems), report.problems
    code, _, err = cli(["replay", str(case_dir), "--runner-cmd", "true",
                        "--evidence-dir", str(tmp_path / "runs")])
    line = one_line_error(code, err)
    assert "case.yaml: line " in line and where in line, line


# -- 4. validating regexes match the whole text ---------------------------------------------

BAD_IDS = ["a\n", "a\nb", "\na", "a\r", "a ", " a", "a\t", "", "-a", "a" * 129, "ａ", "a/b"]


@pytest.mark.parametrize("case_id", BAD_IDS, ids=repr)
def test_a_bad_case_id_is_refused(case_dir: Path, tmp_path: Path, case_id: str) -> None:
    edit_case(case_dir, {"id": case_id})
    from replaycase.errors import CaseError

    with pytest.raises(CaseError, match="an id is 1 to 128 letters"):
        load_case(case_dir)
    assert any(p.message.startswith("id: ") for p in lint_case(case_dir).problems)


@pytest.mark.parametrize("case_id", ["a\n", "x\ny"], ids=repr)
def test_scaffold_refuses_an_id_with_a_final_newline(tmp_path: Path, case_id: str) -> None:
    out = tmp_path / "case"
    code, _, err = cli(["scaffold", str(DATA / "billing-loop.json"), "--out", str(out),
                        "--id", case_id])
    assert code == 2, err
    assert "an id is 1 to 128 letters" in err
    assert not out.exists()


def test_good_case_ids_still_load(case_dir: Path) -> None:
    for case_id in ("a", "A.b_c-9", "9" * 128):
        edit_case(case_dir, {"id": case_id})
        assert load_case(case_dir).id == case_id


@pytest.mark.parametrize("text", ["1/3\n/", "١/٣", "1/3x", "1/\n3/"], ids=repr)
def test_a_shard_is_matched_whole_in_ascii_digits(text: str) -> None:
    from replaycase.errors import UsageError
    from replaycase.replay.shard import parse_shard

    with pytest.raises(UsageError, match="--shard must look like I/N"):
        parse_shard(text)
    assert str(parse_shard(" 2 / 3 ")) == "2/3"


def test_a_path_index_is_ascii_digits() -> None:
    from replaycase.assertions._paths import PathError, parse_path, resolve

    assert parse_path("a[1]") == ["a", 1]
    with pytest.raises(PathError):
        parse_path("a[١]")
    with pytest.raises(LookupError):
        resolve({"a": ["x", "y"]}, ["a", "١"])
