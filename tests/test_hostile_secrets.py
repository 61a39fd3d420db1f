"""Hostile inputs for redaction and lint's secret scan (issue 12, secrets)."""

from __future__ import annotations

import html as htmllib
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_redact import AWS_ID, BEARER, EMAIL, GITHUB, GOOGLE, JWT, OPENAI, SLACK, STRIPE
from typer.testing import CliRunner

from replaycase._templating import md_cell
from replaycase._text import short
from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.cli import app
from replaycase.importers import load_trace
from replaycase.model import TraceRun
from replaycase.redact import (
    PLACEHOLDER,
    Redactor,
    free_text_patterns,
    redact_model,
    redact_run,
    scan_text,
)
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.results import Outcome, ReplayResult, RunnerInfo
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

# every key shape the detectors know, with its kind
KEYS = {"api_key": OPENAI, "aws_access_key": AWS_ID, "github_token": GITHUB,
        "slack_token": SLACK, "google_api_key": GOOGLE, "stripe_key": STRIPE, "jwt": JWT,
        "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
        "anthropic": "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AbCdEf",
        "slack_app": "xapp-1-A0123456789-abcdefghij"}
GLUES = ["run-", "lookup_", "id.", "path/", "key:", ""]


@pytest.mark.parametrize("glue", GLUES)
@pytest.mark.parametrize("name", sorted(KEYS))
def test_a_key_glued_to_an_id_is_found(name: str, glue: str) -> None:
    key = KEYS[name]
    text = f"see {glue}{key} now"
    redacted = Redactor().redact_text(text)
    assert key not in redacted and redacted.startswith(f"see {glue}<redacted:")
    assert [f.column for f in scan_text(text)] == [5 + len(glue)]
    assert scan_text(redacted) == []


@pytest.mark.parametrize("glue", ["-", "_"])
def test_a_key_glued_at_the_start_of_the_text_is_found(glue: str) -> None:
    for key in KEYS.values():
        assert key not in Redactor().redact_text(f"{glue}{key}")


@pytest.mark.parametrize("text", [
    "task-skeleton", "disk-space", "the risk-sk-assessment-step-number-one", "ask-skip-a1",
    "x-axis-oxbow", "box-xoxo", "the eyJ-less header", "desk_sk-fine", "mask_ghp_short",
    "my_AKIA_not_a_key", "Skeleton_key-holder", "id_AIzaShort",
])
def test_words_with_a_prefix_inside_are_not_keys(text: str) -> None:
    assert scan_text(text) == []
    assert Redactor().redact_text(text) == text


def test_a_glued_key_in_a_big_text_is_found() -> None:
    text = ("ordinary words, " * 400) + f"run-{OPENAI} lookup_{GITHUB} id_{AWS_ID}"
    assert [f.kind for f in scan_text(text)] == ["api_key", "github_token", "aws_access_key"]


# --- a placeholder is never cut in half (notes.md), and a cut one is never a secret ----------

_WORDS = st.sampled_from(["a", "bb", " ", "<", "<r", "…", '"Authorization": "', "x" * 7,
                          "<redacted:api_key:1>", "<redacted:bearer:12>", "<redacted:email:3>"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=30), st.integers(min_value=1, max_value=80))
def test_clipping_never_leaves_part_of_a_placeholder(words: list[str], limit: int) -> None:
    text = "".join(words)
    whole = " ".join(text.split())
    out = short(text, limit)
    assert len(out) <= limit
    body = out[:-1] if out != whole else out
    assert whole.startswith(body)
    for match in PLACEHOLDER.finditer(whole):
        assert not match.start() < len(body) < match.end(), (text, limit, out)
    for cell in (out, md_cell(text, limit)):  # no word but a placeholder holds "<red"
        for start in (m.start() for m in re.finditer("<red", cell)):
            assert PLACEHOLDER.match(cell, start), (text, limit, cell)


@pytest.mark.parametrize("text", [
    '"Authorization": "<r…', '"Authorization": "<re…', '"api_key": "<redacted:api_…',
    "| token: '<redacted:bearer:1…", '"password": "<redacted…', "secret=<redacted:password:…",
    '"Authorization": "Bearer <redacted:bearer:1>"', "Authorization: Bearer <redacted:bearer:1>",
    '"Authorization": "Bearer <redacted:be…',
])
def test_a_cut_placeholder_is_not_a_secret(text: str) -> None:
    assert scan_text(text) == []
    assert Redactor().redact_text(text) == text


