"""Regular expressions from case files, run with a time bound (DESIGN 7).

A case from a stranger's pull request may hold a pattern that backtracks for ever
(``^(a|a)+$`` against ``aaaa…!``). Every such pattern is compiled and run here, with the
``regex`` engine (the same syntax as ``re`` for what scaffold writes) and its ``timeout``:
lint's compile check and the evaluators use one engine. Each pattern is compiled once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import regex

TIMEOUT_S = 1.0
"""The time one catalogue entry may spend searching with its regexes, all searches together."""

TIMEOUT_MESSAGE = "regex took longer than"


class RegexTimeout(Exception):
    """A search ran out of its time bound; the entry's outcome becomes ``error``."""

    def __init__(self, characters: int) -> None:
        super().__init__(f"{TIMEOUT_MESSAGE} {TIMEOUT_S:g} s on {characters:,} characters")


@dataclass
class _Budget:
    remaining: float
    """Seconds left for searches (time spent outside them does not count)."""
    characters: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("replaycase_regex_budget", default=None)


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """The compiled pattern (cached); ValueError naming the problem for an invalid one."""
    try:
        return regex.compile(pattern)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None


@contextmanager
def time_bound() -> Iterator[None]:
    """One budget of TIMEOUT_S for every search inside; a nested bound shares the outer one."""
    if _budget.get() is not None:
        yield
        return
    token = _budget.set(_Budget(TIMEOUT_S))
    try:
        yield
    finally:
        _budget.reset(token)


def search(pattern: str, text: str) -> regex.Match[str] | None:
    """``pattern.search(text)`` within the current budget (a search outside any bound gets
    its own); RegexTimeout when it runs out."""
    compiled = compile_pattern(pattern)
    budget = _budget.get() or _Budget(TIMEOUT_S)
    budget.characters += len(text)
    if budget.remaining <= 0:
        raise RegexTimeout(budget.characters)
    started = time.monotonic()
    try:
        return compiled.search(text, timeout=budget.remaining)
    except TimeoutError:
        raise RegexTimeout(budget.characters) from None
    finally:
        budget.remaining -= time.monotonic() - started
