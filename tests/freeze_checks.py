"""A fake tool store for the framework hooks of ``--freeze-tools`` (replaycase/freeze/frameworks).

``FakeStore`` answers ``frozen_call(tool, arguments)`` from a dict keyed by tool name and
canonical JSON arguments, as the real store does: the recorded output, a ``RecordedToolError``
for a recorded error, ``NotRecorded`` for anything else. ``SUBPROCESS_PRELUDE`` is the same in a
child interpreter, where the hooks are installed before the framework is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from replaycase.freeze.frameworks import _common


class RecordedToolError(Exception):
    """Stand-in for the store's recorded error (the hooks match it by class name)."""


class NotRecorded(Exception):
    """Stand-in for the store's divergence: a call the fixtures do not hold."""


def key(tool: str, arguments: Any) -> str:
    return tool + " " + json.dumps(arguments, sort_keys=True, separators=(",", ":"))


class FakeStore:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, tool: str, arguments: Any) -> Any:
        self.calls.append((tool, arguments))
        answer = self.answers.get(key(tool, arguments), NotRecorded(f"not recorded: {tool}"))
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the hooks inactive after the test (they stay patched, passing calls through)."""
    yield
    _common.configure(None, None)


SUBPROCESS_PRELUDE = '''
import json, sys
from replaycase.freeze.frameworks import install_all, FrozenToolDivergence

class RecordedToolError(Exception):
    pass

ANSWERS = json.loads(sys.argv[1])

def frozen_call(tool, arguments):
    k = tool + " " + json.dumps(arguments, sort_keys=True, separators=(",", ":"))
    if k not in ANSWERS:
        raise LookupError("not recorded: " + k)
    kind, value = ANSWERS[k]
    if kind == "error":
        raise RecordedToolError(value)
    return value

installed = install_all(frozen_call)
assert not any(m.split(".")[0] in sys.modules for m in MODULES), "framework imported early"
'''


def run_child(modules: list[str], body: str, answers: dict[str, Any]) -> dict[str, Any]:
    """Run ``body`` after the prelude in a child Python; return the JSON it prints last."""
    code = f"MODULES = {modules!r}\n" + SUBPROCESS_PRELUDE + body
    env = {**os.environ, "OPENAI_AGENTS_DISABLE_TRACING": "1", "LANGSMITH_TRACING": "false"}
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(answers)],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