@pytest.mark.parametrize("text", ['"api_key": "<rAnDoM-123456…"', '"api_key": "<r hunter2…"'])
def test_a_secret_beside_a_placeholder_is_still_found(text: str) -> None:
    assert scan_text(text) != []


def _keyed(pad: int) -> str:
    """A header whose redacted value starts ``pad + 18`` characters in."""
    return "w" * pad + f' "Authorization": "Bearer {BEARER}", "x-api-key": "{OPENAI}"'


def _cut_trace(path: Path) -> Path:
    """Secrets at every offset around where notes.md cuts a timeline row (at 100 and 140
    characters), the input (600) and the final output (1000)."""
    events: list[dict] = [{"type": "input_message", "content": _keyed(pad)}
                          for pad in range(560, 600, 3)]
    for pad in range(50, 110):
        events.append({"type": "tool_call", "tool_name": "fetch", "call_id": f"c{pad}",
                       "tool_args": {"a": "y" * (pad - 10), "headers": {
                           "Authorization": f"Bearer {BEARER}", "x-api-key": OPENAI}}})
        events.append({"type": "tool_result", "tool_name": "fetch", "call_id": f"c{pad}",
                       "output": _keyed(pad)})
        events.append({"type": "llm_call", "model": "m", "response": "ok",
                       "error": _keyed(pad)})
    events.append({"type": "error", "message": _keyed(70)})
    path.write_text(json.dumps({"run_id": "run-cut", "status": "error", "events": events,
                                "final_output": _keyed(975)}))
    return path


def test_a_fresh_case_passes_its_own_lint_where_notes_cut_text(tmp_path: Path) -> None:
    out = tmp_path / "cut"
    scaffold(_cut_trace(tmp_path / "trace.json"), out)
    notes = (out / "notes.md").read_text()
    assert notes.count("<redacted:bearer:1>") > 20 and notes.count("…") > 100
    assert lint_case(out).clean, lint_case(out).problems


# --- the trace's file name is redacted like any text ------------------------------------------

REPO = Path(__file__).parent.parent


@pytest.mark.parametrize("name", [f"{EMAIL}-run.json", f"{EMAIL}.json", f"run_{EMAIL}.jsonl",
                                  f"trace-{OPENAI}.json", f"{EMAIL}_{GITHUB}.log"])
@pytest.mark.parametrize("source", ["examples/runner-api/traces/tool-loop.json",
                                    "tests/data/traces/replayt/tool-loop.jsonl"])
def test_a_secret_in_the_trace_file_name_is_redacted(tmp_path: Path, name: str,
                                                     source: str) -> None:
    trace = tmp_path / name
    trace.write_bytes((REPO / source).read_bytes())
    out = tmp_path / "case"
    scaffold(trace, out)
    texts = {p.name: p.read_text() for p in out.rglob("*") if p.is_file()}
    for secret in (EMAIL, OPENAI, GITHUB, EMAIL.split("@")[0]):
        assert not [file for file, text in texts.items() if secret in text]
    assert "<redacted:" in texts["notes.md"].split("## Input")[0]
    if "replayt" in source:
        assert '"file": "' in texts["source-trace.json"]
    assert lint_case(out).clean, lint_case(out).problems


@pytest.mark.parametrize(("text", "found"), [
    ("alice@example.com-run.json", "alice@example.com"),
    ("alice@example.com.json", "alice@example.com"),
    ("alice@example.com-run.jsonl", "alice@example.com"),
    ("bob@corp.io-2.log", "bob@corp.io"),
    ("mail bob@mail.example.co.uk.", "bob@mail.example.co.uk"),
])
def test_an_address_followed_by_a_file_name_is_found(text: str, found: str) -> None:
    start = text.index(found)
    assert Redactor().redact_text(text) == f"{text[:start]}<redacted:email:1>" \
        f"{text[start + len(found):]}"


@pytest.mark.parametrize("text", ["icon@2x.png", "logo@3x.svg", "see a@2x.PNG"])
def test_asset_names_are_not_addresses(text: str) -> None:
    assert scan_text(text) == []


