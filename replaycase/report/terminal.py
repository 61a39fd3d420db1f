"""Rich terminal output; every piece of trace text is escaped before it is printed."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..results import ReplayResult, Summary

_STYLE = {"fixed": "green", "reproduced": "red", "failing": "yellow", "runner_error": "magenta"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\x1b\[[0-9;?]*[A-Za-z]")


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
                style=f"bold {_STYLE[result.verdict]}")
    if result.verdict == "runner_error":
        line.append("runner: " + inert(result.runner.reason or "error"))
        if result.runner.stderr_tail:
            last = result.runner.stderr_tail.strip().splitlines()[-1:]
            if last:
                line.append(" · stderr: " + inert(last[0])[:160])
        return line
    line.append(f"observed failure reproduced: {'yes' if result.reproduced else 'no '}"
                f" · desired {result.desired_passed}/{len(result.assertions)}"
                f" · review {len(result.semantic)}")
    return line


def failure_details(result: ReplayResult) -> list[Text]:
    """The desired assertions that failed, one line each."""
    lines = []
    for outcome in result.assertions:
        if outcome.outcome in ("failed", "error"):
            lines.append(Text("    ✗ ", style="red") + plain(f"{outcome.key}: {outcome.message}"))
    return lines


def summary_line(summary: Summary) -> Text:
    parts = [f"{summary.total} case{'s' if summary.total != 1 else ''}"]
    for verdict in ("fixed", "reproduced", "failing", "runner_error"):
        count = getattr(summary, verdict)
        if count:
            parts.append(f"{count} {verdict.replace('_', ' ')}")
    text = Text(" · ".join(parts))
    text.append(f" ({summary.duration_ms / 1000:.1f}s)", style="dim")
    return text


def print_results(console: Console, results: list[ReplayResult], summary: Summary,
                  details: bool = True) -> None:
    width = max((len(r.case_id) for r in results), default=0)
    for result in results:
        console.print(verdict_line(result, width))
        if details and result.verdict == "failing":
            for line in failure_details(result):
                console.print(line)
    console.print(summary_line(summary))


__all__ = ["escape", "inert", "plain", "print_results", "summary_line", "verdict_line"]
