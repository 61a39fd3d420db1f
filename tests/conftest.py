from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests run a fixed set of examples (a landing must not depend on luck);
# locally they explore new random examples on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

DATA = Path(__file__).parent / "data"
TRACES = DATA / "traces"


@pytest.fixture
def traces_dir() -> Path:
    return TRACES


SESSION_MARK = f"replaycase-tests-{os.getpid()}-{uuid.uuid4().hex}"


def _marked_processes() -> list[int]:
    """Live processes (not zombies) whose environment carries this session's mark."""
    needle = f"REPLAYCASE_TEST_SESSION={SESSION_MARK}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Every runner a test starts inherits a mark; at the end none may still be running."""
    os.environ["REPLAYCASE_TEST_SESSION"] = SESSION_MARK
    yield
    if not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + 5
    left = _marked_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _marked_processes()
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes started by tests still running: {left}"
