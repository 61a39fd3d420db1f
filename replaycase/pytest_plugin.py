"""pytest plugin: `pytest cases/ --replaycase-runner CMD` runs each case.yaml as a test.

Collection happens only when --replaycase-runner is given, so the plugin stays inert in other
test suites. Each item replays its case with the same code as `replaycase replay`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replaycase", "replay agent regression cases")
    group.addoption("--replaycase-runner", dest="replaycase_runner", default=None,
                    metavar="CMD", help="Candidate runner command; collects case.yaml files.")
    group.addoption("--replaycase-timeout", dest="replaycase_timeout", type=float,
                    default=None, metavar="S", help="Seconds per case.")
    group.addoption("--replaycase-expect", dest="replaycase_expect", default="fixed",
                    choices=("fixed", "reproduced"), help="What every case must show.")
    group.addoption("--replaycase-evidence-dir", dest="replaycase_evidence_dir",
                    default=".replaycase/runs", metavar="DIR", help="Evidence folder.")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.name == "case.yaml" and parent.config.getoption("replaycase_runner"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    """A case.yaml: one test item."""

    def collect(self) -> list[CaseItem]:
        from .case import load_case
        from .errors import ReplaycaseError

        try:
            case = load_case(self.path.parent)
        except ReplaycaseError as exc:
            raise self.CollectError(str(exc)) from None
        return [CaseItem.from_parent(self, name=case.id, case=case)]


class CaseFailure(Exception):
    """A case that did not meet the expectation."""


class CaseItem(pytest.Item):
    """Replays one case against the runner given on the command line."""

    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from .replay.case_run import ReplayOptions, replay_case

        config = self.config
        options = ReplayOptions(runner_cmd=config.getoption("replaycase_runner"),
                                timeout_s=config.getoption("replaycase_timeout"),
                                evidence_root=Path(config.getoption("replaycase_evidence_dir")))
        result = replay_case(self.case, options)
        self.user_properties.append(("verdict", result.verdict))
        expect = config.getoption("replaycase_expect")
        if not result.passes(expect):
            raise CaseFailure(result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailure):
            return failure_table(excinfo.value.args[0])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"replaycase: {self.name}"


def failure_table(result: Any) -> str:
    """The verdict and every signature and assertion with expected and actual."""
    from .report.terminal import inert
    from .templating import short

    lines = [f"{result.case_id}: {result.verdict.upper()} "
             f"(observed failure reproduced: {'yes' if result.reproduced else 'no'})"]
    if result.runner.reason:
        lines.append(f"runner: {inert(result.runner.reason)}")
        if result.runner.stderr_tail:
            lines.append("stderr tail:")
            lines.extend("  " + inert(line) for line in result.runner.stderr_tail.splitlines())
    rows = [("", "kind", "entry", "expected", "actual")]
    for label, outcomes in (("signature", result.signatures), ("desired", result.assertions)):
        for o in outcomes:
            rows.append((o.outcome, label, o.key, short(o.expected, 40), short(o.actual, 40)))
    if len(rows) > 1:
        widths = [max(len(inert(r[i])) for r in rows) for i in range(5)]
        for row in rows:
            lines.append("  ".join(inert(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    if result.evidence_dir:
        lines.append(f"evidence: {result.evidence_dir}")
    return "\n".join(lines)
