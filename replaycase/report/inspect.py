"""`replaycase inspect`: a run's timeline in the terminal, all trace text escaped."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._text import short
from ..model import TraceRun
from ..model.timeline import event_line
from .terminal import plain
from .wrap import Hanging

_TYPE_STYLE = {
    "error": "bold red", "tool_result": "cyan", "tool_call": "cyan", "llm_call": "blue",
    "state": "magenta", "final_output": "green", "approval": "yellow", "retry": "yellow",
}


def print_run(console: Console, run: TraceRun) -> None:
    """The run's header, its events in order, and its totals."""
    totals = run.totals()
    head = Text()
    head.append(plain(run.run_id))
    head.append("  ")
    head.append(run.status.upper(), style="bold green" if run.status == "success" else "bold red")
    source = run.source.format if run.source else "?"
    who = " ".join(x for x in (run.metadata.agent, run.metadata.version) if x)
    head.append(plain(f"  {source}{'  ' + who if who else ''}"))
    console.print(head)
    if run.input is not None:
        console.print(Hanging(Text("input: ", style="bold"), plain(short(run.input, 300))))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("event")
    table.add_column("what happened", overflow="fold")
    for event in run.events:
        is_error = event.type == "error" or getattr(event, "is_error", False)
        style = "bold red" if is_error else _TYPE_STYLE.get(event.type, "")
        table.add_row(str(event.seq), Text(event.type, style=style), plain(event_line(event, 160)))
    console.print(table)
    answer = "(none)" if run.final_output is None else short(run.final_output, 600)
    console.print(Hanging(Text("final output: ", style="bold"), plain(answer)))
    parts = [f"{totals.llm_calls} model calls", f"{totals.tool_calls} tool calls"]
    if totals.total_tokens is not None:
        parts.append(f"{totals.total_tokens} tokens")
    if totals.cost_usd is not None:
        parts.append(f"${totals.cost_usd:.4f}")
    if totals.duration_ms is not None:
        parts.append(f"{totals.duration_ms:.0f} ms")
    console.print(Text(" · ".join(parts), style="dim"))
    console.print()
