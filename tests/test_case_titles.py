"""A case's title is a sentence: the agent, then what its run did (issue 18): every catalogue
kind has a phrase (``assertions/describe.py``), and scaffold titles the committed cases and the
traces of tests/data/traces with one, never a Python dict or a regex."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from replaycase.assertions import REGISTRY, parse_entry
from replaycase.assertions.describe import describe
from replaycase.cli import app
from replaycase.errors import RunChoiceError, TraceFormatError
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

REPO = Path(__file__).parent.parent
TRACES = REPO / "tests" / "data" / "traces"
WRONG_TOOL = REPO / "cases" / "wrong-tool" / "source-trace.json"


@pytest.mark.parametrize(("text", "phrase"), [
    ("tool_called: issue_refund", "called issue_refund"),
    ("tool_not_called: issue_refund", "did not call issue_refund"),
    ("not: {tool_called: issue_refund}", "did not call issue_refund"),
    ("not: {tool_not_called: issue_refund}", "called issue_refund"),
    ("not: {not: {tool_called: x}}", "called x"),
    ("final_output_contains: refunded", 'answered with "refunded"'),
    ("not: {final_output_contains: refunded}", 'did not answer with "refunded"'),
    ("final_output_matches: '(?i)refund'", "answered matching /(?i)refund/"),
    ("final_output_equals: {value: [1, 2], ignore_order: true}",
     'answered exactly "[1, 2]" in any order'),
    ("final_output_exists: false", "did not give a final answer"),
    ("not: {final_output_exists: false}", "gave a final answer"),
    ("output_field: {path: a.b, contains: x}", 'answered with a.b containing "x"'),
    ("output_field: {path: total, equals: 12}", "answered with total = 12"),
    ("status_is: error", "ended with status error"),
    ("not: {status_is: success}", "did not end with status success"),
    ("error_matches: 'max turns'", "raised an error matching /max turns/"),
    ("no_errors: true", "did not have errors"),
    ("no_errors: false", "had errors"),
    ("repeated_tool_call: {tool: lookup_billing, min: 3}",
     "called lookup_billing at least 3 times with identical args"),
    ("repeated_tool_call: {tool: lookup_billing, max: 2}",
     "made at most 2 identical calls to lookup_billing"),
    ("repeated_tool_call: {min: 3}", "called a tool at least 3 times with identical args"),
    ("tool_call_count: {tool: lookup_billing, equals: 1}", "called lookup_billing exactly 1 time"),
    ("tool_call_count: {tool: lookup_billing, min: 2, max: 4}",
     "called lookup_billing 2 to 4 times"),
    ("tool_call_count: {max: 6}", "made at most 6 tool calls"),
    ("max_tool_calls: 5", "made at most 5 tool calls"),
    ("tool_error_count: {tool: kb, min: 2}", "got at least 2 tool errors from kb"),
    ("tool_args: {tool: issue_refund, args: {amount: 12.0}}",
     'called issue_refund with args including {"amount": 12.0}'),
    ("tool_args: {tool: t, args: {id: '^C-'}, match: regex}",
     'called t with args matching {"id": "^C-"}'),
    ("tool_sequence: [lookup_billing, issue_refund]",
     "called lookup_billing → issue_refund in order"),
    ("tool_sequence: {tools: [a, b], mode: strict}", "called a → b exactly"),
    ("llm_call_count: {min: 3}", "made at least 3 model calls"),
    ("max_tokens: 4000", "used at most 4000 tokens"),
    ("max_cost_usd: 0.05", "cost at most $0.05"),
    ("max_duration_ms: 30000", "took at most 30000 ms"),
    ("state_visited: escalate", "visited state escalate"),
    ("state_sequence: [triage, escalate]", "went through states triage → escalate in order"),
    ("failed_in_state: think", "failed in state think"),
    ("approval_requested: true", "asked for approval"),
    ("approval_requested: issue_refund", "asked for approval of issue_refund"),
    ("approval_requested: false", "did not ask for approval"),
    ("all_of: [{tool_called: a}, {not: {tool_called: b}}]", "called a and did not call b"),
    ("any_of: [{tool_called: a}, {status_is: success}]",
     "called a or ended with status success"),
    ("not: {all_of: [{tool_called: a}, {tool_called: b}]}",
     "did not do all of: called a; called b"),
    ("not: {any_of: [{tool_called: a}, {tool_called: b}]}", "did none of: called a; called b"),
])
def test_an_entry_reads_as_a_phrase(text: str, phrase: str) -> None:
    entry = parse_entry(yaml.safe_load(text))
    assert describe(entry) == phrase
    assert describe(entry.to_yaml_dict()) == phrase


def test_every_catalogue_kind_has_its_own_phrase() -> None:
    samples = {"tool_called": "x", "tool_not_called": "x", "max_tool_calls": 1,
               "final_output_contains": "x", "final_output_matches": "x", "error_matches": "x",
               "status_is": "error", "final_output_exists": True, "no_errors": True,
               "max_tokens": 1, "max_cost_usd": 1.0, "max_duration_ms": 1.0,
               "state_visited": "s", "failed_in_state": "s", "approval_requested": True,
               "tool_call_count": {"tool": "x", "min": 1}, "tool_error_count": {"min": 1},
               "llm_call_count": {"min": 1}, "repeated_tool_call": {"min": 2},
               "tool_args": {"tool": "x", "args": {}}, "tool_sequence": ["x"],
               "state_sequence": ["s"], "final_output_equals": "x",
               "output_field": {"path": "a", "equals": 1},
               "not": {"tool_called": "x"}, "all_of": [{"tool_called": "x"}],
               "any_of": [{"tool_called": "x"}]}
    assert set(REGISTRY) <= set(samples), "a new kind: give it a phrase and a sample here"
    for key in REGISTRY:
        phrase = describe(parse_entry({key: samples[key]}))
        assert f"{key}:" not in phrase and "{'" not in phrase, (key, phrase)


@pytest.mark.parametrize(("case", "title"), [
    ("wrong-tool", "support_agent called issue_refund"),
    ("tool-loop", "support_agent called lookup_billing at least 4 times with identical args"),
    ("tool-error-unhandled", 'support_agent failed with error "kb-service unavailable (503)"'),
])
def test_the_committed_cases_get_sentences(tmp_path: Path, case: str, title: str) -> None:
    """What re-scaffolding cases/ gives (the committed titles predate this)."""
    spec = yaml.safe_load((REPO / "cases" / case / "case.yaml").read_text(encoding="utf-8"))
    given = [yaml.safe_dump(e, default_flow_style=True).strip()
             for e in spec["observed_failure"] if "why" not in e]
    scaffold(REPO / "cases" / case / "source-trace.json", tmp_path / case,
             ScaffoldOptions(observed=given))
    written = yaml.safe_load((tmp_path / case / "case.yaml").read_text(encoding="utf-8"))
    assert written["title"] == title


@pytest.mark.parametrize(("observed", "title"), [
    (["tool_called: issue_refund"], "support_agent called issue_refund"),
    (["final_output_contains: refunded"], 'support_agent answered with "refunded"'),
    (["tool_args: {tool: issue_refund, args: {amount: 12.0}}"],
     'support_agent called issue_refund with args including {"amount": 12.0}'),
    (["tool_sequence: [lookup_billing, issue_refund]", "tool_called: issue_refund"],
     "support_agent called issue_refund"),  # the most telling kind comes first
    (["not: {tool_not_called: issue_refund}"], "support_agent called issue_refund"),
    (["max_tool_calls: 1"], None),  # does not hold: refused
])
def test_the_cli_titles_an_observed_failure(tmp_path: Path, observed: list[str],
                                            title: str | None) -> None:
    out = tmp_path / "case"
    args = ["scaffold", str(WRONG_TOOL), "--out", str(out)]
    for text in observed:
        args += ["--observed", text]
    done = CliRunner().invoke(app, args)
    if title is None:
        assert done.exit_code == 2 and not out.exists()
        return
    assert done.exit_code == 0, done.output
    spec = yaml.safe_load((out / "case.yaml").read_text(encoding="utf-8"))
    assert spec["title"] == title
    assert f"# {title}" in (out / "notes.md").read_text(encoding="utf-8")


TRACE_FILES = sorted(p for p in TRACES.rglob("*") if p.is_file() and p.suffix in (
    ".json", ".jsonl", ".multipart") and "golden" not in p.parts)


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.relative_to(TRACES).as_posix())
def test_every_failed_trace_is_titled_with_a_sentence(tmp_path: Path, path: Path) -> None:
    try:
        reports = scaffold(path, tmp_path / "out", ScaffoldOptions(all_runs=True))
    except RunChoiceError:
        pytest.skip("no failed run to scaffold")
    except TraceFormatError as exc:
        assert "no spans" in str(exc)  # OTLP logs without their spans
        pytest.skip("log records alone")
    for report in reports:
        spec = yaml.safe_load((report.path / "case.yaml").read_text(encoding="utf-8"))
        title = spec["title"]
        said = title.split(' failed with error "', 1)[0]  # an error's own text may hold a dict
        assert "{'" not in said and "Traceback" not in title and "\\(" not in title, title
        assert not title.split(" ", 1)[0].endswith(":"), title
        assert len(title) <= 120
