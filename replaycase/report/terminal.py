"""Rich terminal output; every piece of trace text is escaped before it is printed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from .._text import clip
from ..results import VERDICTS, ReplayResult, Summary
from .wrap import Hanging

_STYLE = {"fixed": "green", "reproduced": "red", "failing": "yellow", "diverged": "cyan",
          "runner_error": "magenta", "flaky": "bright_yellow"}
_CONTROL = re.compile(
    r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # CSI and OSC sequences
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def inert(text: object) -> str:
    """Trace text made safe for a terminal: no ANSI, no control characters."""
    return _CONTROL.sub("�", str(text))


def plain(text: object) -> Text:
    """Trace text as a rich Text: markup in it is shown, never interpreted."""
    return Text(inert(text))


def verdict_line(result: ReplayResult, width: int = 0) -> Text:
    """`search-loop  REPRODUCED   observed failure reproduced: yes · desired 0/3 · review 1`."""
    line = Text()
    line.append(inert(result.case_id).ljust(width), style="bold")
    line.append("  ")
    line.append(result.verdict.upper().replace("_", " ").ljust(13),
                style=f"bold {_STYLE.get(result.verdict, 'bold')}")
    if result.repeats > 1:
        passed = sum(1 for run in result.repeat_runs if run.passed)
        line.append(f"passed {passed}/{result.repeats} runs · ")
    if result.verdict == "flaky":
        reasons = list(dict.fromkeys(run.reason for run in result.repeat_runs
                                     if not run.passed and run.reason))
        line.append("failed: " + clip(inert("; ".join(reasons) or "no reason recorded"), 240))
    elif result.verdict == "diverged" and result.divergence is not None:
        line.append(clip(inert(result.divergence.message), 240))
    elif result.verdict == "runner_error":
        line.append("runner: " + inert(result.runner.reason or "error"))
        if result.runner.stderr_tail:
            last = result.runner.stderr_tail.strip().splitlines()[-1:]
            if last:
                line.append(" · stderr: " + clip(inert(last[0]), 160, ""))
    else:
        line.append(f"observed failure reproduced: {'yes' if result.reproduced else 'no '}"
                    f" · desired {result.desired_passed}/{len(result.assertions)}")
        graded = [o for o in result.semantic if o.outcome != "needs_review"]
        if graded:
            passed = sum(1 for o in graded if o.passed)
            line.append(f" · graded {passed}/{len(graded)}")
        line.append(f" · review {len(result.semantic) - len(graded)}")
    if result.evidence_error:
        line.append(" · evidence: " + inert(result.evidence_error), style="magenta")
    return line


def failure_details(result: ReplayResult) -> list[Hanging]:
    """The desired assertions and graded checks that failed, one each (wrapped under it)."""
    return [Hanging(Text("    ✗ ", style="red"), plain(f"{outcome.key}: {outcome.message}"))
            for outcome in (*result.assertions, *result.semantic)
            if outcome.outcome in ("failed", "error")]


def summary_line(summary: Summary) -> Text:
    parts = [f"{summary.total} case{'s' if summary.total != 1 else ''}"]
    if summary.shard:
        parts[0] = f"shard {summary.shard}: {parts[0]}"
    for verdict in VERDICTS:
        count = getattr(summary, verdict, 0)
        if count:
            parts.append(f"{count} {verdict.replace('_', ' ')}")
    if summary.min_pass_rate is not None and summary.flaky:
        parts.append(f"{summary.passed} passed at a pass rate >= {summary.min_pass_rate:g}")
    if summary.not_run:
        parts.append(f"{summary.not_run} not run ({not_run_reason(summary)})")
    if summary.invalid:
        parts.append(f"{summary.invalid} invalid (not run)")
    if summary.incomplete:
        parts.append("incomplete")
    text = Text(" · ".join(parts))
    text.append(f" ({summary.duration_ms / 1000:.1f}s)", style="dim")
    return text


def not_run_reason(summary: Summary) -> str:
    """Why cases were not run: an interrupt, or --fail-fast."""
    if summary.incomplete:
        return f"interrupted by {summary.interrupted}" if summary.interrupted not in (
            None, "stopped") else "the replay was stopped"
    return "--fail-fast"


def print_results(console: Console, results: list[ReplayResult], summary: Summary,
                  details: bool = True, verdicts: bool = True) -> None:
    """Each case's verdict line (not when progress lines already showed them: ``verdicts``
    False), what failed in the failing ones, and the summary."""
    width = max((len(r.case_id) for r in results), default=0)
    for result in results:
        lines = failure_details(result) if details and result.verdict in (
            "failing", "flaky") else []
        if verdicts:
            console.print(verdict_line(result, width))
        elif lines:
            console.print(plain(result.case_id), style="bold")
        for line in lines:
            console.print(line)
    unserved = [r.case_id for r in results if r.model_tape == "none"
                and r.runner.output_format is None and r.evidence_dir is not None
                and not r.runner.timed_out]
    if unserved:  # agents that ran and wrote no output (runner-API runners need no tape)
        console.print(without_tape_note(unserved), style="dim")
    console.print(summary_line(summary))


def without_tape_note(case_ids: list[str]) -> Text:
    """The one line that says which cases had no model tape to serve."""
    many = len(case_ids) != 1
    return plain(f"note: {len(case_ids)} case{'s' if many else ''} "
                 f"{'have' if many else 'has'} no model tape ({', '.join(case_ids)}): "
                 f"{'their runners' if many else 'its runner'} reached "
                 f"{'their' if many else 'its'} own model")


# -- progress while a suite replays ----------------------------------------------------------


class Listener(Protocol):
    def started(self, total: int, case_ids: Sequence[str] = ()) -> None: ...

    def finished(self, result: ReplayResult) -> None: ...


class PlainProgress:
    """One plain line per case as it finishes (`[3/60] tool-loop  FIXED  …`), the case ids
    aligned: for logs. Results that finish before the cases are all loaded wait for it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total: int | None = None
        self.width = 0
        self.done = 0
        self._waiting: list[ReplayResult] = []

    def started(self, total: int, case_ids: Sequence[str] = ()) -> None:
        self.total = total
        self.width = max((len(case_id) for case_id in case_ids), default=0)
        waiting, self._waiting = self._waiting, []
        for result in waiting:
            self._print(result)

    def finished(self, result: ReplayResult) -> None:
        if self.total is None:
            self._waiting.append(result)
        else:
            self._print(result)

    def stop(self) -> None:
        """Print what still waits (a replay stopped before every case was loaded)."""
        waiting, self._waiting = self._waiting, []
        for result in waiting:
            self._print(result)

    def _print(self, result: ReplayResult) -> None:
        self.done += 1
        total = "?" if self.total is None else self.total
        counter = f"[{self.done}/{total}] "
        self.console.print(Text(counter.rjust(len(f"[{total}/{total}] ")))
                           + verdict_line(result, self.width))


