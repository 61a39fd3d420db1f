"""Checks shared by the importer test modules: malformed files, in-memory fuzzing, mutations."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from replaycase.errors import ReplaycaseError
from replaycase.importers import load_trace
from replaycase.importers.base import Importer, TraceDocument
from replaycase.model import TraceRun


def assert_malformed(path: Path, content: Any, fmt: str, fragment: str) -> None:
    """Loading ``content`` with ``fmt`` fails on one line naming the file and the problem."""
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ReplaycaseError) as info:
        load_trace(path, format=fmt)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    assert fragment in message


def import_in_memory(importer: Importer, value: Any) -> None:
    """Check and load a JSON value in memory: only replaycase's own errors may escape."""
    doc = TraceDocument(path=Path("fuzz.json"), kind="json", value=value, first=value)
    importer.check(doc)
    try:
        runs = importer.load(doc)
    except ReplaycaseError as exc:
        assert "\n" not in str(exc)
        return
    for run in runs:
        assert_round_trip(run)


def assert_round_trip(run: TraceRun) -> None:
    """The run's native JSON text loads back to an equal run."""
    assert TraceRun.model_validate_json(run.to_json()).model_dump() == run.model_dump()


def json_slots(value: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) inside a JSON value."""
    if isinstance(value, dict):
        for key in list(value):
            yield value, key
            yield from json_slots(value[key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from json_slots(item)


def mutate(draw: st.DrawFn, value: Any, values: st.SearchStrategy[Any]) -> Any:
    """A deep copy of a JSON ``value`` with one to four slots dropped or given a drawn value."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, 4))):
        slots = list(json_slots(value))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(values)
    return value
