"""Runner faults at the suite level: interrupts end every runner, a fault stops one case only."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_suite import FIXED, cli, make_suite, opts, per_case, template  # noqa: F401

from replaycase.errors import InputError
from replaycase.replay import _runners
from replaycase.replay import suite as suite_module
from replaycase.replay.case_run import replay_case
from replaycase.replay.suite import SuiteOptions, replay_paths

IDS = ["i-1", "i-2", "i-3"]


def sleeper(pids: Path, ignore_term: bool = False) -> str:
    """A runner that writes its pid and a background child's into ``pids``/<case>, then waits."""
    trap = "trap '' TERM; " if ignore_term else ""
    return (f'{trap}sleep 60 & echo "$$ $!" > {pids}/"$REPLAYCASE_CASE_ID"; '
            "while :; do sleep 0.05; done")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for(condition: object, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def runner_pids(pids: Path) -> list[int]:
    return [int(p) for f in pids.iterdir() for p in f.read_text().split()]


class Replay:
    """`python -m replaycase replay -j 2` on three cases, run as a user would, in a subprocess."""

    def __init__(self, tmp_path: Path, cases: Path, cmd: str) -> None:
        self.json = tmp_path / "out" / "results.json"
        self.junit = tmp_path / "out" / "junit.xml"
        self.html = tmp_path / "out" / "report.html"
        self.markdown = tmp_path / "out" / "summary.md"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "replaycase", "replay", str(cases), "--runner-cmd", cmd,
             "-j", "2", "--timeout", "60", "--evidence-dir", str(tmp_path / "runs"),
             "--json", str(self.json), "--junit", str(self.junit), "--html", str(self.html),
             "--markdown", str(self.markdown), "-o", "json"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def interrupt(self, *signals: signal.Signals) -> tuple[int, float, str, str]:
        """Send the signals; (exit code, seconds until it exited, stdout, stderr)."""
        started = time.monotonic()
        for sig in signals:
            self.proc.send_signal(sig)
            time.sleep(0.2)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, time.monotonic() - started, out, err


@pytest.fixture
def running(template: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:  # noqa: F811
    """(the cases, the pid folder); no runner of the test may outlive it."""
    pids = tmp_path / "pids"
    pids.mkdir()
    yield make_suite(template, tmp_path, IDS), pids
    for pid in runner_pids(pids):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signals, code", [
    ((signal.SIGTERM,), 143),
    ((signal.SIGINT,), 130),
    ((signal.SIGINT, signal.SIGINT), 130),  # a second Ctrl-C: no threading traceback
])
def test_signal_ends_every_runner_and_writes_incomplete_results(
        running: tuple[Path, Path], tmp_path: Path, signals: tuple[signal.Signals, ...],
        code: int) -> None:
    cases, pids = running
    replay = Replay(tmp_path, cases, sleeper(pids))
    wait_for(lambda: len(list(pids.iterdir())) == 2)  # -j 2: two runners, the third waits
    got, seconds, out, err = replay.interrupt(*signals)
    assert got == code, err
    assert seconds < 8
    assert "Traceback" not in err and "internal error" not in err
    assert f"interrupted by {signals[0].name}" in err
    wait_for(lambda: not any(alive(p) for p in runner_pids(pids)), 2)
    assert len(runner_pids(pids)) == 4  # two shells and their background children, all gone
    assert len(list(pids.iterdir())) == 2  # no case started after the signal
    for document in (json.loads(replay.json.read_text()), json.loads(out)):
        summary = document["summary"]
        assert summary["incomplete"] is True and summary["interrupted"] == signals[0].name
        assert summary["not_run_ids"] == IDS and summary["not_run"] == 3
        assert document["results"] == []
    junit = replay.junit.read_text()
    assert junit.count("<skipped") == 3 and "interrupted" in junit
    assert replay.html.is_file() and "not run" in replay.markdown.read_text()


