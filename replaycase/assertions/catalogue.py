"""The catalogue of signatures and assertions (DESIGN 4): one tagged union.

Each entry is a one-key mapping plus an optional ``why``::

    - tool_call_count: {tool: lookup_billing, min: 5}
      why: lookup_billing called 5 times with identical args (events 2,4,6,8,10)

Observed failure signatures and desired assertions use the same entries and one engine.
Entries are user-written, so they are strict: unknown keys are errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from .._bounded_regex import compile_pattern
from ..model import RunStatus

SequenceMode = Literal["strict", "in_order", "any_order", "subset", "superset"]


class _Strict(BaseModel):
    # A number is a finite number of the field's type: a boolean is not one, and NaN or
    # infinity would make every comparison with it silently false (max_cost_usd: .inf).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True,
                              allow_inf_nan=False)


def _check_regex(value: str) -> str:
    """A pattern the evaluators can run: compiled by the same engine, and cached for them."""
    compile_pattern(value)
    return value


Regex = Annotated[str, Field(min_length=1)]


class CountSpec(_Strict):
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

    def describe(self) -> str:
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


class FinalOutputEqualsSpec(_Strict):
    value: Any = None
    ignore_order: bool = False


class OutputFieldSpec(_Strict):
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
            _check_regex(self.matches)
        return self


class ToolArgsSpec(_Strict):
    tool: str
    args: Any
    match: Literal["exact", "subset", "regex"] = "subset"

    @model_validator(mode="after")
    def _regexes(self) -> ToolArgsSpec:
        if self.match == "regex":
            if not isinstance(self.args, dict):
                raise ValueError("with match: regex, args maps argument names to patterns")
            for value in self.args.values():
                _check_regex(str(value))
        return self


class ToolSequenceSpec(_Strict):
    tools: list[str] = Field(min_length=1)
    mode: SequenceMode = "in_order"


class StateSequenceSpec(_Strict):
    states: list[str] = Field(min_length=1)
    mode: SequenceMode = "in_order"


class RepeatedToolCallSpec(_Strict):
    """Bounds on the most times one identical call (same name and args) was made."""

    tool: str | None = None
    min: int | None = Field(default=None, ge=1)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> RepeatedToolCallSpec:
        if self.min is None and self.max is None:
            raise ValueError("give min (a loop of at least N identical calls) or max")
        return self


class _Entry(_Strict):
    key: ClassVar[str]
    family: ClassVar[str]
    if TYPE_CHECKING:  # each entry declares it after its key (the order of its fields)
        why: str | None

    def value(self) -> Any:
        """The entry's one catalogue value."""
        return getattr(self, self.key if self.key != "not" else "not_")

    def to_yaml_dict(self) -> dict[str, Any]:
        """The entry as written in case.yaml: the catalogue key, then ``why``."""
        data = self.model_dump(by_alias=True, exclude_none=True, exclude={"why"},
                               exclude_defaults=False)
        value = data[self.key]
        out: dict[str, Any] = {self.key: _compact(value, self)}
        if self.why:
            out["why"] = self.why
        return out


def _compact(value: Any, entry: _Entry) -> Any:
    if isinstance(value, dict):
        ordered = dict(sorted(value.items(), key=lambda kv: kv[0] != "tool"))
        return {k: _compact(v, entry) for k, v in ordered.items()}
    if isinstance(value, list):
        return [v.to_yaml_dict() if isinstance(v, _Entry) else _compact(v, entry) for v in value]
    return value


class StatusIs(_Entry):
    key, family = "status_is", "run"
    status_is: RunStatus
    why: str | None = None


class FinalOutputExists(_Entry):
    key, family = "final_output_exists", "run"
    final_output_exists: bool
    why: str | None = None


class FinalOutputContains(_Entry):
    key, family = "final_output_contains", "run"
    final_output_contains: str = Field(min_length=1)
    why: str | None = None


