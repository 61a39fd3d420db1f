"""Run a candidate runner command with a timeout, capped logs and whole-group cleanup.

The runner is the user's own shell command line (DESIGN section 5). It runs as
``/bin/sh -c CMD`` in its own session, so every process it starts shares one process group
that replaycase can signal as a whole: on timeout, on an output flood, and after the main
process exits (left-over background processes). Signals go TERM first, KILL after a grace
period. Nothing the runner does raises here: every outcome is a :class:`ProcessResult`.

Every live runner group is in a process-wide registry, so an interrupted replay can end them
all at once (:func:`terminate_runners`), and a runner that starts while it does is stopped at
once.

POSIX only. A grandchild that moves itself into another process group or session escapes
the group kill; replaycase then stops waiting for its pipes after a short grace period.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from .._safe_files import read_tail
from .._text import safe_start
from ..errors import InputError

DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024
_CHUNK = 64 * 1024
_POLL_S = 0.05
_SETTLE_S = 0.5  # how long to wait for pipes / group members after the last signal
_REAP_S = 5.0
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


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
                dir_fd: int | None = None) -> ProcessResult:
    """Run ``cmd`` with ``/bin/sh -c`` and return what happened; never raises for the runner.

    Each log keeps ``max_output_bytes``, and ``overhang_bytes`` more past that cap, so that
    whoever redacts the log sees whole the secret the cap falls in before cutting it there
    (see ``cut_marker``). With ``dir_fd`` the logs are created by name in that open folder;
    a log path that is a link is refused, never followed.
    """
    started = time.monotonic()
    cap = max(0, max_output_bytes)
    overhang = max(0, overhang_bytes)
    try:
        out_sink = _Sink(stdout_path, cap, overhang, dir_fd)
    except OSError as exc:
        return _spawn_failure(started, f"cannot open {stdout_path}: {exc.strerror or exc}")
    try:
        err_sink = _Sink(stderr_path, cap, overhang, dir_fd)
    except OSError as exc:
        out_sink.close()
        return _spawn_failure(started, f"cannot open {stderr_path}: {exc.strerror or exc}")
    try:
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except (OSError, ValueError, TypeError) as exc:
            message = f"cannot start the runner in {cwd}: {_describe(exc)}"
            err_sink.write(f"[replaycase: {message}]\n".encode())
            return _spawn_failure(started, message)
        watch = _Watch(proc, out_sink, err_sink, started + timeout_s, max(0.0, kill_grace_s))
        if not _LIVE.register(watch.pgid):
            watch.interrupt()
        try:
            watch.run(timeout_s)
        finally:
            watch.finish()
            _LIVE.unregister(watch.pgid)
    finally:
        out_sink.close()
        err_sink.close()
    for stream, sink in (("stdout", out_sink), ("stderr", err_sink)):
        if sink.truncated and watch.reason is None:  # went past the cap, not the overhang
            watch.reason = f"{stream} exceeded {_size(sink.cap)}"
    return ProcessResult(
        exit_code=watch.exit_code, duration_ms=_ms_since(started), timed_out=watch.timed_out,
        killed_reason=watch.reason, stdout_truncated=out_sink.truncated,
        stderr_truncated=err_sink.truncated, spawn_error=None)


def cut_marker(cap: int) -> bytes:
    """The line a log ends with when it was cut at ``cap`` bytes."""
    return f"\n[replaycase: output cut at {_size(cap)}]\n".encode()


class _Sink:
    """A log file that keeps at most ``cap`` bytes (plus ``overhang``) and marks the cut."""

    def __init__(self, path: Path, cap: int, overhang: int = 0,
                 dir_fd: int | None = None) -> None:
        self.cap = cap
        self.limit = cap + overhang
        self.written = 0
        self.stopped = False
        name = Path(path).name if dir_fd is not None else path
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC
        fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    @property
    def truncated(self) -> bool:
        """Whether the stream went past the cap."""
        return self.stopped or self.written > self.cap

    def write(self, data: bytes) -> bool:
        """Keep ``data`` up to the cap and its overhang; True when this write went past
        them (the stream is to be stopped)."""
        if self.stopped:
            return False
        room = self.limit - self.written
        over = len(data) > room
        if over:
            data = data[:room]
            self.stopped = True
        self.written += len(data)
        self._write(data)
        return over

    def _write(self, data: bytes) -> None:
        if self._file is not None:
            try:
                self._file.write(data)
            except OSError:  # disk full or similar: stop logging, keep running
                self._drop()

    def _drop(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def close(self) -> None:
        """Mark the cut, if the stream went past the cap, and close the file."""
        if self.truncated:
            self._write(cut_marker(self.cap))
        self._drop()


class _Watch:
    """The loop that pumps both pipes, enforces the limits and cleans up the group."""

    def __init__(self, proc: subprocess.Popen[bytes], out_sink: _Sink, err_sink: _Sink,
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
                self._next_group_check = now + _POLL_S
                self._group_gone = not _group_alive(self.pgid)
                if not self._group_gone:
                    self._stop(now, None)  # left-over background processes
                elif self._give_up_at is None or self._give_up_at > now + _SETTLE_S:
                    self._give_up_at = now + _SETTLE_S  # pipes held outside the group
            if self._term_at is not None and not self._kill_sent \
                    and now >= self._term_at + self.grace_s:
                self._kill_sent = True
                _signal_group(self.pgid, signal.SIGKILL)
            if self._exited and self._group_gone and not self._selector.get_map():
                return
            if self._give_up_at is not None and now >= self._give_up_at:
                return
            self._pump(self._wait_s(now))

    def _wait_s(self, now: float) -> float:
        wake = [now + _POLL_S]
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
                self._stop(time.monotonic(), f"{stream} exceeded {_size(sink.cap)}")

    def _stop(self, now: float, reason: str | None) -> None:
        """Record the first reason and start TERM-then-KILL of the whole group."""
        if reason is not None and self.reason is None:
            self.reason = reason
        if self._term_at is None:
            self._term_at = now
            self._give_up_at = now + self.grace_s + _SETTLE_S
            _signal_group(self.pgid, signal.SIGTERM)

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
            _signal_group(self.pgid, signal.SIGKILL)
        try:
            code = self.proc.wait(timeout=_REAP_S)
        except subprocess.TimeoutExpired:
            return
        if not self._exited and self._term_at is None:
            self.exit_code = code


INTERRUPTED = "interrupted: replaycase was stopped"


RUNNER_OWNER: ContextVar[object | None] = ContextVar("replaycase_runner_owner", default=None)
"""Who starts runners in this context (a suite sets itself): what ``terminate_runners`` of
that owner ends. Runners started without an owner are ended only by ``owner=None``."""


class _LiveGroups:
    """The process groups of the runners alive now, by owner; an owner being stopped (or
    ``None``: every owner) is closed to new groups."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[int, object | None] = {}
        self._closed: set[object | None] = set()  # the closed owners; None: all

    def register(self, pgid: int) -> bool:
        """Add a new group; False (not added) while closed: the caller stops it at once."""
        owner = RUNNER_OWNER.get()
        with self._lock:
            if None in self._closed or (owner is not None and owner in self._closed):
                return False
            self._groups[pgid] = owner
            return True

    def unregister(self, pgid: int) -> None:
        with self._lock:
            self._groups.pop(pgid, None)

    def close(self, owner: object | None) -> None:
        with self._lock:
            self._closed.add(owner)

    def reopen(self, owner: object | None) -> None:
        with self._lock:
            self._closed.discard(owner)

    def of(self, owner: object | None) -> set[int]:
        """The live groups of ``owner`` (None: all)."""
        with self._lock:
            return {g for g, o in self._groups.items() if owner is None or o is owner}


