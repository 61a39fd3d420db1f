"""ReplayCase: the committed case folder and its case.yaml (DESIGN 3).

case.yaml is written by people, so it is read strictly: unknown keys are errors and every
error names the line. YAML is read with a safe loader that also refuses aliases (no alias
bombs), duplicate keys and non-standard tags.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._jsonio import DEFAULT_LIMITS, Limits, decode, read_bytes
from .._validation import loc_path
from ..assertions.catalogue import Assertion, SemanticCheck
from ..errors import CaseError, InputError, _one_line
from ._files import walk_case

CASE_SCHEMA = "replaycase/v1"
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


class CaseSpec(_Strict):
    """The contents of case.yaml."""

    schema_: str = Field(alias="schema", description=f"Always {CASE_SCHEMA!r}.")
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

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: str) -> str:
        if value == CASE_SCHEMA:
            return value
        if isinstance(value, str) and value.startswith("replaycase/v"):
            raise ValueError(f"{value!r} is newer than this replaycase reads ({CASE_SCHEMA}); "
                             "upgrade replaycase")
        raise ValueError(f"expected {CASE_SCHEMA!r}")

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


# -- YAML -----------------------------------------------------------------------------------


_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (about 15x faster), else PyYAML's."""


def _check_nodes(root: Any) -> None:
    """Refuse aliases (a node reached twice: the way alias bombs work) and duplicate keys."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed in case "
                                                   "files", node.start_mark)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if (key.tag, key.value) in keys and key.tag != "tag:yaml.org,2002:merge":
                        raise yaml.MarkedYAMLError(None, None, f"duplicate key {key.value!r}",
                                                   key.start_mark)
                    keys.add((key.tag, key.value))
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def parse_yaml(text: str, path: Path) -> tuple[Any, Any]:
    """(data, node tree) of a YAML document; errors name the line."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_nodes(node)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in str(exc):
            problem = "unsafe or unknown YAML tag " + _tag_of(str(exc))
        raise CaseError(path, f"{where}{problem}") from None
    except yaml.YAMLError as exc:
        raise CaseError(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise CaseError(path, "nesting too deep") from None
    return data, node


def _tag_of(message: str) -> str:
    match = re.search(r"tag '([^']*)'", message)
    return f"'{match.group(1)}'" if match else ""


def node_line(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    current = node
    line = current.start_mark.line + 1 if current is not None else None
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            match = next((v for k, v in current.value
                          if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if match is None:
                key = next((k for k, _ in current.value
                            if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
                return key.start_mark.line + 1 if key is not None else line
            current = match
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                return line
            current = current.value[part]
        else:
            continue
        line = current.start_mark.line + 1
    return line


def case_problems(data: Any, node: Any, path: Path) -> tuple[CaseSpec | None, list[str]]:
    """Validate case.yaml data: the spec, or every problem as 'line N: where: what'."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return None, [f"expected a mapping of case keys, got {kind}"]
    if "schema" not in data:
        return None, [f"line 1: missing mandatory key 'schema' (schema: {CASE_SCHEMA})"]
    try:
        return CaseSpec.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = _clean_loc(error["loc"])
            line = node_line(node, loc)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
            elif error["type"] == "missing":
                message = "missing key"
            where = f"line {line}: " if line else ""
            problems.append(_one_line(f"{where}{loc_path(loc)}: {message}"))
        return None, problems


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for part in loc:
        if part == "schema_":
            part = "schema"
        elif part == "not_":
            part = "not"
        if out and out[-1] == part:
            continue
        out.append(part)
    return tuple(out)


def load_case(folder: str | Path, limits: Limits = DEFAULT_LIMITS) -> ReplayCase:
    """Read a case folder (or its case.yaml); CaseError on the first problem.

    The folder is refused when ``walk_case`` finds anything lint would flag in it (a link out
    of the folder, a special file, a loop of links, folders nested too deep), and when its
    ``source.file`` leaves it: a replay never hands such a case to a runner.
    """
    folder = Path(folder)
    if folder.name == CASE_FILE and not folder.is_dir() and os.path.lexists(folder):
        folder = folder.parent
    case_yaml = folder / CASE_FILE
    if not folder.exists():
        raise CaseError(folder, "no such case folder")
    if not os.path.lexists(case_yaml):
        raise CaseError(folder, f"not a case folder (no {CASE_FILE})")
    problems = [f"{path}: {problem}" for path, problem in walk_case(folder).problems]
    if problems:
        raise CaseError(folder, problems[0] + _more(problems))
    text = read_case_text(case_yaml, limits)
    data, node = parse_yaml(text, case_yaml)
    spec, problems = case_problems(data, node, case_yaml)
    if spec is None:
        raise CaseError(case_yaml, problems[0] + _more(problems))
    inside(folder, spec.source.file, case_yaml)
    return ReplayCase(path=folder, spec=spec)


def _more(problems: list[str]) -> str:
    return f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""


def read_case_text(case_yaml: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """case.yaml as text, after the kind, size and encoding checks (a FIFO, a device or a
    file over 4 MB is refused before anything is read)."""
    try:
        return decode(read_bytes(case_yaml, min(_MAX_CASE_BYTES, limits.max_file_bytes)),
                      case_yaml)
    except CaseError:
        raise
    except InputError as exc:  # also TraceFormatError from decode: a case problem
        raise CaseError(case_yaml, exc.problem) from None


_MAX_CASE_BYTES = 4 * 1024 * 1024


def dump_case_yaml(spec: CaseSpec) -> str:
    """case.yaml text: the schema comment lines (the first one points editors at
    ``../case.schema.json``, written by scaffold), then the spec in a stable layout."""
    data = spec.to_yaml_dict()
    for key in ("source", "scenario", "runner"):
        data[key] = _Flow(data[key])
    data["tags"] = _FlowList(data["tags"])
    for key in ("observed_failure", "desired", "semantic"):
        data[key] = [{k: _flow_value(v) for k, v in entry.items()} for entry in data[key]]
    body = yaml.dump(data, Dumper=_CaseDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=4096)
    return SCHEMA_COMMENT + "\n" + body


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written in YAML flow style: {tool: x, min: 5}."""


class _FlowList(list):  # type: ignore[type-arg]
    """A list written in YAML flow style: [a, b]."""


class _CaseDumper(yaml.SafeDumper):
    pass


_LINE_BREAKS = ("\x85", "\u2028", "\u2029", "\ufeff")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> Any:
    # Unicode line breaks written plainly would read back as newlines: quote and escape them.
    style = '"' if any(c in value for c in _LINE_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CaseDumper.add_representer(str, _represent_str)
_CaseDumper.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_CaseDumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _flow_value(value: Any) -> Any:
    if isinstance(value, dict):
        if any(isinstance(v, (dict, list)) and v for v in value.values()):
            return {k: _flow_value(v) for k, v in value.items()}
        return _Flow(value)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return _FlowList(value)
        return [_flow_value(v) for v in value]
    return value


def discover_cases(paths: list[str | Path]) -> list[Path]:
    """Case folders under the given paths (a case folder, a case.yaml, or a tree), sorted.

    A case.yaml of any kind (a FIFO, a link) makes its folder a case, so that loading it
    says what is wrong with it instead of skipping it.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.name == CASE_FILE and os.path.lexists(path) and not path.is_dir():
            found.append(path.parent)
        elif os.path.lexists(path / CASE_FILE):
            found.append(path)
        elif path.is_dir():
            found.extend(_case_folders(path))
        elif not path.exists():
            raise CaseError(path, "no such file or folder")
        else:
            raise CaseError(path, f"not a case folder (no {CASE_FILE})")
    unique: list[Path] = []
    for folder in found:
        if folder not in unique:
            unique.append(folder)
    return unique


_SEARCH_DEPTH = 64
"""Folders deeper than this under a path given to discover_cases are not searched."""


def _case_folders(top: Path) -> list[Path]:
    """The case folders under ``top``, sorted. The tree is walked without following links
    and without entering a case folder (its contents are the case's, checked by lint and
    ``load_case``) or a ``.replaycase`` folder; an unreadable folder is skipped."""
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(top, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                subfolders = [Path(entry.path) for entry in listing
                              if entry.name != ".replaycase"
                              and entry.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for sub in subfolders:
            if os.path.lexists(sub / CASE_FILE):
                found.append(sub)
            elif depth + 1 < _SEARCH_DEPTH:
                stack.append((sub, depth + 1))
    return sorted(found)
