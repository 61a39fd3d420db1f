"""`replaycase diff` in the terminal: two runs side by side, every piece of trace text inert."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._text import short
from ..diff import RunDiff, RunSide
from .terminal import inert, plain
from .view_models import divergence_line, format_delta, format_value
from .wrap import Hanging

_STATUS_STYLE = {"success": "bold green", "paused": "bold yellow"}


def print_diff(console: Console, diff: RunDiff, paths: tuple[str, str] | None = None) -> None:
    """Status, states, first divergence, tool calls, usage and final output of A and B."""
    for index, side in enumerate((diff.a, diff.b)):
        console.print(Hanging(Text(f"{side.label}  ", style="bold"),
                              _header(side, paths[index] if paths else None)))
    console.print(Text("same input: ", style="bold") + Text("yes" if diff.same_input else "no"))
    _states(console, diff)
    console.print()
    console.print(Text("first divergence", style="bold"))
    console.print(Hanging("  ", plain(divergence_line(diff)), indent=4))
    if diff.divergence is not None:
        for side, point in ((diff.a, diff.divergence.a), (diff.b, diff.divergence.b)):
            where = f"#{point.seq} {point.type}" if point.seq is not None else "(ended)"
            console.print(Hanging(Text(f"  {side.label}: ", style="bold"),
                                  plain(f"{where}  {point.summary}"), indent=6))
    console.print(Hanging("  ", Text(diff.comparison.note, style="dim"), indent=4))
    console.print()
    _tool_calls(console, diff)
    console.print()
    console.print(_metrics(diff))
    for side in (diff.a, diff.b):
        if side.cost.note:
            console.print(Text(f"cost of {side.label}: ", style="dim")
                          + plain(side.cost.note))
    console.print()
    _final_output(console, diff)


def _header(side: RunSide, path: str | None) -> Text:
    line = Text()
    if path:
        line.append_text(plain(path + "  "))
    line.append(side.status.upper(), style=_STATUS_STYLE.get(side.status, "bold red"))
    who = " ".join(x for x in (side.agent, side.version) if x)
    line.append_text(plain(f"  run {side.run_id} · {side.format or '?'}"
                           + (f" · {who}" if who else "")))
    return line


def _states(console: Console, diff: RunDiff) -> None:
    """The states each run visited; nothing when neither run has states."""
    if not (diff.a.states or diff.b.states):
        return
    console.print(Text("states visited", style="bold"))
    for side in (diff.a, diff.b):
        path = " → ".join(side.states) if side.states else "(none)"
        console.print(Hanging(Text(f"  {side.label}: "), plain(path)))


def _tool_calls(console: Console, diff: RunDiff) -> None:
    calls = diff.tool_calls
    console.print(Text("tool calls", style="bold")
                  + Text(f"  {len(calls.added)} added · {len(calls.removed)} removed · "
                         f"{len(calls.common)} in common", style="dim"))
    rows = [("+", "green", f"only in {diff.b.label}", e) for e in calls.added]
    rows += [("−", "red", f"only in {diff.a.label}", e) for e in calls.removed]
    rows += [("=", "", "in both", e) for e in calls.common]
    for sign, style, where, entry in rows:
        line = plain(f"{entry.tool_name}({short(entry.tool_args, 120)})")
        line.append(f"  ×{entry.count} {where}", style="dim")
        console.print(Hanging(Text(f"  {sign} ", style=style), line, indent=6))


def _metrics(diff: RunDiff) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("")
    table.add_column(plain(diff.a.label), justify="right")
    table.add_column(plain(diff.b.label), justify="right")
    table.add_column("difference", justify="right")
    for metric in diff.metrics:
        table.add_row(metric.name, format_value(metric.a, metric.unit),
                      format_value(metric.b, metric.unit), format_delta(metric.delta,
                                                                        metric.unit))
    return table


def _final_output(console: Console, diff: RunDiff) -> None:
    output = diff.final_output
    if output.equal:
        console.print(Text("final output: ", style="bold") + Text("the same"))
        return
    console.print(Text("final output", style="bold"))
    for line in output.unified.splitlines():
        style = ("dim" if line.startswith(("---", "+++", "@@")) else "green"
                 if line.startswith("+") else "red" if line.startswith("-") else "")
        console.print(Hanging(Text("  " + line[:1], style=style), Text(inert(line[1:]),
                                                                        style=style)))
    if output.structured:
        console.print(Text("structured difference (deepdiff)", style="bold"))
        text = json.dumps(output.structured, indent=2, ensure_ascii=False, default=str)
        for line in text.splitlines():
            console.print(plain("  " + line))