class FinalOutputMatches(_Entry):
    key, family = "final_output_matches", "run"
    final_output_matches: Regex
    why: str | None = None

    _check = field_validator("final_output_matches")(_check_regex)


class FinalOutputEquals(_Entry):
    key, family = "final_output_equals", "run"
    final_output_equals: FinalOutputEqualsSpec
    why: str | None = None

    @field_validator("final_output_equals", mode="before")
    @classmethod
    def _wrap(cls, value: Any) -> Any:
        if isinstance(value, dict) and "value" in value and set(value) <= {"value",
                                                                            "ignore_order"}:
            return value
        return {"value": value}


class OutputField(_Entry):
    key, family = "output_field", "run"
    output_field: OutputFieldSpec
    why: str | None = None


class ErrorMatches(_Entry):
    key, family = "error_matches", "run"
    error_matches: Regex
    why: str | None = None

    _check = field_validator("error_matches")(_check_regex)


class NoErrors(_Entry):
    key, family = "no_errors", "run"
    no_errors: bool
    why: str | None = None


class ToolCalled(_Entry):
    key, family = "tool_called", "tools"
    tool_called: str = Field(min_length=1)
    why: str | None = None


class ToolNotCalled(_Entry):
    key, family = "tool_not_called", "tools"
    tool_not_called: str = Field(min_length=1)
    why: str | None = None


class ToolCallCount(_Entry):
    key, family = "tool_call_count", "tools"
    tool_call_count: ToolCountSpec
    why: str | None = None


class MaxToolCalls(_Entry):
    key, family = "max_tool_calls", "tools"
    max_tool_calls: int = Field(ge=0)
    why: str | None = None


class ToolArgs(_Entry):
    key, family = "tool_args", "tools"
    tool_args: ToolArgsSpec
    why: str | None = None