_LIVE = _LiveGroups()


def live_runner_groups() -> set[int]:
    """The process group ids of the runners alive now (every replay of this process)."""
    return _LIVE.of(None)


def terminate_runners(grace_s: float = 2.0, owner: object | None = None) -> None:
    """End the live runner groups of ``owner`` (None: all): TERM, then KILL after ``grace_s``.

    Runners of that owner started from now on are stopped at once, until
    :func:`reopen_runners`.
    """
    _LIVE.close(owner)
    groups = _LIVE.of(owner)
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + max(0.0, grace_s)
    while True:
        alive = {g for g in groups | _LIVE.of(owner) if _group_alive(g)}
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(_POLL_S)
    for pgid in alive:
        _signal_group(pgid, signal.SIGKILL)


def reopen_runners(owner: object | None = None) -> None:
    """Let the runners of ``owner`` start again after :func:`terminate_runners`."""
    _LIVE.reopen(owner)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    if pgid <= 1 or pgid == os.getpgrp():
        return  # never signal our own group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _has_running_member(pgid)


def _has_running_member(pgid: int) -> bool:
    """Scan /proc (Linux) for a non-zombie member; without /proc assume one exists."""
    try:
        entries = os.scandir("/proc")
    except OSError:
        return True
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()  # state, ppid, pgrp, ...
            if len(fields) > 2 and fields[2] == str(pgid).encode() \
                    and fields[0] not in (b"Z", b"X"):
                return True
    return False


def _spawn_failure(started: float, message: str) -> ProcessResult:
    return ProcessResult(exit_code=None, duration_ms=_ms_since(started), timed_out=False,
                         killed_reason=None, stdout_truncated=False, stderr_truncated=False,
                         spawn_error=message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000.0


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def stderr_tail(path: Path, max_chars: int = 2000) -> str:
    """The last lines of a log file, at most ``max_chars``, safe to print (``tail_text``).

    Only the end of the file is read; a link, FIFO or other special file gives "".
    """
    if max_chars <= 0:
        return ""
    budget = _tail_budget(max_chars)
    try:
        raw, size = read_tail(path, budget, follow=False)
    except InputError:
        return ""
    text = raw.decode("utf-8", errors="replace")
    return tail_text(text, max_chars, cut=size > budget)


def tail_text(text: str, max_chars: int = 2000, redact: Callable[[str], str] | None = None,
              *, cut: bool = False) -> str:
    """The last lines of ``text`` (a log), at most ``max_chars``, safe to print.

    ANSI escape sequences and control characters other than newline and tab are dropped, as
    are bidirectional overrides; ``redact`` then runs on what is left (dropping them may
    join the pieces of a secret), and only then is the text cut: never inside a placeholder
    (``<redacted:api_key:1>``). A cut first line is dropped unless it is the only one.
    ``cut``: ``text`` is already the end of a longer log.
    """
    if max_chars <= 0:
        return ""
    budget = _tail_budget(max_chars)
    if len(text) > budget:
        text, cut = text[safe_start(text, len(text) - budget):], True
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    text = "".join(c for c in text if c in "\n\t" or not (
        unicodedata.category(c) == "Cc" or c in _BIDI)).rstrip()
    if redact is not None:
        text = redact(text)
    if len(text) > max_chars:
        text, cut = text[safe_start(text, len(text) - max_chars):], True
    if cut and "\n" in text:
        text = text.split("\n", 1)[1]
    return text


def _tail_budget(max_chars: int) -> int:
    return max_chars * 4 + 64  # room for the escapes and control characters dropped