def test_runner_ignoring_sigterm_is_killed_after_the_grace(running: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    cases, pids = running
    replay = Replay(tmp_path, cases, sleeper(pids, ignore_term=True))
    wait_for(lambda: len(list(pids.iterdir())) == 2)
    shells = [int(f.read_text().split()[0]) for f in pids.iterdir()]
    assert all(alive(p) for p in shells)
    got, seconds, _, err = replay.interrupt(signal.SIGTERM)
    assert got == 143 and "Traceback" not in err
    assert 1.5 < seconds < 8  # TERM was ignored: KILL came after the 2 s grace
    wait_for(lambda: not any(alive(p) for p in runner_pids(pids)), 2)


def test_finished_cases_keep_their_verdict_after_an_interrupt(template: Path,  # noqa: F811
                                                             tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    cases = make_suite(template, tmp_path, ["a-quick", "b-slow", "c-later"])
    cmd = per_case({"a-quick": FIXED}, sleeper(pids))  # -j 2: c-later starts after a-quick
    replay = Replay(tmp_path, cases, cmd)
    runs = tmp_path / "runs"
    wait_for(lambda: len(list(pids.iterdir())) == 2)  # b-slow and c-later run
    wait_for(lambda: any((d / "result.json").is_file() for d in runs.glob("*-a-quick")))
    time.sleep(0.3)  # a-quick's evidence is written: its result is in
    got, _, out, _ = replay.interrupt(signal.SIGINT)
    document = json.loads(out)
    assert got == 130
    assert [r["case_id"] for r in document["results"]] == ["a-quick"]
    assert document["results"][0]["verdict"] == "fixed"
    assert document["summary"]["not_run_ids"] == ["b-slow", "c-later"]


def test_library_stop_event_from_a_host_thread(template: Path, tmp_path: Path) -> None:  # noqa: F811
    """replay_paths outside the main thread: no signal handler, a stop event, reusable after."""
    pids = tmp_path / "pids"
    pids.mkdir()
    cases = make_suite(template, tmp_path, IDS)
    stop = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    box: dict[str, object] = {}

    def host() -> None:
        box["document"] = replay_paths([cases], opts(tmp_path, sleeper(pids)),
                                       SuiteOptions(jobs=2), stop=stop)

    thread = threading.Thread(target=host)
    thread.start()
    wait_for(lambda: len(list(pids.iterdir())) == 2)
    started = time.monotonic()
    stop.set()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - started < 5
    document = box["document"]
    assert document.summary.incomplete and document.summary.not_run_ids == IDS  # type: ignore[attr-defined]
    assert not any(alive(p) for p in runner_pids(pids)) and not _runners.live_runner_groups()
    assert signal.getsignal(signal.SIGINT) is before
    again = replay_paths([cases], opts(tmp_path, FIXED), SuiteOptions(jobs=2))
    assert again.summary.fixed == 3 and not again.summary.incomplete


# -- a fault inside replaycase is that case's runner_error ------------------------------------


def test_an_exception_out_of_one_case_is_its_runner_error(template: Path,  # noqa: F811
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cases = make_suite(template, tmp_path, ["a-ok", "b-boom", "c-ok"])

    def flaky_replay(case, options):  # type: ignore[no-untyped-def]
        if case.id == "b-boom":
            raise OSError(errno.ENOSPC, "No space left on device")
        return replay_case(case, options)

    monkeypatch.setattr(suite_module, "replay_case", flaky_replay)
    json_file, junit = tmp_path / "r.json", tmp_path / "j.xml"
    code, _, err = cli(["replay", str(cases), "--runner-cmd", FIXED, "-j", "2",
                        "--evidence-dir", str(tmp_path / "runs"), "--json", str(json_file),
                        "--junit", str(junit)])
    assert code == 1 and "internal error:" not in err
    results = json.loads(json_file.read_text())["results"]
    assert [r["verdict"] for r in results] == ["fixed", "runner_error", "fixed"]
    assert results[1]["runner"]["reason"] == ("internal error while replaying: OSError: "
                                              "[Errno 28] No space left on device")
    assert 'errors="1"' in junit.read_text()


def test_a_replaycase_error_out_of_one_case_keeps_its_message(template: Path,  # noqa: F811
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    cases = make_suite(template, tmp_path, ["a-ok", "b-bad"])

    def refusing(case, options):  # type: ignore[no-untyped-def]
        if case.id == "b-bad":
            raise InputError(case.path / "fixtures", "a symlink to outside the case folder")
        return replay_case(case, options)

    monkeypatch.setattr(suite_module, "replay_case", refusing)
    document = replay_paths([cases], opts(tmp_path, FIXED))
    ok, bad = document.results
    assert ok.verdict == "fixed" and bad.verdict == "runner_error"
    assert bad.runner.reason == f"{cases}/b-bad/fixtures: a symlink to outside the case folder"


@pytest.mark.parametrize("fault", [
    'rm -rf "$REPLAYCASE_RUN_DIR"',
    'mkdir "$REPLAYCASE_RUN_DIR/result.json"',
    'mkdir "$REPLAYCASE_RUN_DIR/summary.md"',
])
def test_a_runner_breaking_its_run_folder_fails_its_case_only(template: Path,  # noqa: F811
                                                             tmp_path: Path,
                                                             fault: str) -> None:
    cases = make_suite(template, tmp_path, ["a-ok", "b-fault", "c-ok"])
    json_file = tmp_path / "r.json"
    code, _, err = cli(["replay", str(cases), "--runner-cmd",
                        per_case({"b-fault": f"{FIXED}; {fault}"}), "--evidence-dir",
                        str(tmp_path / "runs"), "--json", str(json_file)])
    assert code == 1 and "internal error:" not in err
    verdicts = [r["verdict"] for r in json.loads(json_file.read_text())["results"]]
    assert verdicts == ["fixed", "runner_error", "fixed"]


def pytest_on(cases: Path, cmd: str, tmp_path: Path) -> tuple[int, str]:
    """`pytest CASES --replaycase-runner CMD` in a subprocess: (exit code, all it printed)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(cases), "--replaycase-runner", cmd,
         "--replaycase-evidence-dir", str(tmp_path / "runs"), "-p", "no:cacheprovider",
         "-p", "no:randomly", "-p", "no:xdist"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def test_pytest_plugin_a_fault_is_one_failed_item(template: Path,  # noqa: F811
                                                  tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["a-ok", "b-fault", "c-fault"])
    code, out = pytest_on(cases, per_case({
        "b-fault": f'{FIXED}; rm -rf "$REPLAYCASE_RUN_DIR"',
        "c-fault": f'{FIXED}; mkdir "$REPLAYCASE_RUN_DIR/result.json"'}), tmp_path)
    assert "INTERNALERROR" not in out and "Traceback" not in out
    assert code == 1, out
    assert "1 passed" in out and "2 failed" in out
    assert "b-fault: RUNNER_ERROR" in out and "c-fault: RUNNER_ERROR" in out


def test_pytest_plugin_a_refused_case_is_one_failed_item(template: Path,  # noqa: F811
                                                         tmp_path: Path) -> None:
    cases = make_suite(template, tmp_path, ["a-ok", "b-ok", "c-bad"])
    (cases / "c-bad" / "case.yaml").write_text("schema: replaycase/v1\nid: c-bad\nbogus: 1\n")
    code, out = pytest_on(cases, FIXED, tmp_path)
    assert code == 1 and "INTERNALERROR" not in out
    assert "2 passed" in out and "1 failed" in out
    assert "c-bad/case.yaml: line 1: source: missing key" in out  # the refused case, one line
