"""The tool calls a candidate asked the fixtures for that they do not hold (DESIGN 8, with the
runner API): read back from the run folder, the first of them is where the case diverged.

The file is the runner's: it is read like its logs (capped, never through a link, redacted
and rewritten), and one that is not what ``replaycase.runner`` writes is a runner fault,
said in one line.
"""

from __future__ import annotations

from pydantic import ValidationError

from .._jsonio import BOM, DEFAULT_LIMITS, Limits, loads
from ..errors import InputError
from ..model.fixture_miss import FixtureMiss
from ..results import DivergencePoint
from ..results.evidence_names import FIXTURE_MISSES
from .evidence import RunFolder

MAX_BYTES = 1024 * 1024
"""The largest file read: four times what the writer ever appends to."""


def fixture_divergence(run: RunFolder, limits: Limits = DEFAULT_LIMITS) -> DivergencePoint | None:
    """The first call the fixtures do not hold, as a replay result records it; None when the
    candidate asked for none. A file that cannot be read or is not made of records is one of
    the run's faults (a runner error)."""
    before = len(run.problems)
    text = run.read_log(FIXTURE_MISSES, MAX_BYTES, False)
    run.faults.extend(run.problems[before:])  # a link, FIFO or folder there: the runner's doing
    del run.problems[before:]
    if not text.strip():
        return None
    misses: list[FixtureMiss] = []
    path = run.folder.path / FIXTURE_MISSES
    for number, line in enumerate(text.removeprefix(BOM.decode()).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            misses.append(FixtureMiss.model_validate(loads(line, path, limits, line=number)))
        except (InputError, ValidationError, RecursionError):
            run.faults.append(f"{FIXTURE_MISSES}: line {number} is not a record of a tool call "
                              "the fixtures do not hold (the runner changed the file)")
            return None
    first = min(misses, key=lambda miss: miss.call)
    return DivergencePoint(source="tool_fixtures", message=first.message(), turn=first.call,
                           path=first.tool_name, recorded=first.recorded(),
                           received=first.received())
