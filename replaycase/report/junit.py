"""JUnit XML: one testcase per case, read by GitLab, Jenkins and GitHub test reporters.

A case that meets the expectation passes. One that does not gets a ``failure`` (a desired
assertion failed, the failure reproduced, a flaky case under its pass rate; under
``--expect reproduced``: the failure did not reproduce); a runner that could not be judged
gets an ``error``. The ``message`` attribute names the failing entries on one line; the
element's text has every signature and assertion with expected and actual values. Cases that
``--fail-fast`` or an interrupt did not let finish are ``skipped``; case folders refused as
invalid are an ``error`` each.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .._safe_files import write_output
from .._text import clip
from ..results import Expect, Outcome, ReplayResult, ResultsDocument
from .terminal import not_run_reason

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 forbids: C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF."""
_MESSAGE_CHARS = 1000


def _clean(text: str) -> str:
    """Text any XML parser reads: each forbidden character becomes U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _line(outcome: Outcome, label: str) -> str:
    return (f"[{outcome.outcome}] {label} {outcome.key}: {outcome.message} (expected "
            f"{outcome.expected!r}, actual {outcome.actual!r})")


def _details(result: ReplayResult) -> str:
    lines = [f"verdict: {result.verdict}", f"observed failure reproduced: "
             f"{'yes' if result.reproduced else 'no'}"]
    if result.repeats > 1:
        lines.append(f"runs: {result.repeats}, pass rate {result.pass_rate or 0:.2f}: "
                     + ", ".join(run.verdict for run in result.repeat_runs))
        if result.verdict == "flaky":
            lines.append("details of the first run that did not pass:")
    for label, outcomes in (("signature", result.signatures), ("desired", result.assertions)):
        lines.extend(_line(o, label) for o in outcomes)
    if result.runner.reason:
        lines.append(f"runner: {result.runner.reason}")
    if result.runner.stderr_tail:
        lines.append("stderr tail:\n" + result.runner.stderr_tail)
    if result.evidence_dir:
        lines.append(f"evidence: {result.evidence_dir}")
    if result.evidence_error:
        lines.append(f"evidence error: {result.evidence_error}")
    return _clean("\n".join(lines))


def failure_message(result: ReplayResult, expect: Expect) -> str:
    """One line: the verdict and the entries that made the case fail."""
    head = f"{result.verdict} (expected {expect})"
    if result.verdict == "diverged":  # what it judged was off the recording: say only where
        message = result.divergence.message if result.divergence else "left the recording"
        return _clean(" ".join(clip(f"diverged: {message}", _MESSAGE_CHARS).split()))
    if result.verdict == "flaky":
        passed = sum(1 for run in result.repeat_runs if run.passed)
        head = f"flaky: {passed}/{result.repeats} runs met the expectation ({expect})"
    parts: list[str] = []
    if expect == "reproduced":
        parts = [f"signature no longer holds: {o.key}: {o.message}"
                 for o in result.signatures if not o.passed]
    else:
        if result.reproduced:
            parts.append("observed failure reproduced: "
                         + ", ".join(o.key for o in result.signatures))
        parts += [f"desired {o.key} {o.outcome}: {o.message}"
                  for o in result.assertions if o.outcome in ("failed", "error")]
    text = "; ".join([head, *parts])
    if len(text) > _MESSAGE_CHARS:
        text = text[: _MESSAGE_CHARS - 1] + "…"
    return _clean(" ".join(text.split()))


def to_junit(document: ResultsDocument) -> ET.ElementTree:
    """The results as a JUnit <testsuites> tree."""
    summary = document.summary
    expect: Expect = "reproduced" if summary.expect == "reproduced" else "fixed"
    suites = ET.Element("testsuites", name="replaycase")
    suite = ET.SubElement(suites, "testsuite", name="replaycase")
    properties = ET.SubElement(suite, "properties")
    for name, value in (("expect", expect), ("repeat", summary.repeat),
                        ("min_pass_rate", summary.min_pass_rate), ("shard", summary.shard)):
        if value is not None:
            ET.SubElement(properties, "property", name=name, value=_clean(str(value)))
    failures = errors = 0
    for result in document.results:
        case_id = _clean(result.case_id)
        case = ET.SubElement(suite, "testcase", classname="replaycase." + case_id,
                             name=case_id, file=_clean(result.case_path) + "/case.yaml",
                             time=f"{result.duration_ms / 1000:.3f}")
        if result.verdict == "runner_error":
            errors += 1
            node = ET.SubElement(case, "error", type="runner_error", message=_clean(
                " ".join(f"runner error: {result.runner.reason or 'error'}".split())))
            node.text = _details(result)
        elif not result.passes(expect, summary.min_pass_rate):
            failures += 1
            node = ET.SubElement(case, "failure", type=result.verdict,
                                 message=failure_message(result, expect))
            node.text = _details(result)
        out = [f"evidence: {result.evidence_dir}"] if result.evidence_dir else []
        if result.evidence_error:
            out.append(f"evidence error: {result.evidence_error}")
        if result.verdict == "flaky" and result.passes(expect, summary.min_pass_rate):
            out.append(f"flaky: pass rate {result.pass_rate or 0:.2f} is at or above "
                       f"--min-pass-rate {summary.min_pass_rate:g}")
        if out:
            ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    skipped = _clean(f"not run: {not_run_reason(summary)}" if summary.incomplete
                     else "not run: --fail-fast stopped the replay")
    for case_id in map(_clean, summary.not_run_ids):
        case = ET.SubElement(suite, "testcase", classname="replaycase." + case_id,
                             name=case_id, time="0.000")
        ET.SubElement(case, "skipped", message=skipped)
    for invalid in summary.invalid_cases:
        errors += 1
        case = ET.SubElement(suite, "testcase", classname="replaycase.invalid",
                             name=_clean(invalid.path), file=_clean(invalid.path), time="0.000")
        ET.SubElement(case, "error", type="invalid_case",
                      message=_clean(" ".join(invalid.error.split())))
    tests = len(document.results) + len(summary.not_run_ids) + len(summary.invalid_cases)
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors),
              "skipped": str(len(summary.not_run_ids)),
              "time": f"{summary.duration_ms / 1000:.3f}"}
    for element in (suites, suite):
        for key, value in counts.items():
            element.set(key, value)
    return ET.ElementTree(suites)


def write_junit(document: ResultsDocument, path: Path) -> None:
    """Write the JUnit XML file, whole or not at all (a link or folder there is refused)."""
    tree = to_junit(document)
    ET.indent(tree)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    write_output(path, buffer.getvalue())
