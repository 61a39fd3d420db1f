"""The evidence folder of one replay: result.json, summary.md, the runner's files."""

from __future__ import annotations

from pathlib import Path

from ..model import TraceRun
from ..redacting import redact_model
from ..results import ReplayResult
from ..scaffold.redact import Redactor
from ..templating import render

CANDIDATE_RUN = "candidate-run.json"


REDACTED_FILES = ("runner-output.json", "stdout.log", "stderr.log")


def redact_evidence(run_dir: Path, result: ReplayResult, candidate: TraceRun | None,
                    redactor: Redactor) -> tuple[ReplayResult, TraceRun | None]:
    """Redact the runner's files in place, and the result and candidate run before they are
    written: evidence folders get uploaded as CI artifacts, so secrets stop here too."""
    for name in REDACTED_FILES:
        path = run_dir / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        cleaned = redactor.redact_text(text)
        if cleaned != text:
            path.write_text(cleaned, encoding="utf-8")
    if candidate is not None:
        candidate = redact_model(candidate, redactor)
    return redact_model(result, redactor), candidate


def write_evidence(run_dir: Path, result: ReplayResult, candidate: TraceRun | None) -> None:
    """Write result.json and summary.md (and the normalized candidate run) into run_dir."""
    (run_dir / "result.json").write_text(result.model_dump_json(indent=2) + "\n",
                                         encoding="utf-8")
    if candidate is not None:
        (run_dir / CANDIDATE_RUN).write_text(candidate.to_json(), encoding="utf-8")
    (run_dir / "summary.md").write_text(render("summary.md.j2", result=result),
                                        encoding="utf-8")
