"""Hypothesis on the case loader: random mutations of case.yaml and random bytes give a case
or replaycase's own error, never anything else; a written case reads back the same."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaycase.case import CaseSpec, dump_case_yaml, load_case
from replaycase.case.lint import lint_case
from replaycase.errors import ReplaycaseError

SEED = Path(__file__).parent.parent / "examples" / "runner-api" / "cases" / "tool-loop"
BASE: dict[str, Any] = yaml.safe_load((SEED / "case.yaml").read_text())

json_leaf = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(
    allow_nan=True, allow_infinity=True) | st.text(max_size=30)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                          max_leaves=12)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


PATHS = [p for p in _paths(BASE) if p]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["drop", "replace", "add"]))
            if action == "drop":
                del parent[path[-1]]
            elif action == "replace":
                parent[path[-1]] = draw(json_value)
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(json_value)
        except (KeyError, IndexError, TypeError):
            continue
    return data


def _load(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        folder.mkdir()
        target = folder / "case.yaml"
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
        try:
            load_case(folder)
        except ReplaycaseError as exc:
            assert "\n" not in str(exc)
        report = lint_case(folder)  # lint reports problems, it never raises
        assert all("\n" not in p.message for p in report.problems)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_case_yaml(data: dict[str, Any]) -> None:
    _load(yaml.safe_dump(data, sort_keys=False))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_random_bytes_as_case_yaml(blob: str | bytes) -> None:
    _load(blob)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \n\tab1")), max_size=80))
def test_yaml_punctuation_soup(text: str) -> None:
    _load("schema: replaycase/v1\n" + text)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40), st.lists(st.text(max_size=20), max_size=4),
       st.integers(1, 50))
def test_written_case_reads_back_the_same(title: str, tags: list[str], revision: int) -> None:
    spec = CaseSpec.model_validate({**BASE, "title": title, "tags": tags,
                                    "revision": revision})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        folder.mkdir()
        (folder / "case.yaml").write_text(dump_case_yaml(spec))
        again = load_case(folder).spec
    assert again.to_yaml_dict() == spec.to_yaml_dict()
