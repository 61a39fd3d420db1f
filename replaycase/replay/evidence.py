"""The evidence folder of one replay: the runner's files, then result.json, summary.md and
candidate-run.json.

The folder is held by descriptor (``safe_files.Folder``) from its creation until the last
evidence file is written, and everything in it is the runner's to vandalize: whatever it
leaves there, nothing here follows a link, opens a FIFO or a device, reads a file whole past
its cap, writes outside the folder or leaves a half-written file (DESIGN 7).

- A link or special file where the runner's output or a log goes is not read: it is replaced
  by a note (a folder there is left alone). For the output that is the case's runner error;
  for a log, an evidence error. A log larger than replaycase wrote it is a runner error.
- The output and logs are redacted (evidence folders get uploaded as CI artifacts) before a
  log is cut at its cap, so that a secret across the cap is replaced whole, never left in
  pieces the detectors no longer know.
- Evidence files are written atomically; what could not be written is the result's
  ``evidence_error``, and when the runner caused it (it deleted or replaced its run folder,
  made result.json a folder) the case is its ``runner_error``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import NamedTuple

from .._safe_files import Folder, kind_of
from .._templating import render
from .._text import safe_start
from ..errors import InputError
from ..model import TraceRun
from ..redact import Redactor, redact_model, redact_run
from ..results import ReplayResult
from ..results.evidence_names import CANDIDATE_RUN, RESULT, RUNNER_OUTPUT, SUMMARY
from ._capture import cut_marker

WRITTEN_FILES = (CANDIDATE_RUN, SUMMARY, RESULT)
"""The files replaycase writes (not the runner), in the order written: result.json last, so
that it can tell what failed before it."""
LOG_OVERHANG = 8 * 1024
"""Bytes a log keeps past its cap until it is redacted: room for a secret across the cap."""


class RunFolder:
    """One replay's evidence folder, held open; use as a context manager."""

    def __init__(self, folder: Folder, redactor: Redactor | None) -> None:
        self.folder = folder
        self.redactor = redactor
        self.faults: list[str] = []
        """The runner's faults found in its folder: they make the case a runner error."""
        self.problems: list[str] = []
        """What of the evidence could not be kept as it should: the evidence error."""

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.folder.close()

    @property
    def redact(self) -> Callable[[str], str] | None:
        return self.redactor.redact_text if self.redactor is not None else None

    def gone(self) -> str | None:
        """How the runner did away with its run folder, or None when it is still there."""
        try:
            held = os.fstat(self.folder.fd)
        except OSError:
            return "the run folder could not be checked"
        if held.st_nlink == 0:
            return "the runner deleted its run folder"
        try:
            now = os.lstat(self.folder.path)
        except OSError:
            return "the runner moved its run folder away"
        if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            return f"the runner replaced its run folder with {kind_of(now.st_mode)}"
        return None

    def read_log(self, name: str, cap: int, truncated: bool) -> str:
        """The log as kept: redacted, then cut at ``cap`` bytes when the stream went past it
        (the cut marker stays); "" when there is none, or something else in its place."""
        marker = cut_marker(cap)
        data, refused = self._runner_file(name, cap + LOG_OVERHANG + len(marker))
        if refused is not None:  # a regular file refused is larger than replaycase wrote it
            found = self.faults if refused.kind == "a regular file" else self.problems
            found.append(refused.message(name))
        if data is None:
            return ""
        text = data.decode("utf-8", errors="replace")
        body = data[:-len(marker)] if truncated and data.endswith(marker) else data
        original = body.decode("utf-8", errors="replace")
        kept = self.redact(original) if self.redact is not None else original
        had_secret = kept != original
        if truncated:
            keep = len(body[:cap].decode("utf-8", errors="replace"))
            kept = cut_redacted(original, kept, keep) + marker.decode()
        if kept != text:
            self._rewrite(name, kept, had_secret)
        return kept

    def read_output(self, max_bytes: int) -> tuple[bytes | None, str | None]:
        """The runner's output as written (to be judged; the copy kept is redacted), or
        None and why it was refused (None, None: there is none)."""
        data, refused = self._runner_file(RUNNER_OUTPUT, max_bytes)
        if data is None:
            return None, refused.problem if refused is not None else None
        if self.redact is not None:
            text = data.decode("utf-8", errors="replace")
            kept = self.redact(text)
            if kept != text:
                self._rewrite(RUNNER_OUTPUT, kept, True)
        return data, None

    def keep(self, result: ReplayResult, candidate: TraceRun | None) -> ReplayResult:
        """Redact the result and the candidate run and write them, with summary.md: the
        result as kept, with the runner's faults and the evidence error."""
        if self.redactor is not None:
            result = redact_model(result, self.redactor)
            candidate_text = redact_run(candidate, self.redactor)[1] if candidate else None
        else:
            candidate_text = candidate.to_json() if candidate is not None else None
        gone = self.gone()
        if gone is not None:
            result = with_faults(result, [gone])
            result.evidence_dir = None
            result.evidence_error = f"{gone}: no evidence kept"
            return result
        for name in WRITTEN_FILES:
            if self.folder.kind(name) == "a directory":
                self.faults.append(f"the runner made {name} a directory")
        result = with_faults(result, self.faults)
        if candidate_text is not None:
            self._write(CANDIDATE_RUN, candidate_text)
        result.evidence_error = self.error()
        self._write(SUMMARY, render("summary.md.j2", result=result))
        result.evidence_error = self.error()
        self._write(RESULT, result.model_dump_json(indent=2) + "\n")
        result.evidence_error = self.error()
        return result

    def error(self) -> str | None:
        return "; ".join(self.problems) or None

    def _runner_file(self, name: str, max_bytes: int) -> tuple[bytes | None, Refusal | None]:
        """A file the runner wrote, read through the folder; None when there is none, or
        when it is refused (a link, a special file, a file too big), and then why. What
        was refused is replaced by a note; a folder is left alone."""
        if self.gone() is not None:
            return None, None
        try:
            return self.folder.read(name, max_bytes), None
        except InputError as exc:
            kind = self.folder.kind(name)
            if kind is None:
                return None, None
            refused = Refusal(kind, _problem(kind, exc.problem))
            if kind != "a directory":
                self._write(name, f"[replaycase: {name} {refused.problem}; not read, "
                                  "replaced by this note]\n")
            return None, refused

    def _rewrite(self, name: str, text: str, had_secret: bool) -> None:
        """Replace a runner's file by its redacted (or cut) text; when that fails and the
        file held a secret, it is removed rather than kept as it was."""
        if self._write(name, text) or not had_secret:
            return
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=self.folder.fd)
        self.problems[-1] += " (its unredacted copy removed)"

    def _write(self, name: str, text: str) -> bool:
        """Write a file of the folder atomically; False (and a problem noted) if it fails."""
        try:
            self.folder.write(name, text)
        except InputError as exc:
            self.problems.append(f"{name}: {exc.problem}")
            return False
        except OSError as exc:
            self.problems.append(f"{name}: cannot write: {exc.strerror or exc}")
            return False
        return True


