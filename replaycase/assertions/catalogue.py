"""The values of catalogue entries (DESIGN 4): counts, specs of tools, states and outputs.

The entries themselves are registered beside their evaluators, one module per family
(``_registry`` builds the union from them). Values are user-written, so they are strict.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .._bounded_regex import compile_pattern
from ._registry import Strict

SequenceMode = Literal["strict", "in_order", "any_order", "subset", "superset"]


def check_regex(value: str) -> str:
    """A pattern the evaluators can run: compiled by the same engine, and cached for them."""
    compile_pattern(value)
    return value


Regex = Annotated[str, Field(min_length=1)]


class CountSpec(Strict):
    """Bounds on a count: any of min, max, equals."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    equals: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> CountSpec:
        if self.min is None and self.max is None and self.equals is None:
            raise ValueError("give at least one of min, max, equals")
        return self

    def holds(self, count: int) -> bool:
        return ((self.min is None or count >= self.min)
                and (self.max is None or count <= self.max)
                and (self.equals is None or count == self.equals))

    def bounds_text(self) -> str:
        parts = []
        if self.equals is not None:
            parts.append(f"= {self.equals}")
        if self.min is not None:
            parts.append(f">= {self.min}")
        if self.max is not None:
            parts.append(f"<= {self.max}")
        return " and ".join(parts)


class ToolCountSpec(CountSpec):
    """A count of tool calls, of one tool or of all."""

    tool: str | None = None


class FinalOutputEqualsSpec(Strict):
    value: Any = None
    ignore_order: bool = False


class OutputFieldSpec(Strict):
    """A path into a structured final output (``a.b[0].c``) and one check on it."""

    path: str = Field(min_length=1)
    equals: Any = None
    contains: str | None = None
    matches: str | None = None

    @model_validator(mode="after")
    def _one_check(self) -> OutputFieldSpec:
        given = [k for k in ("equals", "contains", "matches") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, contains, matches")
        if self.matches is not None:
            check_regex(self.matches)
        return self


class ToolArgsSpec(Strict):
    tool: str
    args: Any
    match: Literal["exact", "subset", "regex"] = "subset"

    @model_validator(mode="after")
    def _regexes(self) -> ToolArgsSpec:
        if self.match == "regex":
            if not isinstance(self.args, dict):
                raise ValueError("with match: regex, args maps argument names to patterns")
            for value in self.args.values():
                check_regex(str(value))
        return self


class ToolSequenceSpec(Strict):
    tools: list[str] = Field(min_length=1)
    mode: SequenceMode = "in_order"


class StateSequenceSpec(Strict):
    states: list[str] = Field(min_length=1)
    mode: SequenceMode = "in_order"


class RepeatedToolCallSpec(Strict):
    """Bounds on the most times one identical call (same name and args) was made."""

    tool: str | None = None
    min: int | None = Field(default=None, ge=1)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> RepeatedToolCallSpec:
        if self.min is None and self.max is None:
            raise ValueError("give min (a loop of at least N identical calls) or max")
        return self


SEMANTIC_PLACEHOLDER = (
    "Describe what a correct answer must say or do (a person reviews this; it is never "
    "auto-graded)")
"""The semantic check scaffold writes for a person to replace (never graded)."""


class SemanticCheck(Strict):
    """A check only a person (or a later grader) can judge; reported as needs_review."""

    check: str = Field(min_length=1)
    why: str | None = None