def test_a_run_id_with_an_address_names_no_folder_after_it(tmp_path: Path) -> None:
    trace = tmp_path / "runs.json"
    runs = [{"run_id": f"run-{EMAIL}-{n}", "status": "error",
             "events": [{"type": "llm_call"}, {"type": "error", "message": "boom"}]}
            for n in (1, 2)]
    trace.write_text(json.dumps(runs))
    reports = scaffold(trace, tmp_path / "cases", ScaffoldOptions(all_runs=True))
    assert len(reports) == 2
    for report in reports:
        assert EMAIL not in report.case_id and EMAIL not in str(report.path)
        assert lint_case(report.path).clean, lint_case(report.path).problems


# --- user patterns rewrite free text only, never structure -----------------------------------

HOSTILE_PATTERNS = ["err", "ix", "e", "."]
SCENARIOS = {"tool-loop": [], "tool-error-unhandled": [], "no-final-output": [],
             "wrong-tool": ["tool_called: issue_refund"]}


def _structure(run: TraceRun) -> list[tuple[object, ...]]:
    """What replaycase relies on in a run: statuses, event types, numbers, ids, names, keys."""
    rows: list[tuple[object, ...]] = [(run.run_id, run.status, run.schema_)]
    for event in run.events:
        args = getattr(event, "tool_args", None)
        rows.append((event.seq, event.type, getattr(event, "call_id", None),
                     getattr(event, "tool_name", None), getattr(event, "is_error", None),
                     sorted(args) if isinstance(args, dict) else None))
    return rows


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_user_patterns_leave_a_runs_structure_alone(pattern: str) -> None:
    found = 0
    for scenario in SCENARIOS:
        run = load_trace(REPO / "examples" / "runner-api" / "traces" / f"{scenario}.json")[0]
        clean, text = redact_run(run, Redactor([pattern]))
        assert _structure(clean) == _structure(run)
        assert TraceRun.model_validate_json(text).model_dump() == clean.model_dump()
        found += text.count("<redacted:user_pattern:")
    assert found >= 3 or pattern in ("err", "ix")  # free text is still redacted


def test_user_patterns_leave_ids_names_and_states_alone() -> None:
    run = TraceRun.model_validate({
        "run_id": "fix-1", "status": "error", "metadata": {"agent": "fixer", "tags": ["ix"]},
        "events": [
            {"seq": 1, "type": "state", "state": "mixing", "to_state": "fixing",
             "action": "transition", "ts": "2026-01-01T00:00:00Z"},
            {"seq": 2, "type": "tool_call", "tool_name": "fix_invoice", "call_id": "ix-1",
             "tool_args": {"fix": "six"}, "span_id": "ix", "parent_id": "pix"},
            {"seq": 3, "type": "tool_result", "tool_name": "fix_invoice", "call_id": "ix-1",
             "output": "fixed six", "is_error": True},
            {"seq": 4, "type": "error", "message": "mix-up", "error_type": "FixError"},
            {"seq": 5, "type": "custom", "name": "fixture", "data": {"ix": "ix"}}]})
    clean, _ = redact_run(run, Redactor(["ix", "rr", "error"]))
    same = ["run_id", "status", "metadata"]
    assert [getattr(clean, f) for f in same] == [getattr(run, f) for f in same]
    kept = ["seq", "type", "state", "to_state", "action", "ts", "tool_name", "call_id",
            "span_id", "parent_id", "error_type", "name", "is_error"]
    for got, was in zip(clean.events, run.events, strict=True):
        for field in kept:
            assert getattr(got, field, None) == getattr(was, field, None)
    assert clean.events[1].tool_args == {"fix": "s<redacted:user_pattern:1>"}
    assert clean.events[2].output == "f<redacted:user_pattern:1>ed s<redacted:user_pattern:1>"
    assert clean.events[3].message == "m<redacted:user_pattern:1>-up"
    assert clean.events[4].data == {"ix": "<redacted:user_pattern:1>"}


def test_user_patterns_never_rewrite_mapping_keys() -> None:
    out = Redactor(["e"]).redact({"message": "hello", "nested": {"every": ["seven"]}})
    assert out == {"message": "h<redacted:user_pattern:1>llo",
                   "nested": {"every": ["s<redacted:user_pattern:1>v<redacted:user_pattern:1>n"]}}


