"""Writing case.yaml: the schema comment, then the spec in a stable, reviewable layout."""

from __future__ import annotations

from typing import Any

import yaml

from .models import SCHEMA_COMMENT, CaseSpec


def dump_case_yaml(spec: CaseSpec) -> str:
    """case.yaml text: the schema comment lines (the first one points editors at
    ``../case.schema.json``, written by scaffold), then the spec in a stable layout."""
    data = spec.to_yaml_dict()
    for key in ("source", "scenario", "runner", "model_tape"):
        if key in data:
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