class ToolSequence(_Entry):
    key, family = "tool_sequence", "tools"
    tool_sequence: ToolSequenceSpec
    why: str | None = None

    @field_validator("tool_sequence", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return {"tools": value} if isinstance(value, list) else value


class RepeatedToolCall(_Entry):
    key, family = "repeated_tool_call", "tools"
    repeated_tool_call: RepeatedToolCallSpec
    why: str | None = None

    @field_validator("repeated_tool_call", mode="before")
    @classmethod
    def _int(cls, value: Any) -> Any:
        return {"min": value} if isinstance(value, int) and not isinstance(value, bool) \
            else value


class ToolErrorCount(_Entry):
    key, family = "tool_error_count", "tools"
    tool_error_count: ToolCountSpec
    why: str | None = None


class StateVisited(_Entry):
    key, family = "state_visited", "workflow"
    state_visited: str = Field(min_length=1)
    why: str | None = None


class StateSequence(_Entry):
    key, family = "state_sequence", "workflow"
    state_sequence: StateSequenceSpec
    why: str | None = None

    @field_validator("state_sequence", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return {"states": value} if isinstance(value, list) else value


class FailedInState(_Entry):
    key, family = "failed_in_state", "workflow"
    failed_in_state: str = Field(min_length=1)
    why: str | None = None


class ApprovalRequested(_Entry):
    key, family = "approval_requested", "workflow"
    approval_requested: bool | str
    why: str | None = None


class LlmCallCount(_Entry):
    key, family = "llm_call_count", "budget"
    llm_call_count: CountSpec
    why: str | None = None


class MaxTokens(_Entry):
    key, family = "max_tokens", "budget"
    max_tokens: int = Field(ge=0)
    why: str | None = None


class MaxCostUsd(_Entry):
    key, family = "max_cost_usd", "budget"
    max_cost_usd: float = Field(ge=0)
    why: str | None = None


class MaxDurationMs(_Entry):
    key, family = "max_duration_ms", "budget"
    max_duration_ms: float = Field(ge=0)
    why: str | None = None


class Not(_Entry):
    key, family = "not", "logic"
    not_: Assertion = Field(alias="not")
    why: str | None = None


class AllOf(_Entry):
    key, family = "all_of", "logic"
    all_of: list[Assertion] = Field(min_length=1)
    why: str | None = None


class AnyOf(_Entry):
    key, family = "any_of", "logic"
    any_of: list[Assertion] = Field(min_length=1)
    why: str | None = None


ENTRY_TYPES: dict[str, type[_Entry]] = {
    cls.key: cls
    for cls in (
        StatusIs, FinalOutputExists, FinalOutputContains, FinalOutputMatches, FinalOutputEquals,
        OutputField, ErrorMatches, NoErrors,
        ToolCalled, ToolNotCalled, ToolCallCount, MaxToolCalls, ToolArgs, ToolSequence,
        RepeatedToolCall, ToolErrorCount,
        StateVisited, StateSequence, FailedInState, ApprovalRequested,
        LlmCallCount, MaxTokens, MaxCostUsd, MaxDurationMs,
        Not, AllOf, AnyOf,
    )
}


def _entry_tag(value: Any) -> str | None:
    if isinstance(value, _Entry):
        return value.key
    if not isinstance(value, dict):
        return None
    known = [k for k in value if k in ENTRY_TYPES]
    return str(known[0]) if known else None


Assertion = Annotated[
    Annotated[StatusIs, Tag("status_is")]
    | Annotated[FinalOutputExists, Tag("final_output_exists")]
    | Annotated[FinalOutputContains, Tag("final_output_contains")]
    | Annotated[FinalOutputMatches, Tag("final_output_matches")]
    | Annotated[FinalOutputEquals, Tag("final_output_equals")]
    | Annotated[OutputField, Tag("output_field")]
    | Annotated[ErrorMatches, Tag("error_matches")]
    | Annotated[NoErrors, Tag("no_errors")]
    | Annotated[ToolCalled, Tag("tool_called")]
    | Annotated[ToolNotCalled, Tag("tool_not_called")]
    | Annotated[ToolCallCount, Tag("tool_call_count")]
    | Annotated[MaxToolCalls, Tag("max_tool_calls")]
    | Annotated[ToolArgs, Tag("tool_args")]
    | Annotated[ToolSequence, Tag("tool_sequence")]
    | Annotated[RepeatedToolCall, Tag("repeated_tool_call")]
    | Annotated[ToolErrorCount, Tag("tool_error_count")]
    | Annotated[StateVisited, Tag("state_visited")]
    | Annotated[StateSequence, Tag("state_sequence")]
    | Annotated[FailedInState, Tag("failed_in_state")]
    | Annotated[ApprovalRequested, Tag("approval_requested")]
    | Annotated[LlmCallCount, Tag("llm_call_count")]
    | Annotated[MaxTokens, Tag("max_tokens")]
    | Annotated[MaxCostUsd, Tag("max_cost_usd")]
    | Annotated[MaxDurationMs, Tag("max_duration_ms")]
    | Annotated[Not, Tag("not")]
    | Annotated[AllOf, Tag("all_of")]
    | Annotated[AnyOf, Tag("any_of")],
    Discriminator(
        _entry_tag,
        custom_error_type="unknown_entry",
        custom_error_message="expected a mapping with one catalogue key (status_is, "
        "tool_call_count, …; see `replaycase schema`) and an optional why",
    ),
]

for _cls in (Not, AllOf, AnyOf):
    _cls.model_rebuild()


class SemanticCheck(_Strict):
    """A check only a person (or a later grader) can judge; reported as needs_review."""

    check: str = Field(min_length=1)
    why: str | None = None


def parse_entry(value: Any) -> _Entry:
    """Validate one catalogue entry (a one-key mapping) into its model."""
    from pydantic import TypeAdapter

    return TypeAdapter(Assertion).validate_python(value)


AnyEntry = _Entry
