"""The pytest plugin, run through pytester: `pytest cases/ --replaycase-runner CMD`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from replaycase.pytest_plugin import NO_RUNNER
from replaycase.scaffolding.build import scaffold

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "data" / "replaykit"
PLUGIN = ["-p", "replaycase.pytest_plugin"]
Run = Callable[..., pytest.RunResult]


@pytest.fixture
def cases(pytester: pytest.Pytester) -> Path:
    """Two cases scaffolded in the pytester folder, and the runner outputs beside them."""
    for name in ("billing-loop.json", "output-fixed.json", "output-buggy.json"):
        shutil.copy(DATA / name, pytester.path / name)
    folder = pytester.path / "cases"
    for case_id in ("billing-loop", "billing-loop-again"):
        scaffold(pytester.path / "billing-loop.json", folder / case_id)
    return folder


def runner(output: str) -> str:
    """A fake candidate that writes a recorded output (cwd is the pytester folder)."""
    return f'cp {output} "$REPLAYCASE_OUTPUT_PATH"'


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Run:
    """pytest on the cases: in process by default (fast), or in a subprocess.

    A subprocess with ``autoload=True`` runs what a user types (plugins from their entry
    points); with ``autoload=False`` only the plugin is loaded, with -p, as under
    PYTEST_DISABLE_PLUGIN_AUTOLOAD=1.
    """

    def invoke(*args: str, subprocess: bool = False, autoload: bool = True) -> pytest.RunResult:
        extra = ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                 "-p", "no:benchmark"]  # unrelated plugins cost seconds per run
        if not subprocess:
            return pytester.runpytest_inprocess(*args, *extra)
        if autoload:
            monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
        else:
            monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
            extra += PLUGIN
        return pytester.runpytest_subprocess(*args, *extra)

    return invoke


def test_entry_point_and_explicit_plugin_load_it_once(pytester: pytest.Pytester, cases: Path,
                                                      run: Run) -> None:
    result = run(str(cases), "--replaycase-runner", runner("output-fixed.json"), *PLUGIN, "-v",
                 subprocess=True)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["replaycase: runner 'cp output-fixed.json*expect fixed",
                                 "*cases/billing-loop/case.yaml::billing-loop PASSED*"])
    assert "already registered" not in result.stdout.str() + result.stderr.str()
    evidence = list((pytester.path / ".replaycase" / "runs").iterdir())
    assert len(evidence) == 2 and all((e / "result.json").is_file() for e in evidence)


def test_buggy_runner_fails_with_the_table_of_assertions(cases: Path, run: Run) -> None:
    # also: with plugin autoload off, -p replaycase.pytest_plugin alone loads it
    result = run(str(cases / "billing-loop"), "--replaycase-runner", runner("output-buggy.json"),
                 subprocess=True, autoload=False)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*_ replaycase: billing-loop _*",
        "billing-loop: REPRODUCED (observed failure reproduced: yes)",
        "*kind*entry*expected*actual",
        "passed*signature*status_is*error*error",
        "failed*desired*status_is*success*error",
        "failed*desired*final_output_exists*true*false",
        "evidence: .replaycase/runs/*billing-loop",
    ])
    assert "Traceback" not in result.stdout.str()


def test_expect_reproduced(cases: Path, run: Run) -> None:
    buggy = run(str(cases), "--replaycase-runner", runner("output-buggy.json"),
                "--replaycase-expect", "reproduced")
    buggy.assert_outcomes(passed=2)
    fixed = run(str(cases / "billing-loop"), "--replaycase-runner",
                runner("output-fixed.json"), "--replaycase-expect", "reproduced")
    fixed.assert_outcomes(failed=1)
    fixed.stdout.fnmatch_lines(["billing-loop: FIXED (observed failure reproduced: no)"])


def test_runner_error_shows_the_reason_and_stderr(cases: Path, run: Run) -> None:
    result = run(str(cases / "billing-loop"), "--replaycase-runner",
                 "echo 'agent exploded' >&2; exit 3")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "billing-loop: RUNNER_ERROR (observed failure reproduced: no)",
        "runner: exited with code 3 without writing an output",
        "stderr tail:",
        "  agent exploded",
    ])


def test_broken_case_yaml_is_one_failed_item_the_others_run(cases: Path, run: Run) -> None:
    case_yaml = cases / "billing-loop-again" / "case.yaml"
    lines = case_yaml.read_text().splitlines()
    lines.insert(3, "bogus: 1")
    case_yaml.write_text("\n".join(lines) + "\n")
    result = run(str(cases), "--replaycase-runner", runner("output-fixed.json"))
    result.assert_outcomes(passed=1, failed=1)  # a collection error would stop the session
    result.stdout.fnmatch_lines([
        "*_ replaycase: billing-loop-again (invalid) _*",
        "replaycase: *cases/billing-loop-again/case.yaml: line 4: bogus: unknown key 'bogus'",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_runner_cmd_of_the_configuration_when_no_flag(pytester: pytest.Pytester, cases: Path,
                                                      run: Run) -> None:
    (pytester.path / "pyproject.toml").write_text(
        f"[tool.replaycase]\nrunner_cmd = {json.dumps(runner('output-buggy.json'))}\n")
    result = run(str(cases), "--replaycase-expect", "reproduced")
    result.assert_outcomes(passed=2)
    result = run(str(cases), "--replaycase-runner", runner("output-fixed.json"))
    result.assert_outcomes(passed=2)  # the flag wins
    assert NO_RUNNER not in result.stdout.str()


def test_without_any_runner_it_says_so_once(pytester: pytest.Pytester, cases: Path,
                                            run: Run) -> None:
    (cases / "billing-loop" / "case.yaml").write_text("schema: [broken\n")  # never read
    result = run(str(cases), "-W", "default", subprocess=True)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.assert_outcomes(warnings=1)
    assert result.stdout.str().count(NO_RUNNER) == 1
    result.stdout.no_fnmatch_line("*replaycase: runner*")


def test_a_suite_without_case_yaml_never_reads_the_configuration(
        pytester: pytest.Pytester, run: Run) -> None:
    (pytester.path / "pyproject.toml").write_text("[tool.replaycase]\nbogus = 1\n")
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = run()
    result.assert_outcomes(passed=1)
    assert "replaycase:" not in result.stdout.str() + result.stderr.str()


def test_configuration_supplies_the_other_settings(pytester: pytest.Pytester, cases: Path,
                                                   run: Run) -> None:
    (pytester.path / "pyproject.toml").write_text(
        '[tool.replaycase]\nevidence_dir = "evidence"\ntimeout_s = 30\n')
    one = str(cases / "billing-loop")
    run(one, "--replaycase-runner", runner("output-fixed.json")).assert_outcomes(passed=1)
    assert len(list((pytester.path / "evidence").iterdir())) == 1
    run(one, "--replaycase-runner", runner("output-fixed.json"), "--replaycase-evidence-dir",
        "flagged").assert_outcomes(passed=1)
    assert len(list((pytester.path / "flagged").iterdir())) == 1
    assert len(list((pytester.path / "evidence").iterdir())) == 1
    (pytester.path / "pyproject.toml").write_text("[tool.replaycase]\njob = 2\n")
    broken = run(one, "--replaycase-runner", runner("output-fixed.json"))
    assert broken.ret == pytest.ExitCode.USAGE_ERROR
    broken.stderr.fnmatch_lines(["*replaycase: *pyproject.toml: tool.replaycase.job: "
                                 "unknown key"])


@pytest.mark.slow
def test_under_xdist(pytester: pytest.Pytester, cases: Path, run: Run) -> None:
    pytest.importorskip("xdist")
    # one fixed and one buggy candidate; the plugin and xdist come from their entry points
    mixed = ('case "$REPLAYCASE_CASE_ID" in billing-loop) ' + runner("output-fixed.json")
             + ";; *) " + runner("output-buggy.json") + ";; esac")
    result = run(str(cases), "--replaycase-runner", mixed, "-n", "2", subprocess=True)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*2 workers*",
        "billing-loop-again: REPRODUCED (observed failure reproduced: yes)",
        "*kind*entry*expected*actual",
        "failed*desired*status_is*success*error",
    ])
    assert len(list((pytester.path / ".replaycase" / "runs").iterdir())) == 2
