"""Runner faults: whatever a candidate prints or outputs, the reports stay readable."""

from __future__ import annotations

import json
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from junitparser import JUnitXml
from typer.testing import CliRunner

from replaycase.cli import app
from replaycase.scaffolding.build import scaffold

DATA = Path(__file__).parent / "data" / "replaykit"

# Every class of character XML 1.0 forbids: C0 controls (but tab, LF, CR), U+FFFE, U+FFFF
# and lone surrogates; plus allowed neighbours that must survive (U+FFFD, U+10000, tab).
FORBIDDEN = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff",
             "\ud800", "\udfff"]
TEXT = "answer " + "".join(FORBIDDEN) + " end \ufffd\U00010000\t."

RUNNER = r"""
import json, os, sys
text = json.loads(sys.argv[1])
sys.stderr.buffer.write(text.encode("utf-8", "surrogatepass") + b"\n")
sys.stdout.buffer.write(text.encode("utf-8", "surrogatepass") + b"\n")
with open(os.environ["REPLAYCASE_OUTPUT_PATH"], "w", encoding="utf-8") as out:
    json.dump({"run_id": "c\uffff", "status": sys.argv[2], "final_output": text,
               "errors": [text] if sys.argv[2] == "error" else [],
               "tool_calls": [{"tool_name": "lookup_billing", "tool_args": {"q": text},
                               "tool_output": text, "is_error": False}]}, out)
sys.exit(int(sys.argv[3]))
"""


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    out = tmp_path / "cases" / "billing-loop"
    scaffold(DATA / "billing-loop.json", out)
    return out


@pytest.mark.parametrize(("status", "exit_code"), [("error", 0), ("success", 0),
                                                   ("error", 3)])
def test_junit_is_well_formed_whatever_the_candidate_prints(case_dir: Path, tmp_path: Path,
                                                           status: str,
                                                           exit_code: int) -> None:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    cmd = " ".join(shlex.quote(a) for a in (sys.executable, str(script), json.dumps(TEXT),
                                            status, str(exit_code)))
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(app, ["replay", str(case_dir), "--runner-cmd", cmd,
                                      "--evidence-dir", str(tmp_path / "runs"),
                                      "--junit", str(junit), "--no-redact"])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    tree = ET.parse(junit)  # well-formed, or this raises
    everything = "".join(tree.getroot().itertext()) + "".join(
        value for element in tree.iter() for value in element.attrib.values())
    assert not any(char in everything for char in FORBIDDEN)
    [case] = [case for suite in JUnitXml.fromfile(str(junit)) for case in suite]
    assert case.name == "billing-loop"
    if status == "error":
        [problem] = case.result
        assert "answer" in (problem.text or "")
        assert "\ufffd" in (problem.text or "")  # replaced, not dropped


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_each_forbidden_character_is_replaced_everywhere(tmp_path: Path, char: str) -> None:
    from replaycase.report.junit import write_junit
    from replaycase.results import Outcome, ReplayResult, ResultsDocument, RunnerInfo, summarize

    text = f"a{char}b"
    outcome = Outcome(key="final_output_contains", entry={}, outcome="failed", message=text,
                      expected=text, actual=text)
    result = ReplayResult(case_id="c", case_path=f"cases/{text}", verdict="runner_error",
                          assertions=[outcome], evidence_dir=text,
                          runner=RunnerInfo(cmd=text, reason=text, stderr_tail=text))
    failing = result.model_copy(update={"case_id": "d", "verdict": "failing"})
    document = ResultsDocument(results=[result, failing],
                               summary=summarize([result, failing], "fixed", 1.0, None))
    write_junit(document, tmp_path / "j.xml")
    root = ET.parse(tmp_path / "j.xml").getroot()
    values = [v for element in root.iter() for v in element.attrib.values()]
    written = "".join(root.itertext()) + "".join(values)
    assert char not in written
    assert "a\ufffdb" in written
