"""Runner containment: timeouts, floods, crashes and left-over processes, with fake runners."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from replaycase.replay._capture import stderr_tail
from replaycase.replay.process import ProcessResult, run_process

RUNNERS = Path(__file__).parent / "runners"
PY = shlex.quote(sys.executable)
MB = 1024 * 1024
MARK = f"replaycase-test-{uuid.uuid4().hex}"
HAS_PROC = Path("/proc/self/stat").exists()


def _runner(name: str, *args: object) -> str:
    return " ".join([PY, shlex.quote(str(RUNNERS / name)), *(shlex.quote(str(a)) for a in args)])


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REPLAYCASE_TEST_MARK": MARK,
            **extra}


def _run(tmp_path: Path, cmd: str, *, timeout_s: float = 10.0, env: dict[str, str] | None = None,
         **kwargs: object) -> ProcessResult:
    return run_process(cmd, env=env or _env(), cwd=tmp_path, timeout_s=timeout_s,
                       stdout_path=tmp_path / "stdout.log", stderr_path=tmp_path / "stderr.log",
                       **kwargs)  # type: ignore[arg-type]


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    if not HAS_PROC:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:].split()[0] not in (b"Z", b"X")


def _marked_pids() -> list[int]:
    """Running processes whose environment carries this module's mark."""
    found = []
    needle = f"REPLAYCASE_TEST_MARK={MARK}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and _running(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module", autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """After the module, no process started by these tests may still be running."""
    yield
    if not HAS_PROC:
        return
    leftovers = _marked_pids()
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert leftovers == [], f"processes left running: {leftovers}"


def test_exit_zero_captures_both_streams_exactly(tmp_path: Path) -> None:
    result = _run(tmp_path, _runner("exact_output.py"))
    assert result == ProcessResult(
        exit_code=0, duration_ms=result.duration_ms, timed_out=False, killed_reason=None,
        stdout_truncated=False, stderr_truncated=False, spawn_error=None)
    expected_out = b"".join(b"out %d \x00\xff\xfe caf\xc3\xa9\n" % i for i in range(2000))
    assert (tmp_path / "stdout.log").read_bytes() == expected_out + b"no newline at the end"
    assert (tmp_path / "stderr.log").read_bytes() == b"".join(b"err %d\n" % i
                                                              for i in range(2000))


def test_main_process_is_reaped(tmp_path: Path) -> None:
    result = _run(tmp_path, f"echo $$; exec {_runner('exit_code.py', 0)}")
    assert result.exit_code == 0
    pid = int((tmp_path / "stdout.log").read_text().split()[0])
    if HAS_PROC:
        assert not Path(f"/proc/{pid}").exists(), "the runner was left a zombie"
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_nonzero_exit_code_is_reported(tmp_path: Path) -> None:
    result = _run(tmp_path, _runner("exit_code.py", 3))
    assert (result.exit_code, result.timed_out, result.killed_reason) == (3, False, None)
    assert (tmp_path / "stdout.log").read_text() == "about to exit\n"
    assert stderr_tail(tmp_path / "stderr.log") == "failing on purpose"


def test_uncaught_exception_gives_exit_1_and_a_readable_tail(tmp_path: Path) -> None:
    result = _run(tmp_path, _runner("crash.py"))
    assert result.exit_code == 1
    tail = stderr_tail(tmp_path / "stderr.log")
    assert tail.startswith("Traceback (most recent call last):")
    assert tail.splitlines()[-1] == "RuntimeError: boom from the fake runner"


def test_exit_by_signal_is_a_negative_code(tmp_path: Path) -> None:
    result = _run(tmp_path, "kill -SEGV $$")
    assert result.exit_code == -signal.SIGSEGV
    assert result.killed_reason is None


