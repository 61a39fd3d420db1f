"""The evidence folder of one replay: result.json, summary.md, the runner's files."""

from __future__ import annotations

from pathlib import Path

from ..model import TraceRun
from ..redacting import redact_model, redact_run
from ..results import ReplayResult
from ..scaffold.redact import Redactor
from ..templating import render

CANDIDATE_RUN = "candidate-run.json"


REDACTED_FILES = ("runner-output.json", "stdout.log", "stderr.log")


def redact_evidence(run_dir: Path, result: ReplayResult, candidate: TraceRun | None,
                    redactor: Redactor) -> tuple[ReplayResult, str | None]:
    """Redact the runner's files in place, and the result and the candidate run's native
    JSON text before they are written: evidence folders get uploaded as CI artifacts, so
    secrets stop here too."""
    for name in REDACTED_FILES:
        path = run_dir / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        cleaned = redactor.redact_text(text)
        if cleaned != text:
            path.write_text(cleaned, encoding="utf-8")
    candidate_text = redact_run(candidate, redactor)[1] if candidate is not None else None
    return redact_model(result, redactor), candidate_text


def write_evidence(run_dir: Path, result: ReplayResult, candidate_text: str | None) -> None:
    """Write result.json and summary.md (and the candidate run's native JSON text) into
    run_dir."""
    (run_dir / "result.json").write_text(result.model_dump_json(indent=2) + "\n",
                                         encoding="utf-8")
    if candidate_text is not None:
        (run_dir / CANDIDATE_RUN).write_text(candidate_text, encoding="utf-8")
    (run_dir / "summary.md").write_text(render("summary.md.j2", result=result),
                                        encoding="utf-8")
