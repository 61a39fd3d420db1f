"""Runner faults against the evidence folder (issue 12): links and special files where the
runner's output and logs go, files too big to read, secrets across a cut, a vandalized run
folder and a full disk. Each fault is a shell line given as the runner command; none may
touch a file outside the run folder, hang, read gigabytes or stop the suite."""

from __future__ import annotations

import errno
import html
import json
import os
import re
import shlex
import socket
import stat
import sys
import tempfile
import threading
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_redact import ANTHROPIC, GITHUB, GOOGLE, OPENAI, SLACK, STRIPE
from typer.testing import CliRunner

from replaycase import _safe_files as safe_files
from replaycase._jsonio import Limits
from replaycase._text import clip
from replaycase.case import ReplayCase, load_case
from replaycase.cli import app
from replaycase.redact import PLACEHOLDER, Redactor
from replaycase.replay._capture import tail_text
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.results import ReplayResult
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"
FIXED = DATA / "output-fixed.json"
PY = shlex.quote(sys.executable)
WRITE_FIXED = f'cp {shlex.quote(str(FIXED))} "$REPLAYCASE_OUTPUT_PATH"'
RUN_DIR = '"$REPLAYCASE_RUN_DIR"'
RUNNERS = Path(__file__).parent / "runners"
MB = 1024 * 1024
KEYS = {"openai": OPENAI, "github": GITHUB, "anthropic": ANTHROPIC, "google": GOOGLE,
        "slack": SLACK, "stripe": STRIPE}
EVIDENCE = ("result.json", "summary.md", "candidate-run.json")


@pytest.fixture
def case(tmp_path: Path) -> ReplayCase:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return load_case(out)


def replay(case: ReplayCase, tmp_path: Path, cmd: str, **kw: Any) -> ReplayResult:
    """replay_case in a thread: a replay that hangs fails the test instead of the suite."""
    options = ReplayOptions(runner_cmd=cmd, evidence_root=tmp_path / "runs", kill_grace_s=0.5,
                            timeout_s=20.0, **kw)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = replay_case(case, options)
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "replay hung"
    if "error" in box:
        raise box["error"]
    return box["result"]


def run_dir(tmp_path: Path) -> Path:
    [folder] = [p for p in (tmp_path / "runs").iterdir() if not p.name.endswith(".moved")]
    return folder


def no_partial_files(folder: Path) -> None:
    """Every evidence file is whole JSON or Markdown, and no temporary file is left."""
    names = os.listdir(folder)
    assert not [n for n in names if n.endswith(".tmp")], names
    if "result.json" in names and (folder / "result.json").is_file():
        json.loads((folder / "result.json").read_text())


def cli(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


# --- 1. links where the runner's files go are never followed ---------------------------------

LINKED = ("runner-output.json", "stdout.log", "stderr.log", *EVIDENCE)


@pytest.mark.parametrize("name", LINKED)
def test_a_link_in_the_run_folder_is_never_followed(case: ReplayCase, tmp_path: Path,
                                                    name: str) -> None:
    outside = tmp_path / "outside" / "precious.json"
    outside.parent.mkdir()
    # a valid output holding a secret: today's redaction rewrites it in place
    outside.write_text(json.dumps({"status": "success", "final_output": f"key {OPENAI}"}))
    before = outside.read_bytes()
    cmd = (f'{WRITE_FIXED}; echo "key {OPENAI}"; echo "key {OPENAI}" >&2; '
           f'ln -sf {shlex.quote(str(outside))} {RUN_DIR}/{name}')
    result = replay(case, tmp_path, cmd)
    assert outside.read_bytes() == before
    folder = run_dir(tmp_path)
    assert not (folder / name).is_symlink()
    if name == "runner-output.json":
        assert result.verdict == "runner_error"
        assert "symbolic link" in (result.runner.reason or "")
    else:
        assert result.verdict == "fixed", result.runner
    if name.endswith(".log"):
        assert name in (result.evidence_error or "")
        assert "symbolic link" in (folder / name).read_text()
    no_partial_files(folder)


@pytest.mark.parametrize("name", ["runner-output.json", "stdout.log", "stderr.log"])
def test_a_hard_link_to_a_file_outside_is_replaced_not_rewritten(case: ReplayCase,
                                                                 tmp_path: Path,
                                                                 name: str) -> None:
    """A hard link is a regular file: read (the runner could read it anyway), but the
    redacted copy replaces the folder's entry; the shared file is never written."""
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"status": "success", "final_output": f"key {OPENAI}"}))
    before = outside.read_bytes()
    cmd = f'{WRITE_FIXED}; ln -f {shlex.quote(str(outside))} {RUN_DIR}/{name}'
    result = replay(case, tmp_path, cmd)
    assert outside.read_bytes() == before
    assert OPENAI not in (run_dir(tmp_path) / name).read_text()
    assert result.verdict in ("fixed", "failing")