def test_user_patterns_leave_a_results_structure_alone() -> None:
    outcome = Outcome(key="tool_error_count", entry={"tool_error_count": {"tool": "fix", "min": 1}},
                      outcome="needs_review", message="expected exit reason", actual="fixed it")
    result = ReplayResult(case_id="fix-refund", case_path="cases/fix-refund", verdict="reproduced",
                          signatures=[outcome], assertions=[outcome.model_copy()],
                          evidence_dir=".replaycase/runs/x-fix-refund", tags=["experiment"],
                          title="refund fixed", runner=RunnerInfo(reason="exit error 3",
                                                                  output_format="native"))
    clean = redact_model(result, Redactor(HOSTILE_PATTERNS))
    for field in ("case_id", "case_path", "verdict", "evidence_dir", "tags"):
        assert getattr(clean, field) == getattr(result, field)
    for got in clean.signatures + clean.assertions:
        assert (got.key, got.entry, got.outcome) == (outcome.key, outcome.entry, outcome.outcome)
        assert "<redacted:user_pattern:" in got.message and got.actual != outcome.actual
    assert clean.runner.output_format == "native" and clean.runner.reason != "exit error 3"
    assert clean.title != result.title


def _scaffold_examples(tmp_path: Path, patterns: list[str]) -> Path:
    cases = tmp_path / "cases"
    for scenario, observed in SCENARIOS.items():
        scaffold(REPO / "examples" / "runner-api" / "traces" / f"{scenario}.json", cases / scenario,
                 ScaffoldOptions(redact_patterns=patterns, observed=observed))
    return cases


