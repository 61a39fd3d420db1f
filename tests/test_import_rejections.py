"""An unsupported file's rejection says what is wrong, per format: it never claims a key is
missing when the key is present (issue 17, defect 12)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from replaycase.errors import TraceFormatError
from replaycase.importers import load_trace


def _reasons(tmp_path: Path, value: Any) -> dict[str, str]:
    """Each format's reason for refusing ``value``, by format name."""
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(value))
    with pytest.raises(TraceFormatError, match="not a supported trace format") as caught:
        load_trace(path)
    tried = str(caught.value).split("(tried ", 1)[1].rstrip(")")
    return dict(part.split(": ", 1) for part in re.split(r"; (?=[a-z-]+: )", tried))


CASES = [
    # (value, format, what its reason must say)
    ({"schema": "other/v1"}, "native", "\"schema\" is 'other/v1', not \"replaycase.trace/v1\""),
    ([{"status": "ok", "events": []}, {"id": 1}], "replaykit", 'run 1 has no "status" key'),
    ({"type": "step_error"}, "replayt", 'first record: no "run_id" key'),
    ({"type": 3, "run_id": "r"}, "replayt", 'first record: "type" is a number, expected a string'),
    ({"data": "spans"}, "openai-agents",
     '"data" is a string, expected a list of trace and span objects'),
    ({"data": []}, "openai-agents", '"data" is an empty list'),
    ({"run_type": "chain"}, "langsmith", 'no "child_runs" key (or "id" and "inputs")'),
    ({"run_type": "chain", "child_runs": None}, "langsmith",
     '"child_runs" is null, expected a list (or "id" and "inputs")'),
    ({"messages": "hello"}, "transcript", '"messages" is a string, expected a list'),
]


@pytest.mark.parametrize(("value", "name", "says"), CASES)
def test_a_present_key_is_never_called_missing(tmp_path: Path, value: Any, name: str,
                                               says: str) -> None:
    reasons = _reasons(tmp_path, value)
    assert reasons[name] == says
    items = value if isinstance(value, list) else [value]
    present = set.intersection(*(set(item) for item in items))  # in every record
    for format_name, reason in reasons.items():
        for key in present:
            assert f'no "{key}"' not in reason, (format_name, reason)
            assert not re.search(rf'no [^;]*"{key}" key', reason), (format_name, reason)


def test_missing_keys_are_still_named(tmp_path: Path) -> None:
    reasons = _reasons(tmp_path, {"hello": 1})
    assert reasons["replayt"] == 'first record: no "type" and no "run_id" key'
    assert reasons["openai-agents"] == 'no "data" key'
    assert reasons["langsmith"] == 'no "run_type" and no "child_runs" key (or "id" and "inputs")'
    assert reasons["replaykit"] == 'no "status" key'
    assert reasons["native"] == 'no "schema": "replaycase.trace/v1" key'