def test_a_link_planted_by_a_runner_that_escaped_is_not_followed(case: ReplayCase,
                                                                 tmp_path: Path) -> None:
    """A link to an outside folder in place of a log: nothing is written there."""
    outside = tmp_path / "outside"
    outside.mkdir()
    cmd = f'{WRITE_FIXED}; rm {RUN_DIR}/stderr.log; ln -s {shlex.quote(str(outside))} ' \
          f'{RUN_DIR}/stderr.log'
    result = replay(case, tmp_path, cmd)
    assert result.verdict == "fixed"
    assert list(outside.iterdir()) == []


# --- 2. FIFOs, sockets and devices: refused at once ------------------------------------------

@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path (a socket's path is limited to about 100 bytes)."""
    with tempfile.TemporaryDirectory(prefix="rc-", dir="/tmp") as name:
        yield Path(name)


def _socket_at(folder: Path) -> Path:
    path = folder / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the socket file stays
    return path


def _fifo_at(folder: Path) -> Path:
    path = folder / "fifo"
    os.mkfifo(path)
    return path


SPECIAL_OUTPUTS: dict[str, tuple[Callable[[Path], str] | None, str]] = {
    "fifo": (None, 'mkfifo "$REPLAYCASE_OUTPUT_PATH"'),
    "fifo linked": (lambda d: str(_fifo_at(d)), 'ln -s {} "$REPLAYCASE_OUTPUT_PATH"'),
    "socket linked": (lambda d: str(_socket_at(d)), 'ln -s {} "$REPLAYCASE_OUTPUT_PATH"'),
    "/dev/zero linked": (lambda d: "/dev/zero", 'ln -s {} "$REPLAYCASE_OUTPUT_PATH"'),
    "/dev/urandom linked": (lambda d: "/dev/urandom", 'ln -s {} "$REPLAYCASE_OUTPUT_PATH"'),
    "socket": (None, f'cd {RUN_DIR} && {PY} -c "import socket; '
                     f'socket.socket(socket.AF_UNIX).bind(\'runner-output.json\')"'),
    "directory": (None, 'mkdir "$REPLAYCASE_OUTPUT_PATH"'),
}


@pytest.mark.parametrize("fault", sorted(SPECIAL_OUTPUTS))
def test_a_special_file_as_the_output_is_a_prompt_runner_error(
        case: ReplayCase, tmp_path: Path, short_dir: Path, fault: str) -> None:
    make, template = SPECIAL_OUTPUTS[fault]
    target = make(short_dir) if make else None
    cmd = template.format(shlex.quote(target)) if target else template
    started = time.monotonic()
    result = replay(case, tmp_path, cmd)
    assert time.monotonic() - started < 10
    assert result.verdict == "runner_error"
    reason = result.runner.reason or ""
    assert "$REPLAYCASE_OUTPUT_PATH" in reason, reason
    expected = {"fifo": "FIFO", "socket": "socket", "directory": "directory"}.get(
        fault, "symbolic link")
    assert expected in reason, reason
    folder = run_dir(tmp_path)
    kind = os.lstat(folder / "runner-output.json").st_mode
    if fault == "directory":
        assert stat.S_ISDIR(kind)  # left alone, reported
    else:
        assert stat.S_ISREG(kind), "the special file was not replaced by a note"
    if target is not None and target.startswith(str(short_dir)):
        assert not stat.S_ISREG(os.lstat(target).st_mode)  # the target itself untouched
    no_partial_files(folder)


@pytest.mark.parametrize("log", ["stdout.log", "stderr.log"])
@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_a_special_file_as_a_log_is_noted(case: ReplayCase, tmp_path: Path, log: str,
                                          kind: str) -> None:
    make = ("mkfifo " + log if kind == "fifo" else
            f'{PY} -c "import socket; socket.socket(socket.AF_UNIX).bind(\'{log}\')"')
    cmd = f"{WRITE_FIXED}; cd {RUN_DIR} && rm {log} && {make}"
    started = time.monotonic()
    result = replay(case, tmp_path, cmd)
    assert time.monotonic() - started < 10
    assert result.verdict == "fixed", result.runner
    assert log in (result.evidence_error or "")
    assert stat.S_ISREG(os.lstat(run_dir(tmp_path) / log).st_mode)


# --- 3. a file too big to read is never read whole -------------------------------------------

@pytest.mark.parametrize("name", ["runner-output.json", "stdout.log", "stderr.log"])
def test_a_5_gb_sparse_file_is_capped(case: ReplayCase, tmp_path: Path, name: str) -> None:
    write = "" if name == "runner-output.json" else WRITE_FIXED + "; "
    cmd = f"{write}truncate -s 5G {RUN_DIR}/{name}"
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = replay(case, tmp_path, cmd, max_output_bytes=MB,
                        limits=Limits(max_output_file_mb=1))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 15
    assert peak < 64 * MB, f"held {peak} bytes"
    assert result.verdict == "runner_error"
    reason = result.runner.reason or ""
    assert "above the limit" in reason, reason
    assert (name if name.endswith(".log") else "$REPLAYCASE_OUTPUT_PATH") in reason
    kept = run_dir(tmp_path) / name
    assert kept.stat().st_size < MB  # replaced by a note: no 5 GB file in the evidence


# --- 4. secrets across a cut ----------------------------------------------------------------

def _leaks(key: str, text: str) -> list[str]:
    """The 8-character pieces of ``key`` found in ``text``."""
    flat = text.replace("\n", "")
    return [key[i:i + 8] for i in range(len(key) - 7) if key[i:i + 8] in flat]


def _cut_placeholder(text: str) -> bool:
    rest = PLACEHOLDER.sub("", text)
    return bool(re.search(r":\d+>|<redacted|redacted:", rest))


def _cuts(key: str) -> list[int]:
    return [3, len(key) - 10, len(key) - 3]


TAIL_CASES = [(kind, k) for kind in ("openai", "github", "anthropic") for k in
              _cuts(KEYS[kind])]


@pytest.mark.parametrize(("kind", "at"), TAIL_CASES)
def test_the_stderr_tail_is_redacted_before_it_is_cut(case: ReplayCase, tmp_path: Path,
                                                      kind: str, at: int) -> None:
    """The 2000-character tail starts ``at`` characters into the key (before redaction)."""
    key = KEYS[kind]
    filler = "y" * (2000 - (len(key) - at) - 1)
    line = "x" * 3000 + " " + key + " " + filler
    script = f"import sys; sys.stderr.write({line!r}); sys.exit(3)"
    cmd = f"{PY} -c {shlex.quote(script)}"
    junit, results = tmp_path / "junit.xml", tmp_path / "results.json"
    code, out, err = cli(["replay", str(case.path), "--runner-cmd", cmd, "--evidence-dir",
                          str(tmp_path / "runs"), "--junit", str(junit), "--json", str(results)])
    assert code == 1, err
    document = json.loads(results.read_text())
    tail = document["results"][0]["runner"]["stderr_tail"]
    assert tail.endswith(filler)
    folder = run_dir(tmp_path)
    texts = {"tail": tail, "terminal": out, "junit": html.unescape(junit.read_text()),
             "result.json": (folder / "result.json").read_text(),
             "summary.md": (folder / "summary.md").read_text(),
             "stderr.log": (folder / "stderr.log").read_text()}
    for where, text in texts.items():
        assert _leaks(key, text) == [], where
        assert not _cut_placeholder(text), (where, text[:200])
    ET.parse(junit)


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
@pytest.mark.parametrize(("kind", "keep"), [("openai", 12), ("github", 30), ("google", 35),
                                            ("slack", 10), ("stripe", 16), ("anthropic", 50)])
@pytest.mark.parametrize("more", [0, 100_000])
def test_a_key_across_the_log_cap_leaves_no_piece(case: ReplayCase, tmp_path: Path,
                                                  stream: str, kind: str, keep: int,
                                                  more: int) -> None:
    """The cap falls ``keep`` characters into the key; the runner then exits, or floods on."""
    key, cap = KEYS[kind], 4096
    text = "x" * (cap - keep - 1) + " " + key + "\n" + "z" * more
    script = f"import sys; sys.{stream}.write({text!r}); sys.{stream}.flush()"
    cmd = f"{WRITE_FIXED}; {PY} -c {shlex.quote(script)}"
    result = replay(case, tmp_path, cmd, max_output_bytes=cap)
    assert result.verdict == "runner_error"
    assert f"{stream} exceeded 4.0 KB" in (result.runner.reason or "")
    log = (run_dir(tmp_path) / f"{stream}.log").read_text()
    assert _leaks(key, log) == []
    assert not _cut_placeholder(log)
    assert log.endswith("\n[replaycase: output cut at 4.0 KB]\n")
    assert cap - 64 < len(log.encode()) < cap + 100
    assert _leaks(key, result.model_dump_json()) == []


@pytest.mark.parametrize("more", [1, 5000, 100_000])
def test_without_redaction_a_log_is_cut_exactly_at_its_cap(case: ReplayCase, tmp_path: Path,
                                                           more: int) -> None:
    cap = 4096
    cmd = f"{WRITE_FIXED}; {PY} {shlex.quote(str(RUNNERS / 'write_bytes.py'))} {cap + more}"
    result = replay(case, tmp_path, cmd, max_output_bytes=cap, redact=False)
    assert result.runner.reason == "stdout exceeded 4.0 KB"
    log = (run_dir(tmp_path) / "stdout.log").read_bytes()
    assert log == b"y" * cap + b"\n[replaycase: output cut at 4.0 KB]\n"


# --- 5. a vandalized run folder or a full disk: that case's error, the suite goes on ---------

VANDALS = {
    "deletes its run folder": (f"rm -rf {RUN_DIR}", "the runner deleted its run folder"),
    "replaces its run folder with a link": (
        f'mv {RUN_DIR} "$REPLAYCASE_RUN_DIR.moved"; ln -s {{outside}} {RUN_DIR}',
        "the runner replaced its run folder"),
    "makes result.json a directory": (f"{WRITE_FIXED}; mkdir {RUN_DIR}/result.json",
                                      "the runner made result.json a directory"),
    "makes summary.md a directory": (f"{WRITE_FIXED}; mkdir -p {RUN_DIR}/summary.md/x",
                                     "the runner made summary.md a directory"),
    "makes candidate-run.json a directory": (
        f"{WRITE_FIXED}; mkdir {RUN_DIR}/candidate-run.json",
        "the runner made candidate-run.json a directory"),
}


@pytest.mark.parametrize("vandal", sorted(VANDALS))
def test_a_vandalized_run_folder_is_that_cases_runner_error(case: ReplayCase, tmp_path: Path,
                                                            vandal: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    cmd, reason = VANDALS[vandal]
    result = replay(case, tmp_path, cmd.format(outside=shlex.quote(str(outside))))
    assert result.verdict == "runner_error"
    assert reason in (result.runner.reason or ""), result.runner
    assert result.evidence_error
    assert list(outside.iterdir()) == []
    for folder in (tmp_path / "runs").iterdir():
        if folder.is_dir() and not folder.is_symlink():
            no_partial_files(folder)


class _FullDisk:
    """``os`` for safe_files, where every file written gets half its bytes, then ENOSPC."""

    def __init__(self) -> None:
        self.real = os

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def fdopen(self, fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = os.fdopen(fd, mode, *args, **kwargs)
        return _HalfWriter(handle) if "w" in mode else handle


class _HalfWriter:
    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def write(self, data: bytes) -> int:
        self.handle.write(data[:len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def test_a_full_disk_leaves_no_partial_evidence(case: ReplayCase, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_files, "os", _FullDisk())
    cmd = f"{WRITE_FIXED}; echo 'key {OPENAI}'"  # the redacted stdout.log cannot be written
    result = replay(case, tmp_path, cmd)
    monkeypatch.undo()
    assert result.verdict == "fixed"  # the runner did nothing wrong
    assert "No space left on device" in (result.evidence_error or "")
    folder = run_dir(tmp_path)
    names = os.listdir(folder)
    assert not set(EVIDENCE) & set(names), names  # none written at all, none half written
    no_partial_files(folder)
    for name in names:  # the unredacted log was removed rather than kept
        assert OPENAI not in (folder / name).read_text(), name


def test_an_evidence_folder_that_cannot_be_made_is_that_cases_error(case: ReplayCase,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    marker = tmp_path / "ran"
    options = ReplayOptions(runner_cmd=f"touch {marker}", evidence_root=tmp_path / "file" / "r")
    result = replay_case(case, options)
    assert result.verdict == "runner_error"
    assert "not run" in (result.runner.reason or "")
    assert "cannot create the evidence folder" in (result.evidence_error or "")
    assert not marker.exists()


def _full_disk_for(case_id: str) -> Callable[..., None]:
    real = safe_files.write_atomic

    def write_atomic(path: Any, data: Any, *, dir_fd: int | None = None) -> None:
        if dir_fd is not None and case_id in os.readlink(f"/proc/self/fd/{dir_fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data, dir_fd=dir_fd)

    return write_atomic


@pytest.mark.parametrize("fault", [*sorted(VANDALS), "full disk"])
def test_the_suite_goes_on_after_a_vandal(tmp_path: Path, fault: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a-case", "b-case"):
        scaffold(DATA / "billing-loop.json", tmp_path / "cases" / name)
    outside = tmp_path / "outside"
    outside.mkdir()
    if fault == "full disk":
        monkeypatch.setattr(safe_files, "write_atomic", _full_disk_for("a-case"))
        vandal, reason = WRITE_FIXED, "No space left on device"
    else:
        vandal, reason = VANDALS[fault]
        vandal = vandal.format(outside=shlex.quote(str(outside)))
    cmd = f'case "$REPLAYCASE_CASE_DIR" in *a-case) {vandal}; exit 0;; esac; {WRITE_FIXED}'
    results = tmp_path / "results.json"
    code, out, err = cli(["replay", str(tmp_path / "cases"), "--runner-cmd", cmd,
                          "--evidence-dir", str(tmp_path / "runs"), "-j", "1",
                          "--json", str(results)])
    assert "internal error" not in err and "Traceback" not in err, err
    lines = [line for line in out.splitlines() if "-case" in line]
    assert "a-case" in lines[0] and reason in " ".join(out.split()), out
    assert "b-case" in lines[-1] and "FIXED" in lines[-1], out
    document = json.loads(results.read_text())
    first, second = document["results"]
    assert first["evidence_error"] and second["evidence_error"] is None
    assert second["verdict"] == "fixed"
    assert code == (0 if fault == "full disk" else 1)
    assert list(outside.iterdir()) == []


# --- the cuts themselves ---------------------------------------------------------------------

@pytest.mark.parametrize("at", range(1, 20))
def test_a_tail_or_a_clip_never_cuts_a_placeholder(at: int) -> None:
    """The cut falls ``at`` characters into the placeholder."""
    text = "x" * 30 + "<redacted:api_key:1>" + "y" * 30
    tail = tail_text(text, max_chars=len(text) - 30 - at)
    head = clip(text, 30 + at, "")
    assert tail == "y" * 30 and head == "x" * 30


def test_a_key_split_by_escape_sequences_is_redacted_in_the_tail() -> None:
    split = OPENAI[:12] + "\x1b[0m" + OPENAI[12:]
    tail = tail_text(f"error: {split}\n", redact=Redactor().redact_text)
    assert tail == "error: <redacted:api_key:1>"
