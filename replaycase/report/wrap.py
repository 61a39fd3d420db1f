"""Terminal text that wraps at word boundaries with a hanging indent, at the console's width,
and output without trailing spaces when it goes to a file or a pipe."""

from __future__ import annotations

from typing import IO, Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text


class Hanging:
    """``head`` then ``body`` wrapped to the console's width; every line after the first is
    indented by ``indent`` (default: the width of ``head``)."""

    def __init__(self, head: Text | str, body: Text | str, indent: int | None = None) -> None:
        self.head = head if isinstance(head, Text) else Text(head)
        self.body = body if isinstance(body, Text) else Text(body)
        self.indent = self.head.cell_len if indent is None else indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - max(self.head.cell_len, self.indent), 8)
        out = self.head.copy()
        for index, line in enumerate(self.body.wrap(console, width, overflow="fold")):
            if index:
                out.append("\n" + " " * self.indent)
            line.rstrip()
            out.append_text(line)
        yield out


class NoTrailingSpaces:
    """A text stream that drops the spaces at the end of every line written to it (what rich
    pads tables with): for output that is not a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        text = self._pending + text
        *done, last = text.split("\n")
        kept = last.rstrip(" ")
        self._pending = last[len(kept):]
        self.stream.write("".join(line.rstrip(" ") + "\n" for line in done) + kept)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
