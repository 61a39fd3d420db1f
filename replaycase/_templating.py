"""The jinja2 environment over the templates shipped with replaycase."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ._text import PLACEHOLDER, short


def templates_dir() -> Path:
    """The templates folder: inside the installed package, or top-level in a checkout."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = short
    env.filters["md_cell"] = md_cell
    env.filters["md_code"] = md_code
    env.filters["md_fenced"] = md_fenced
    return env


def render(name: str, **context: Any) -> str:
    """Render one template by file name."""
    return environment().get_template(name).render(**context)


_SPECIAL = re.compile(PLACEHOLDER.pattern + r"|[\\`*\[\]<>|~&]|(?<![^\W_])_|_(?![^\W_])")
"""What md_cell escapes: CommonMark punctuation that can make markup (an ``_`` between two
letters or digits never does, so ``search_kb`` stays as it is)."""
_TICKS = re.compile(r"`+")


def md_cell(value: Any, limit: int = 120) -> str:
    """Trace text as one line of inert Markdown, safe in a table cell: CommonMark punctuation
    is backslash-escaped, so HTML, links and pipes show as text; a redaction placeholder keeps
    its form (only its ``<`` is escaped), so lint still knows it."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), short(value, limit))


def md_code(value: Any, limit: int = 120) -> str:
    """A value as inline code that no backtick inside can close (not for table cells)."""
    text = short(value, limit)
    ticks = "`" * (longest_ticks(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}" if text else ""


def md_fenced(text: str, info: str = "text") -> str:
    """A code block that no content can close early."""
    fence = "`" * max(3, longest_ticks(text) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def longest_ticks(text: str) -> int:
    """The longest run of backticks in ``text``."""
    return max((len(run) for run in _TICKS.findall(text)), default=0)