class BarProgress:
    """A rich progress bar, removed once the suite is done: for a terminal."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.task: TaskID = self.progress.add_task("", total=None)
        self.counts: dict[str, int] = {}
        self.progress.start()

    def started(self, total: int, case_ids: Sequence[str] = ()) -> None:
        self.progress.update(self.task, total=total)

    def finished(self, result: ReplayResult) -> None:
        self.counts[result.verdict] = self.counts.get(result.verdict, 0) + 1
        note = " · ".join(f"{self.counts[v]} {v.replace('_', ' ')}" for v in VERDICTS
                          if self.counts.get(v))
        self.progress.update(self.task, advance=1, description=escape(note))

    def stop(self) -> None:
        self.progress.stop()


def wants_bar(console: Console, env: Mapping[str, str] | None = None) -> bool:
    """A bar only on an interactive terminal, never in CI or with NO_COLOR set."""
    env = os.environ if env is None else env
    return (console.is_terminal and not console.is_dumb_terminal
            and not env.get("NO_COLOR") and not env.get("CI"))


@contextmanager
def progress_display(console: Console,
                     env: Mapping[str, str] | None = None) -> Iterator[Listener]:
    """The progress listener for a suite replay on ``console`` (a bar or plain lines)."""
    if not wants_bar(console, env):
        plain_lines = PlainProgress(console)
        try:
            yield plain_lines
        finally:
            plain_lines.stop()
        return
    bar = BarProgress(console)
    try:
        yield bar
    finally:
        bar.stop()


__all__ = ["BarProgress", "PlainProgress", "escape", "inert", "plain", "print_results",
           "progress_display", "summary_line", "verdict_line", "wants_bar"]