def _verdicts(cases: Path, runner: str, tmp_path: Path, *extra: str) -> dict[str, str]:
    results = tmp_path / f"{runner}.json"
    done = CliRunner().invoke(app, ["replay", str(cases), "--runner-cmd",
                                    f"{sys.executable} {REPO / 'runners' / runner}", "-j", "2",
                                    "--evidence-dir", str(tmp_path / "runs"),
                                    "--json", str(results), *extra])
    assert done.exit_code in (0, 1), done.output
    return {r["case_id"]: r["verdict"] for r in json.loads(results.read_text())["results"]}


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_a_case_scaffolded_with_a_hostile_pattern_lints_and_replays(
        tmp_path: Path, pattern: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _scaffold_examples(tmp_path, [pattern])
    for scenario in SCENARIOS:
        assert lint_case(cases / scenario).clean, lint_case(cases / scenario).problems
    monkeypatch.chdir(REPO)
    fixed = _verdicts(cases, "fixed.py", tmp_path)
    buggy = _verdicts(cases, "buggy.py", tmp_path)
    if pattern in ("err", "ix"):
        assert set(fixed.values()) == {"fixed"}
        assert set(buggy.values()) == {"reproduced"}
    else:
        # "e" and "." rewrite the customer's question itself (free text), so both agents
        # read another ticket, call no tool the case asks for and are `failing` (never a
        # false fixed: doing nothing is no fix); "e" also rewrites the recorded query "change
        # card on account", which the agent still asks for: the fixtures do not hold that
        # call, the case diverges. The case is still whole: no runner error.
        assert set(fixed.values()) <= {"failing", "diverged"}
        assert set(buggy.values()) <= {"failing", "diverged"}
        expected = "diverged" if pattern == "e" else "failing"
        assert fixed["tool-error-unhandled"] == buggy["tool-error-unhandled"] == expected


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_lint_with_a_hostile_pattern_judges_free_text_only(tmp_path: Path, pattern: str) -> None:
    cases = _scaffold_examples(tmp_path, [pattern])
    for scenario in SCENARIOS:
        report = lint_case(cases / scenario, extra_patterns=[pattern])
        assert report.clean, report.problems  # `status_is: error` is no secret under "err"


def test_lint_finds_a_pattern_left_in_the_free_text(tmp_path: Path) -> None:
    cases = _scaffold_examples(tmp_path, [])  # not redacted with the pattern
    report = lint_case(cases / "tool-loop", extra_patterns=[r"charged \$\d+"])
    flagged = {p.file for p in report.problems if "redact pattern" in p.message}
    assert flagged == {"source-trace.json"}, report.problems
    structure = ["tool_result", "sup-20260312-0001", "error"]  # an event type, the run id, a status
    assert lint_case(cases / "tool-loop", extra_patterns=structure).clean


def test_replay_redaction_patterns_keep_result_json_whole(tmp_path: Path) -> None:
    case = load_case(REPO / "examples" / "runner-api" / "cases" / "tool-loop")
    plain = replay_case(case, _options(tmp_path / "plain", []))
    redacted = replay_case(case, _options(tmp_path / "redacted", HOSTILE_PATTERNS))
    assert plain.verdict == redacted.verdict == "reproduced"
    assert redacted.evidence_dir is not None
    saved = ReplayResult.model_validate_json(
        (Path(redacted.evidence_dir) / "result.json").read_text())
    assert saved.verdict == "reproduced" and saved.case_id == "tool-loop"
    assert [(o.key, o.outcome, o.entry) for o in saved.signatures + saved.assertions] == \
        [(o.key, o.outcome, o.entry) for o in plain.signatures + plain.assertions]


def _options(root: Path, patterns: list[str]) -> ReplayOptions:
    return ReplayOptions(runner_cmd=f"{sys.executable} {REPO / 'runners' / 'buggy.py'}",
                         evidence_root=root, redact_patterns=patterns, cwd=REPO)


# --- trace text in notes.md is inert Markdown ----------------------------------------------

HTML = ['<img src=x onerror=alert(1)>', "<script>alert(2)</script>",
        '<a href="javascript:alert(3)">click</a>', "<iframe src=//evil>", "<b>bold</b>"]


def _html_trace(path: Path) -> Path:
    nasty = " ".join(HTML) + " a|b \\| c\nnew | line\r\n`tick` ``` [x](javascript:alert(4))"
    events = [
        {"type": "input_message", "content": "```\n" + nasty},
        {"type": "tool_call", "tool_name": "fetch", "call_id": "c1", "tool_args": {"q": nasty}},
        {"type": "tool_result", "tool_name": "fetch", "call_id": "c1", "output": nasty,
         "is_error": True},
        {"type": "llm_call", "model": "<img src=m>|", "response": nasty, "error": nasty},
        {"type": "retry", "reason": nasty},
        {"type": "custom", "name": "note", "data": {"html": nasty}},
        {"type": "error", "message": "Boom: " + nasty, "error_type": "Boom"},
        {"type": "final_output", "output": "```\n" + nasty},
    ]
    path.write_text(json.dumps({"run_id": "run-html", "status": "error", "events": events,
                                "final_output": "````\n" + nasty,
                                "metadata": {"agent": "<script>x</script>|a",
                                             "version": "<img src=v>"}}))
    return path


def test_html_in_trace_text_is_escaped_in_notes(tmp_path: Path) -> None:
    out = tmp_path / "html"
    scaffold(_html_trace(tmp_path / "trace.json"), out)
    notes = (out / "notes.md").read_text()
    html = MarkdownIt("commonmark").enable("table").render(notes)
    assert not re.search(r"<(img|script|iframe|b)\b", html)
    assert not re.search(r"<a\b", html)  # no link, not even to javascript:
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the timeline is still one table row per event, each of three cells
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    timeline = [row for row in rows if re.search(r"<td[^>]*>\d+( ⚠)?</td>\s*<td>[a-z_]+</td>", row)]
    assert len(timeline) == 8
    assert all(row.count("<td") == 3 for row in timeline)
    # code blocks are not closed early by backticks in the text: input and final output
    blocks = re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", html, re.S)
    assert len(blocks) == 3  # input, final output, the shell lines
    assert all("[x](javascript:alert(4))" in block for block in blocks[:2])
    assert lint_case(out).clean, lint_case(out).problems


@pytest.mark.parametrize("text", [*HTML, "a|b", "a\\|b", "x\\", "`a`", "<redacted:api_key:1>",
                                  "_a_ b_c_ __d__ *e* ~~f~~ ![i](x) [l](javascript:x) &lt; &#60;",
                                  "search_kb é_é _ x_"])
def test_a_cell_renders_as_the_text_it_holds(text: str) -> None:
    row = f"| h |\n| --- |\n| {md_cell(text)} |\n"
    html = MarkdownIt("commonmark").enable("table").render(row)
    cell = re.search(r"<td>(.*)</td>", html, re.S)
    assert cell is not None
    assert htmllib.unescape(cell.group(1)) == text


def test_free_text_in_tuples_and_lists_gets_the_patterns_too() -> None:
    got = free_text_patterns({"k": ("e", ["e", 1]), "e": None}, Redactor(["e"]))
    mark = "<redacted:user_pattern:1>"
    assert got == {"k": (mark, [mark, 1]), "e": None}
