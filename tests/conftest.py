from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
TRACES = DATA / "traces"


@pytest.fixture
def traces_dir() -> Path:
    return TRACES
