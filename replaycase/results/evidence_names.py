"""The file names of a replay's evidence folder: the one list, for ``replay.evidence`` that
writes the folder and for ``diff`` and ``report`` that read it."""

from ..model.fixture_miss import FIXTURE_MISSES as _FIXTURE_MISSES

RUNNER_OUTPUT = "runner-output.json"
"""The run the runner writes (its OUTPUT_PATH)."""
CANDIDATE_RUN = "candidate-run.json"
"""That run as replaycase read it, redacted."""
SUMMARY = "summary.md"
RESULT = "result.json"
STDOUT_LOG = "stdout.log"
STDERR_LOG = "stderr.log"
MODEL_LOG = "model-log.jsonl"
"""Every request the loopback model server got, and its answer (redacted)."""
FIXTURE_MISSES = _FIXTURE_MISSES
"""The tool calls the candidate asked the fixtures for that they do not hold, one JSON record
a line (written by ``replaycase.runner``, inside the runner; redacted when read)."""
