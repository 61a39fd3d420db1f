"""Hostile inputs for redaction and lint's secret scan (issue 12, secrets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_redact import AWS_ID, BEARER, EMAIL, GITHUB, GOOGLE, JWT, OPENAI, SLACK, STRIPE

from replaycase.lint import lint_case
from replaycase.scaffold.build import ScaffoldOptions, scaffold
from replaycase.scaffold.redact import Redactor
from replaycase.secrets import PLACEHOLDER, scan_text
from replaycase.templating import md_cell, short

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
    for clip in (short, md_cell):
        out = clip(text, limit)
        assert len(out) <= limit
        whole = " ".join(text.split())
        body = out[:-1] if out != whole and out.endswith("…") else out
        if clip is short:
            assert whole.startswith(body)
        for match in PLACEHOLDER.finditer(whole):
            assert not match.start() < len(body) < match.end(), (text, limit, out)


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
@pytest.mark.parametrize("source", ["examples/traces/tool-loop.json",
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
             "events": [{"type": "error", "message": "boom"}]} for n in (1, 2)]
    trace.write_text(json.dumps(runs))
    reports = scaffold(trace, tmp_path / "cases", ScaffoldOptions(all_runs=True))
    assert len(reports) == 2
    for report in reports:
        assert EMAIL not in report.case_id and EMAIL not in str(report.path)
        assert lint_case(report.path).clean, lint_case(report.path).problems