class Refusal(NamedTuple):
    """Why a file the runner left was not read: what it is, and the problem."""

    kind: str
    problem: str

    def message(self, name: str) -> str:
        kept = "" if self.kind == "a directory" else "; replaced by a note"
        return f"{name}: {self.problem}{kept}"


def _problem(kind: str, problem: str) -> str:
    """Why a file was refused: what it is, unless it is a regular file (then ``problem``)."""
    if kind == "a symbolic link":
        return "is a symbolic link (not followed)"
    if kind == "a directory":
        return "is a directory, expected a file"
    return problem if kind == "a regular file" else f"is {kind}, not a regular file"


def with_faults(result: ReplayResult, faults: list[str]) -> ReplayResult:
    """The result as a runner error for ``faults`` (added to its reason if it already was
    one)."""
    faults = [fault for fault in faults if fault not in (result.runner.reason or "")]
    if not faults:
        return result
    reason = "; ".join(faults)
    if result.verdict == "runner_error" and result.runner.reason:
        reason = f"{result.runner.reason}; {reason}"
    runner = result.runner.model_copy(update={"reason": reason})
    return result.model_copy(update={"verdict": "runner_error", "reproduced": False,
                                     "signatures": [], "assertions": [], "runner": runner})


def cut_redacted(original: str, redacted: str, keep: int) -> str:
    """``redacted`` (the redaction of ``original``) cut where ``original[:keep]`` ends.

    The cut is found from the end: what follows it is the longest end of ``original[keep:]``
    that redaction left as it was. A secret across the cut is thus kept whole, as its
    placeholder, and a placeholder is never cut.
    """
    tail = original[keep:]
    if not tail:
        return redacted
    same = 0
    for kept, was in zip(reversed(redacted), reversed(tail), strict=False):  # <= overhang
        if kept != was:
            break
        same += 1
    cut = len(redacted) - same
    return redacted[:safe_start(redacted, cut)]
