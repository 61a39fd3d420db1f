"""The jinja2 environment over the templates shipped with replaycase."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .secrets import clip


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
    return env


def render(name: str, **context: Any) -> str:
    """Render one template by file name."""
    return environment().get_template(name).render(**context)


def short(value: Any, limit: int = 120) -> str:
    """A value as one short line of text (never cut inside a redaction placeholder)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            sort_keys=True, default=str)
    text = " ".join(text.split())
    return clip(text, limit)


def md_cell(value: Any, limit: int = 120) -> str:
    """A value made safe for one Markdown table cell."""
    return short(value, limit).replace("|", "\\|").replace("`", "'")
