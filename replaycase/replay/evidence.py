"""The evidence folder of one replay: result.json, summary.md, the runner's files."""

from __future__ import annotations

from pathlib import Path

from ..model import TraceRun
from ..results import ReplayResult
from ..templating import render

CANDIDATE_RUN = "candidate-run.json"


def write_evidence(run_dir: Path, result: ReplayResult, candidate: TraceRun | None) -> None:
    """Write result.json and summary.md (and the normalized candidate run) into run_dir."""
    (run_dir / "result.json").write_text(result.model_dump_json(indent=2) + "\n",
                                         encoding="utf-8")
    if candidate is not None:
        (run_dir / CANDIDATE_RUN).write_text(candidate.to_json(), encoding="utf-8")
    (run_dir / "summary.md").write_text(render("summary.md.j2", result=result),
                                        encoding="utf-8")
