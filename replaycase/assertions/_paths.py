"""Paths into a structured final output: ``a.b[0].c``, ``$.a.b``, ``a["key.with.dots"]``."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""\.?([^.\[\]"']+)|\[(-?[0-9]+)\]|\[(["'])(.*?)\3\]""")


class PathError(ValueError):
    """A path that cannot be parsed."""


class MissingField(LookupError):
    """A path that does not lead to a value; the message says where it stops."""


def parse_path(path: str) -> list[str | int]:
    """The steps of ``path``: names (str) and list indexes (int)."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PathError(f"cannot read path {path!r} at character {pos + 1}")
        name, index, _, quoted = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append(quoted)
        pos = match.end()
    return steps


def path_text(steps: list[str | int]) -> str:
    """Steps written back as a path."""
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else ("." if out else "") + step
    return out or "$"


def resolve(value: Any, steps: list[str | int]) -> Any:
    """The value at ``steps`` inside ``value``; MissingField when it is not there."""
    current = value
    for done, step in enumerate(steps):
        where = path_text(steps[:done])
        if isinstance(current, dict):
            key = str(step)
            if key not in current:
                raise MissingField(f"no key {key!r} in {where}")
            current = current[key]
        elif isinstance(current, list):
            index = _index(step)
            if index is None:
                raise MissingField(f"{where} is a list, {step!r} is not an index")
            if not -len(current) <= index < len(current):
                raise MissingField(f"{where} has {len(current)} items, no index {index}")
            current = current[index]
        else:
            raise MissingField(f"{where} is {_kind(current)}, not an object or list")
    return current


def _index(step: str | int) -> int | None:
    if isinstance(step, int):
        return step
    return int(step) if re.fullmatch(r"-?[0-9]+", step) else None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__
