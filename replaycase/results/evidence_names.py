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
FROZEN_TOOLS = "frozen-tools.jsonl"
"""With --freeze-tools: every tool call the runner's frozen tools were served, one JSON record
a line (written inside the runner by ``replaycase.freeze``)."""
FREEZE_LOADED = "freeze-loaded.jsonl"
"""With --freeze-tools or --offline: one record a runner Python process that loaded the
freeze (its pid, argv, the tools frozen); none at all is a runner error."""
OFFLINE_REFUSALS = "offline-refusals.jsonl"
"""With --offline: every connection refused (host, port, pid)."""
