"""The models of a case folder: case.yaml's parts, strict (unknown keys are errors), and
ReplayCase, a folder on disk with its parsed case.yaml (DESIGN 3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..assertions import Assertion
from ..assertions.catalogue import SemanticCheck
from ..errors import CaseError
from ..tape import MatchMode

CASE_FORMAT = "replaycase/v1"
CASE_FILE = "case.yaml"
SOURCE_TRACE = "source-trace.json"
FIXTURES = "fixtures"
NOTES = "notes.md"
SCHEMA_COMMENT = ("# yaml-language-server: $schema=../case.schema.json\n"
                  "# replaycase case file: `replaycase schema` prints its JSON Schema")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A case id, matched whole (fullmatch: ``$`` would let a final newline through)."""


class _Strict(BaseModel):
    # A number is a finite number of the field's type: a boolean is not one, and NaN or
    # infinity would make every comparison with it silently false.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True,
                              allow_inf_nan=False)


class CaseSource(_Strict):
    """Where the case came from: the redacted source trace in the folder."""

    file: str = SOURCE_TRACE
    format: str
    run_id: str
    sha256: str | None = Field(default=None, description="sha256 of the original trace file.")

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("a path cannot hold a NUL byte")
        return value


class Scenario(_Strict):
    """What the run was asked."""

    input: Any = None


IGNORED_RUNNER_CMD = ("runner.cmd is ignored: the runner command comes from --runner-cmd or "
                      "runner_cmd in [tool.replaycase], never from a case folder; remove it")


class RunnerDefaults(_Strict):
    """Optional runner defaults of the case; --timeout overrides them. The runner command
    itself never comes from a case folder (DESIGN 7)."""

    cmd: str | None = Field(default=None, description=(
        "Ignored (older case files wrote it): the runner command comes from --runner-cmd or "
        "runner_cmd in [tool.replaycase], never from a case folder."),
        json_schema_extra={"deprecated": True})
    timeout_s: float = Field(default=60.0, gt=0, le=86400)


class ModelTapeSettings(_Strict):
    """How the case's model tape (fixtures/model_tape.jsonl) answers a candidate."""

    match: MatchMode = Field(default="exact", description=(
        "exact: a request matches a recorded turn when its instructions, offered tools and "
        "history are the same; history: changed instructions alone are no divergence."))


class CaseSpec(_Strict):
    """The contents of case.yaml."""

    schema_: str = Field(alias="schema", description=f"Always {CASE_FORMAT!r}.")
    id: str
    title: str = ""
    revision: int = Field(default=1, ge=1)
    source: CaseSource
    tags: list[str] = Field(default_factory=list)
    scenario: Scenario = Field(default_factory=Scenario)
    runner: RunnerDefaults = Field(default_factory=RunnerDefaults)
    observed_failure: list[Assertion] = Field(min_length=1)
    desired: list[Assertion] = Field(min_length=1)
    semantic: list[SemanticCheck] = Field(default_factory=list)
    model_tape: ModelTapeSettings = Field(default_factory=ModelTapeSettings)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: str) -> str:
        if value == CASE_FORMAT:
            return value
        if isinstance(value, str) and value.startswith("replaycase/v"):
            raise ValueError(f"{value!r} is newer than this replaycase reads ({CASE_FORMAT}); "
                             "upgrade replaycase")
        raise ValueError(f"expected {CASE_FORMAT!r}")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("an id is 1 to 128 letters, digits, '.', '_' or '-', starting "
                             "with a letter or digit")
        return value

    def to_yaml_dict(self) -> dict[str, Any]:
        """The mapping written to case.yaml, keys in the documented order."""
        data: dict[str, Any] = {
            "schema": self.schema_,
            "id": self.id,
            "title": self.title,
            "revision": self.revision,
            "source": self.source.model_dump(exclude_none=True),
            "tags": list(self.tags),
            "scenario": self.scenario.model_dump(),
            "runner": self.runner.model_dump(exclude={"cmd"}),
            "observed_failure": [e.to_yaml_dict() for e in self.observed_failure],
            "desired": [e.to_yaml_dict() for e in self.desired],
            "semantic": [s.model_dump(exclude_none=True) for s in self.semantic],
        }
        if "model_tape" in self.model_fields_set:
            data["model_tape"] = self.model_tape.model_dump()
        return data


@dataclass(frozen=True)
class ReplayCase:
    """A case folder on disk and its parsed case.yaml."""

    path: Path
    spec: CaseSpec

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def case_yaml(self) -> Path:
        return self.path / CASE_FILE

    @property
    def fixtures_dir(self) -> Path:
        return self.path / FIXTURES

    @property
    def input_path(self) -> Path:
        return self.fixtures_dir / "input.json"

    @property
    def source_trace_path(self) -> Path:
        return inside(self.path, self.spec.source.file, self.case_yaml)


def inside(folder: Path, relative: str, owner: Path) -> Path:
    """Resolve a path written in a case file; refuse one that leaves the folder."""
    try:
        root = folder.resolve()
        target = (folder / relative).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a loop of links
        raise CaseError(owner, f"path {relative!r} cannot be used: {exc}") from None
    if Path(relative).is_absolute() or (target != root and root not in target.parents):
        raise CaseError(owner, f"path {relative!r} leaves the case folder")
    return target
