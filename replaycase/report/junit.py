"""JUnit XML: one testcase per case; failure when it does not meet the expectation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import ReplayResult, ResultsDocument

_INVALID_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _clean(text: str) -> str:
    return text.translate(_INVALID_XML)


def _details(result: ReplayResult) -> str:
    lines = [f"verdict: {result.verdict}", f"observed failure reproduced: "
             f"{'yes' if result.reproduced else 'no'}"]
    for label, outcomes in (("signature", result.signatures), ("desired", result.assertions)):
        for o in outcomes:
            lines.append(f"[{o.outcome}] {label} {o.key}: {o.message} (expected {o.expected!r}, "
                         f"actual {o.actual!r})")
    if result.runner.reason:
        lines.append(f"runner: {result.runner.reason}")
    if result.runner.stderr_tail:
        lines.append("stderr tail:\n" + result.runner.stderr_tail)
    return _clean("\n".join(lines))


def to_junit(document: ResultsDocument) -> ET.ElementTree:
    """The results as a JUnit <testsuites> tree."""
    expect = document.summary.expect
    suites = ET.Element("testsuites", name="replaycase")
    suite = ET.SubElement(suites, "testsuite", name="replaycase",
                          tests=str(len(document.results)),
                          time=f"{document.summary.duration_ms / 1000:.3f}")
    failures = errors = 0
    for result in document.results:
        case = ET.SubElement(suite, "testcase", classname="replaycase." + result.case_id,
                             name=result.case_id, file=result.case_path + "/case.yaml",
                             time=f"{result.duration_ms / 1000:.3f}")
        if result.verdict == "runner_error":
            errors += 1
            node = ET.SubElement(case, "error", type="runner_error",
                                 message=_clean(result.runner.reason or "runner error"))
            node.text = _details(result)
        elif not result.passes("reproduced" if expect == "reproduced" else "fixed"):
            failures += 1
            node = ET.SubElement(case, "failure", type=result.verdict,
                                 message=_clean(f"{result.case_id}: {result.verdict} (expected "
                                                f"{expect})"))
            node.text = _details(result)
        if result.evidence_dir:
            ET.SubElement(case, "system-out").text = _clean(f"evidence: {result.evidence_dir}")
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suites.set("tests", str(len(document.results)))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    return ET.ElementTree(suites)


def write_junit(document: ResultsDocument, path: Path) -> None:
    """Write the JUnit XML file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = to_junit(document)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
