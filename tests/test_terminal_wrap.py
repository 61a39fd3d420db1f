"""What a person sees in a terminal 80 columns wide (issue 18): long text wraps at word
boundaries with a hanging indent, no line ends in spaces off a terminal, `diff` leaves out
the sections neither run has."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.report.wrap import Hanging, NoTrailingSpaces

ROOT = Path(__file__).resolve().parent.parent
TRACES = Path(__file__).parent / "data" / "traces" / "otlp-genai"
WORDS = "Why was I charged $49.99 twice in March? My customer id is C-10442 and my email is x"


def _render(renderable: object, width: int = 40) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, soft_wrap=True).print(renderable)
    return out.getvalue().splitlines()


def test_hanging_text_wraps_at_words_under_its_head() -> None:
    lines = _render(Hanging(Text("input: "), Text(WORDS)))
    assert lines[0].startswith("input: Why was I")
    assert all(line.startswith(" " * 7) and not line[7].isspace() for line in lines[1:])
    assert all(len(line) <= 40 and not line.endswith(" ") for line in lines)
    assert " ".join(line.strip() for line in lines) == "input: " + WORDS  # no word cut
    words = set(WORDS.split())
    assert all(set(line.split()) <= words | {"input:"} for line in lines)


def test_a_word_longer_than_the_line_is_folded_not_lost() -> None:
    token = "x" * 100
    lines = _render(Hanging("  ", Text(token), indent=4))
    assert "".join(line.strip() for line in lines) == token
    assert all(len(line) <= 40 for line in lines)


def test_no_trailing_spaces_written_to_a_file_or_pipe() -> None:
    sink = io.StringIO()
    stream = NoTrailingSpaces(sink)
    for piece in ("a  ", "  \nb", "   ", "\n", "c   "):
        stream.write(piece)
    stream.write("\n")
    assert sink.getvalue() == "a\nb\nc\n"  # spaces split across writes too
    assert not stream.isatty()


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_inspect_at_80_columns() -> None:
    out = _cli("inspect", str(ROOT / "cases" / "tool-loop" / "source-trace.json"))
    lines = out.splitlines()
    assert all(len(line) <= 80 and not line.endswith(" ") for line in lines), out
    [start] = [i for i, line in enumerate(lines) if line.startswith("input: ")]
    assert lines[start + 1].startswith("       ") and lines[start + 1].strip()  # hangs


def test_diff_at_80_columns_leaves_out_what_neither_run_has() -> None:
    out = _cli("diff", str(TRACES / "tool-loop.json"), str(TRACES / "happy.json"))
    lines = out.splitlines()
    assert all(len(line) <= 80 and not line.endswith(" ") for line in lines), out
    assert "states visited" not in out  # OTLP runs visit no workflow state
    assert lines[0].startswith("A  ") and lines[1].startswith("   ")  # the header hangs
    assert "first divergence" in out and "tool calls" in out


def test_a_failed_assertion_wraps_under_its_mark() -> None:
    from replaycase.report.terminal import failure_details
    from replaycase.results import Outcome, ReplayResult, RunnerInfo

    failed = Outcome(key="final_output_contains", entry={}, outcome="failed",
                     message="final output does not contain " + WORDS)
    result = ReplayResult(case_id="c", case_path="cases/c", verdict="failing",
                          runner=RunnerInfo(), assertions=[failed])
    [detail] = failure_details(result)
    lines = _render(detail, width=50)
    assert lines[0].startswith("    ✗ final_output_contains: final output does")
    assert len(lines) > 2 and all(line.startswith(" " * 6) for line in lines[1:])
    assert all(len(line) <= 50 and not line.endswith(" ") for line in lines)
