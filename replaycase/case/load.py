"""Reading a case folder: case.yaml is written by people, so it is read strictly and every
error names the line. YAML is read with a safe loader that also refuses aliases (no alias
bombs), duplicate keys and non-standard tags."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .._jsonio import DEFAULT_LIMITS, Limits, decode, read_bytes
from .._validation import loc_path
from ..errors import CaseError, InputError, _one_line
from ._files import walk_case
from .models import CASE_FILE, CASE_FORMAT, CaseSpec, ReplayCase, inside

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
        return None, [f"line 1: missing mandatory key 'schema' (schema: {CASE_FORMAT})"]
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
