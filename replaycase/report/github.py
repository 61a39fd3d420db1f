"""GitHub Actions annotations: a workflow command on the case.yaml line of each failure.

When ``GITHUB_ACTIONS=true`` every case that did not meet the expectation gets one
``::error file=…,line=…,title=…::…`` line per failing entry: each observed signature of a
failure that reproduced, else each desired assertion that failed (or could not be evaluated),
or under ``--expect reproduced`` each signature that no longer holds. A runner error is
annotated on the ``runner`` key (or line 1). A flaky case that passed by ``--min-pass-rate``
gets a warning.

Pure: the case.yaml lines come from the enrich step (:func:`.view.case_yaml_lines`), never
from a file read here.
"""

# No `from __future__ import annotations`: its name is the one of `annotations` below.
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..results import Expect, Outcome, ReplayResult, ResultsDocument
from .view_models import CaseYamlLines


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    """Whether this process runs as a GitHub Actions step."""
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """A workflow command's message, escaped: %, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped: also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, file: str, line: int, title: str, message: str) -> str:
    """One ``::error file=…,line=…,title=…::message`` line."""
    props = ",".join(f"{k}={escape_property(v)}" for k, v in
                     (("file", file), ("line", str(line)), ("title", title)))
    return f"::{level} {props}::{escape_data(message)}"


def annotated(document: ResultsDocument) -> list[ReplayResult]:
    """The results that get an annotation: those that did not pass, and the flaky ones."""
    summary = document.summary
    return [result for result in document.results
            if result.verdict == "flaky"
            or not result.passes(_expect(document), summary.min_pass_rate)]


def annotations(document: ResultsDocument, cases: Mapping[str, CaseYamlLines],
                root: Path | None = None) -> list[str]:
    """The workflow commands for every case of ``document`` that did not pass; ``cases``:
    the case.yaml lines of those (and of the invalid cases), by case folder."""
    summary = document.summary
    expect = _expect(document)
    lines: list[str] = []
    for result in annotated(document):
        passed = result.passes(expect, summary.min_pass_rate)
        locator = cases[result.case_path]
        file = _display_path(locator.path, root)
        title = result.case_id + (f" ({result.verdict} {_rate(result)})"
                                  if result.verdict == "flaky" else f" ({result.verdict})")
        if passed:
            lines.append(command("warning", file, locator.line(("id",)), title,
                                 f"flaky: passed {_rate(result)} of the runs, at or above "
                                 f"--min-pass-rate {summary.min_pass_rate:g}"))
            continue
        for loc, message in _failures(result, expect):
            lines.append(command("error", file, locator.line(loc), title, message))
    for invalid in summary.invalid_cases:
        lines.append(command("error", _display_path(cases[invalid.path].path, root), 1,
                             "invalid case (not run)", invalid.error))
    return lines


def _expect(document: ResultsDocument) -> Expect:
    return "reproduced" if document.summary.expect == "reproduced" else "fixed"


def _failures(result: ReplayResult, expect: Expect) -> list[tuple[tuple[Any, ...], str]]:
    """(where in case.yaml, what) for each entry to annotate."""
    prefix = f"flaky ({_rate(result)} runs passed); a failing run: " \
        if result.verdict == "flaky" else ""
    if result.verdict == "diverged":
        message = result.divergence.message if result.divergence else "left the recording"
        return [(("id",), f"diverged: {message} (record the new behaviour with "
                          "`replaycase record`, or fix the candidate)")]
    if result.verdict == "runner_error" or (not result.signatures and not result.assertions):
        return [(("runner",), prefix + f"runner error: {result.runner.reason or 'error'}")]
    found: list[tuple[tuple[Any, ...], str]] = []
    if expect == "reproduced":
        for i, outcome in enumerate(result.signatures):
            if not outcome.passed:
                found.append((("observed_failure", i),
                              prefix + f"observed failure no longer holds: {_say(outcome)}"))
        return found or [(("observed_failure",), prefix + f"verdict {result.verdict}")]
    if result.reproduced:  # the desired assertions then fail as a consequence: not repeated
        return [(("observed_failure", i), prefix + f"observed failure reproduced: {_say(o)}")
                for i, o in enumerate(result.signatures)]
    for i, outcome in enumerate(result.assertions):
        if outcome.outcome in ("failed", "error"):
            found.append((("desired", i), prefix + f"desired assertion failed: {_say(outcome)}"))
    return found or [(("desired",), prefix + f"verdict {result.verdict}")]


def _say(outcome: Outcome) -> str:
    return f"{outcome.key}: {outcome.message}"


def _rate(result: ReplayResult) -> str:
    passed = sum(1 for run in result.repeat_runs if run.passed)
    return f"{passed}/{result.repeats}"


def _display_path(path: Path, root: Path | None) -> str:
    """The path relative to the workspace (GitHub wants repository-relative paths)."""
    base = (root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()

