"""The Markdown summary of a replay (a pull-request comment, ``$GITHUB_STEP_SUMMARY``).

It renders the same view model as the HTML report. Trace text is escaped so that Markdown
and HTML in it show as text: CommonMark punctuation is backslash-escaped in table cells and
prose, and code blocks get a fence longer than any run of backticks inside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._safe_files import write_output
from .._templating import longest_ticks, md_cell, render
from .._text import short
from .view_models import SuiteView, href

TEMPLATE = "summary-suite.md.j2"
DIFF_LINES = 60


def md(value: Any, limit: int = 200) -> str:
    """Trace text as one line of inert Markdown (safe in a table cell)."""
    return md_cell(value, limit)


def code(value: Any, limit: int = 120) -> str:
    """A short value as inline code (one line, no backticks inside)."""
    text = short(value, limit).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else ""


def fenced(text: str, info: str = "text", max_lines: int = DIFF_LINES) -> str:
    """A code block that no content can close early."""
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… {len(lines) - max_lines} more lines"]
    fence = "`" * max(3, longest_ticks(text) + 1)
    return "\n".join([fence + info, *lines, fence])


def render_markdown(view: SuiteView, out_dir: Path | None = None) -> str:
    """The summary as Markdown; evidence links are relative to ``out_dir`` (none without)."""

    def link(path: str) -> str:
        return href(path, out_dir) if out_dir is not None else ""

    return render(TEMPLATE, view=view, md=md, code=code, fenced=fenced, href=link)


def write_markdown(view: SuiteView, path: Path) -> Path:
    """Write the summary to ``path`` (atomically); returns the path."""
    path = Path(path)
    write_output(path, render_markdown(view, path.parent.resolve()))
    return path
