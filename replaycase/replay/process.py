"""Run a candidate runner command with a timeout, capped logs and whole-group cleanup.

The runner is the user's own shell command line (DESIGN section 5). It runs as
``/bin/sh -c CMD`` in its own session, so every process it starts shares one process group
that replaycase can signal as a whole: on timeout, on an output flood, and after the main
process exits (left-over background processes). Signals go TERM first, KILL after a grace
period. Nothing the runner does raises here: every outcome is a :class:`ProcessResult`.

Every live runner group is in the registry of ``_runners``, so an interrupted replay can end
them all at once; the logs are ``_capture`` sinks.

POSIX only. A grandchild that moves itself into another process group or session escapes
the group kill; replaycase then stops waiting for its pipes after a short grace period.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

from ._capture import Sink, size_text
from ._runners import LIVE, POLL_S, group_alive, signal_group

DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024
_CHUNK = 64 * 1024
_SETTLE_S = 0.5  # how long to wait for pipes / group members after the last signal
_REAP_S = 5.0


@dataclass
class ProcessResult:
    """What happened to one runner process."""

    exit_code: int | None
    """None when killed by us before it exited, else its code (negative: killed by signal)."""
    duration_ms: float
    timed_out: bool
    killed_reason: str | None
    """Why replaycase stopped it ("timed out after 5s", "stdout exceeded 10.0 MB"), or None."""
    stdout_truncated: bool
    stderr_truncated: bool
    spawn_error: str | None
    """Set when the process could not be started at all (the other fields are then empty)."""


def run_process(cmd: str, *, env: dict[str, str], cwd: Path, timeout_s: float,
                stdout_path: Path, stderr_path: Path,
                max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
                kill_grace_s: float = 2.0, overhang_bytes: int = 0,
                dir_fd: int | None = None, stdin_text: str = "") -> ProcessResult:
    """Run ``cmd`` with ``/bin/sh -c`` and return what happened; never raises for the runner.

    Each log keeps ``max_output_bytes``, and ``overhang_bytes`` more past that cap, so that
    whoever redacts the log sees whole the secret the cap falls in before cutting it there
    (see ``_capture.cut_marker``). With ``dir_fd`` the logs are created by name in that open folder;
    a log path that is a link is refused, never followed.
    """
    started = time.monotonic()
    cap = max(0, max_output_bytes)
    overhang = max(0, overhang_bytes)
    try:
        out_sink = Sink(stdout_path, cap, overhang, dir_fd)
    except OSError as exc:
        return _spawn_failure(started, f"cannot open {stdout_path}: {exc.strerror or exc}")
    try:
        err_sink = Sink(stderr_path, cap, overhang, dir_fd)
    except OSError as exc:
        out_sink.close()
        return _spawn_failure(started, f"cannot open {stderr_path}: {exc.strerror or exc}")
    try:
        try:
            with _stdin_file(stdin_text) as stdin:  # a file: a runner that never reads it
                proc = subprocess.Popen(  # cannot block replaycase on a full pipe
                    ["/bin/sh", "-c", cmd], cwd=cwd, env=env, stdin=stdin,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except (OSError, ValueError, TypeError) as exc:
            message = f"cannot start the runner in {cwd}: {_describe(exc)}"
            err_sink.write(f"[replaycase: {message}]\n".encode())
            return _spawn_failure(started, message)
        watch = _Watch(proc, out_sink, err_sink, started + timeout_s, max(0.0, kill_grace_s))
        if not LIVE.register(watch.pgid):
            watch.interrupt()
        try:
            watch.run(timeout_s)
        finally:
            watch.finish()
            LIVE.unregister(watch.pgid)
    finally:
        out_sink.close()
        err_sink.close()
    for stream, sink in (("stdout", out_sink), ("stderr", err_sink)):
        if sink.truncated and watch.reason is None:  # went past the cap, not the overhang
            watch.reason = f"{stream} exceeded {size_text(sink.cap)}"
    return ProcessResult(
        exit_code=watch.exit_code, duration_ms=_ms_since(started), timed_out=watch.timed_out,
        killed_reason=watch.reason, stdout_truncated=out_sink.truncated,
        stderr_truncated=err_sink.truncated, spawn_error=None)


class _Watch:
    """The loop that pumps both pipes, enforces the limits and cleans up the group."""

    def __init__(self, proc: subprocess.Popen[bytes], out_sink: Sink, err_sink: Sink,
                 deadline: float, grace_s: float) -> None:
        self.proc = proc
        self.pgid = proc.pid  # start_new_session: the shell leads its own group
        self.deadline = deadline
        self.grace_s = grace_s
        self.exit_code: int | None = None
        self.timed_out = False
        self.reason: str | None = None
        self._exited = False
        self._group_gone = False
        self._next_group_check = 0.0
        self._term_at: float | None = None
        self._kill_sent = False
        self._give_up_at: float | None = None
        self._selector = selectors.DefaultSelector()
        assert proc.stdout is not None and proc.stderr is not None
        self._selector.register(proc.stdout, selectors.EVENT_READ, ("stdout", out_sink))
        self._selector.register(proc.stderr, selectors.EVENT_READ, ("stderr", err_sink))

    def run(self, timeout_s: float) -> None:
        while True:
            now = time.monotonic()
            if not self._exited:
                code = self.proc.poll()
                if code is not None:
                    self._exited = True
                    if self._term_at is None:  # it ended by itself: keep its exit code
                        self.exit_code = code
                elif self._term_at is None and now >= self.deadline:
                    self.timed_out = True
                    self._stop(now, f"timed out after {timeout_s:g}s")
            if self._exited and not self._group_gone and now >= self._next_group_check:
                self._next_group_check = now + POLL_S
                self._group_gone = not group_alive(self.pgid)
                if not self._group_gone:
                    self._stop(now, None)  # left-over background processes
                elif self._give_up_at is None or self._give_up_at > now + _SETTLE_S:
                    self._give_up_at = now + _SETTLE_S  # pipes held outside the group
            if self._term_at is not None and not self._kill_sent \
                    and now >= self._term_at + self.grace_s:
                self._kill_sent = True
                signal_group(self.pgid, signal.SIGKILL)
            if self._exited and self._group_gone and not self._selector.get_map():
                return
            if self._give_up_at is not None and now >= self._give_up_at:
                return
            self._pump(self._wait_s(now))

    def _wait_s(self, now: float) -> float:
        wake = [now + POLL_S]
        if self._term_at is None:
            wake.append(self.deadline)
        elif not self._kill_sent:
            wake.append(self._term_at + self.grace_s)
        if self._give_up_at is not None:
            wake.append(self._give_up_at)
        return max(0.0, min(wake) - now)

    def _pump(self, wait_s: float) -> None:
        """Copy whatever the pipes hold to the logs, waiting at most ``wait_s``."""
        if not self._selector.get_map():
            if self._exited:
                time.sleep(wait_s)
            else:  # the pipes are closed: wake the moment the process exits
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=wait_s)
            return
        for key, _ in self._selector.select(wait_s):
            stream, sink = key.data
            try:
                data = os.read(key.fd, _CHUNK)
            except OSError:
                data = b""
            if not data:
                self._close_pipe(key)
            elif sink.write(data):
                self._close_pipe(key)  # a writer still at it gets EPIPE
                self._stop(time.monotonic(), f"{stream} exceeded {size_text(sink.cap)}")

    def _stop(self, now: float, reason: str | None) -> None:
        """Record the first reason and start TERM-then-KILL of the whole group."""
        if reason is not None and self.reason is None:
            self.reason = reason
        if self._term_at is None:
            self._term_at = now
            self._give_up_at = now + self.grace_s + _SETTLE_S
            signal_group(self.pgid, signal.SIGTERM)

    def interrupt(self) -> None:
        """Stop the runner because replaycase itself is stopping."""
        self._stop(time.monotonic(), INTERRUPTED)

    def _close_pipe(self, key: selectors.SelectorKey) -> None:
        pipe = cast(BinaryIO, key.fileobj)  # the pipe register() was given
        self._selector.unregister(pipe)
        pipe.close()

    def finish(self) -> None:
        """Close the pipes and reap the main process, killing the group if still needed."""
        for key in list(self._selector.get_map().values()):
            self._close_pipe(key)
        self._selector.close()
        if not self._exited or not self._group_gone:
            signal_group(self.pgid, signal.SIGKILL)
        try:
            code = self.proc.wait(timeout=_REAP_S)
        except subprocess.TimeoutExpired:
            return
        if not self._exited and self._term_at is None:
            self.exit_code = code


INTERRUPTED = "interrupted: replaycase was stopped"

def _spawn_failure(started: float, message: str) -> ProcessResult:
    return ProcessResult(exit_code=None, duration_ms=_ms_since(started), timed_out=False,
                         killed_reason=None, stdout_truncated=False, stderr_truncated=False,
                         spawn_error=message)


@contextlib.contextmanager
def _stdin_file(text: str) -> Iterator[IO[bytes]]:
    """An unnamed temporary file holding ``text``, read from its start."""
    with tempfile.TemporaryFile() as handle:
        handle.write(text.encode("utf-8", "surrogatepass"))
        handle.seek(0)
        yield handle


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000.0