def test_hang_is_timed_out(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _run(tmp_path, "echo started; sleep 60", timeout_s=1.0)
    elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.exit_code is None
    assert result.killed_reason == "timed out after 1s"
    assert 1.0 <= elapsed < 5.0
    assert 1000.0 <= result.duration_ms < 5000.0
    assert (tmp_path / "stdout.log").read_text() == "started\n"


def test_runner_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _run(tmp_path, _runner("ignore_term.py"), timeout_s=1.0, kill_grace_s=0.5)
    elapsed = time.monotonic() - started
    assert (tmp_path / "stdout.log").read_text() == "ready\n"  # SIGTERM was ignored
    assert result.timed_out and result.exit_code is None
    assert 1.45 <= elapsed < 1.0 + 0.5 + 1.5  # waited out the grace, then SIGKILL


def test_background_grandchildren_are_killed_when_the_runner_exits(tmp_path: Path) -> None:
    sleep_pid, py_pid = tmp_path / "sleep.pid", tmp_path / "python.pid"
    env = _env(PYTHON=sys.executable, RUNNERS=str(RUNNERS))
    cmd = f"sh {shlex.quote(str(RUNNERS / 'grandchildren.sh'))} {sleep_pid} {py_pid}"
    started = time.monotonic()
    result = _run(tmp_path, cmd, env=env, kill_grace_s=0.5)
    elapsed = time.monotonic() - started
    assert (result.exit_code, result.timed_out, result.killed_reason) == (0, False, None)
    lines = (tmp_path / "stdout.log").read_text().splitlines()
    assert sorted(lines) == ["main done", "ready"]
    assert elapsed < 0.5 + 1.5, "waited on pipes held by grandchildren"
    pids = [int(sleep_pid.read_text()), int(py_pid.read_text())]
    assert [pid for pid in pids if _running(pid)] == []
    pgid = os.getpgid(0)
    assert pgid not in pids  # the test's own group was never the runner's


def test_stdout_flood_is_cut_at_the_default_cap_quickly(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = _run(tmp_path, _runner("flood.py", "stdout", 200))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.stdout_truncated and not result.stderr_truncated
    assert result.killed_reason == "stdout exceeded 10.0 MB"
    assert result.exit_code is None and not result.timed_out
    assert elapsed < 5.0
    assert peak < 2 * MB, f"held {peak} bytes of output in memory"
    log = tmp_path / "stdout.log"
    marker = b"\n[replaycase: output cut at 10.0 MB]\n"
    assert log.stat().st_size == 10 * MB + len(marker)
    with log.open("rb") as handle:
        handle.seek(10 * MB - 4)
        assert handle.read() == b"xxx\n" + marker


def test_stderr_flood_is_cut(tmp_path: Path) -> None:
    result = _run(tmp_path, _runner("flood.py", "stderr", 50), max_output_bytes=MB)
    assert result.stderr_truncated and not result.stdout_truncated
    assert result.killed_reason == "stderr exceeded 1.0 MB"
    assert result.exit_code is None
    size = (tmp_path / "stderr.log").stat().st_size
    assert MB < size < MB + 100
    assert stderr_tail(tmp_path / "stderr.log").endswith("[replaycase: output cut at 1.0 MB]")


def test_output_exactly_at_the_cap_is_kept_whole(tmp_path: Path) -> None:
    result = _run(tmp_path, _runner("write_bytes.py", 5000), max_output_bytes=5000)
    assert (result.exit_code, result.stdout_truncated, result.killed_reason) == (0, False, None)
    assert (tmp_path / "stdout.log").read_bytes() == b"y" * 5000


def test_one_byte_over_the_cap_is_cut(tmp_path: Path) -> None:
    result = _run(tmp_path, _runner("write_bytes.py", 5001), max_output_bytes=5000)
    assert result.stdout_truncated
    assert result.killed_reason == "stdout exceeded 4.9 KB"
    assert (tmp_path / "stdout.log").read_bytes() == (
        b"y" * 5000 + b"\n[replaycase: output cut at 4.9 KB]\n")


def test_missing_binary_is_exit_127(tmp_path: Path) -> None:
    result = _run(tmp_path, "no-such-binary-xyz --flag")
    assert result.exit_code == 127
    assert result.spawn_error is None
    assert "no-such-binary-xyz" in stderr_tail(tmp_path / "stderr.log")


def test_missing_cwd_is_a_spawn_error_not_an_exception(tmp_path: Path) -> None:
    result = run_process("echo hi", env=_env(), cwd=tmp_path / "gone", timeout_s=5,
                         stdout_path=tmp_path / "out.log", stderr_path=tmp_path / "err.log")
    assert result.spawn_error is not None
    assert str(tmp_path / "gone") in result.spawn_error
    assert result.exit_code is None and not result.timed_out
    assert "cannot start the runner" in (tmp_path / "err.log").read_text()


def test_unwritable_log_path_is_a_spawn_error(tmp_path: Path) -> None:
    result = run_process("echo hi", env=_env(), cwd=tmp_path, timeout_s=5,
                         stdout_path=tmp_path / "no-dir" / "out.log",
                         stderr_path=tmp_path / "err.log")
    assert result.spawn_error is not None and "out.log" in result.spawn_error


def test_runner_sees_exactly_the_env_given_and_runs_isolated(tmp_path: Path) -> None:
    env = _env(REPLAYCASE_OUTPUT_PATH="/tmp/out.json", ODD_VALUE="a b\n'c'")
    result = _run(tmp_path, _runner("show_env.py"), env=env)
    assert result.exit_code == 0
    seen = json.loads((tmp_path / "stdout.log").read_text())
    # /bin/sh may add PWD/OLDPWD/SHLVL/_, Python's locale coercion may add LC_CTYPE.
    added = {"PWD", "OLDPWD", "SHLVL", "_", "LC_CTYPE"}
    assert {k: v for k, v in seen["env"].items() if k not in added} == env
    assert "HOME" not in seen["env"] or "HOME" in env
    assert seen["stdin"] == ""
    assert Path(seen["cwd"]) == tmp_path.resolve()
    assert seen["pgid"] != os.getpgid(0) and seen["sid"] != os.getsid(0)


def test_stderr_tail_is_safe_to_print(tmp_path: Path) -> None:
    log = tmp_path / "err.log"
    log.write_bytes(b"first\r\n\x1b[31mred\x1b[0m bell\x07 bad\xff\x00 rtl\xe2\x80\xae\n\tend\n")
    assert stderr_tail(log) == "first\nred bell bad\ufffd rtl\n\tend"


def test_stderr_tail_keeps_only_whole_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "err.log"
    log.write_text("".join(f"line {i:05d}\n" for i in range(100_000)))
    tail = stderr_tail(log, max_chars=25)
    assert tail == "line 99998\nline 99999"
    assert stderr_tail(tmp_path / "missing.log") == ""
    assert stderr_tail(log, max_chars=0) == ""
