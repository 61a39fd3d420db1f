"""The Claude Code importer, on the real sessions in tests/data/traces/claude-code."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, assert_round_trip, mutate

from replaycase.case.lint import lint_case
from replaycase.errors import ReplaycaseError
from replaycase.importers import load_trace
from replaycase.model import CustomEvent, FinalOutputEvent, LlmCallEvent, TraceRun
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "claude-code"
GOLDEN = DATA / "golden" / "claude-code-short.json"
FILES = sorted(FOLDER.glob("*.jsonl"))
OLD = "4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl"


def load(name: str) -> TraceRun:
    [run] = load_trace(FOLDER / name)
    return run


def names(run: TraceRun) -> list[str]:
    return [call.tool_name for call in run.tool_calls()]


def custom(run: TraceRun, name: str) -> list[CustomEvent]:
    return [e for e in run.events if isinstance(e, CustomEvent) and e.name == name]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_session_imports_by_content(path: Path) -> None:
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "claude-code"
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert run.metadata.agent and run.metadata.agent.startswith("claude-code")
    assert run.llm_calls() and all(c.messages is not None for c in run.llm_calls())
    if run.answer_recorded():
        assert isinstance(run.events[-1], FinalOutputEvent)
        assert run.events[-1].output == run.final_output
    else:  # a file cut mid-turn (subagent.trimmed.jsonl ends with a tool result)
        assert run.final_output is None and not isinstance(run.events[-1], FinalOutputEvent)
    assert_round_trip(run)


def test_short_session_rejected_tools_and_interruption() -> None:
    run = load("short.jsonl")
    assert run.run_id == "55604662-cf2a-4331-851a-ec234028f8ca"
    assert run.metadata.model == "claude-opus-4-6" and run.metadata.version == "2.1.38"
    assert run.input == "mix phx.server doesnt seem to start"
    assert names(run) == ["Bash", "Glob"]
    assert [c.is_error for c in run.tool_calls()] == [True, True]
    assert all("doesn't want to proceed" in str(c.output) for c in run.tool_calls())
    # four streamed lines of msg_01MKH1cc... are one model call with both tool calls
    [call] = run.llm_calls()
    assert [t.tool_name for t in call.tool_calls] == ["Bash", "Glob"]
    assert call.output_text.startswith("\n\nLet me check the project structure")
    assert call.usage is not None and call.usage.input_tokens == 3 + 13835 + 11515
    assert call.usage.output_tokens == 13
    assert [m.role for m in call.messages or []] == ["user"]
    assert call.instructions is None and call.tools_offered is None  # not logged
    assert run.status == "cancelled" and len(custom(run, "interrupted")) == 1
    assert len(custom(run, "system:local_command")) == 2
    assert run.final_output == "Let me check the project structure and try running the " \
                               "server to see the error."


def test_request_messages_are_the_conversation_before_each_call() -> None:
    run = load(OLD)
    calls = run.llm_calls()
    assert [len(c.messages or []) for c in calls] == [1, 5, 7, 9, 11, 13, 15]
    second = calls[1].messages or []
    assert [m.role for m in second] == ["user", "assistant", "tool", "tool", "tool"]
    assert [t.tool_name for t in second[1].tool_calls] == ["Write"] * 3
    assert [m.call_id for m in second[2:]] == [t.call_id for t in second[1].tool_calls]
    assert all(m.tool_name == "Write" and not m.is_error for m in second[2:])


def test_old_session_tools_model_and_answer() -> None:
    run = load(OLD)
    assert run.status == "success"
    assert run.metadata.model == "claude-sonnet-4-5-20250929"
    assert run.metadata.version == "2.0.64"
    assert Counter(names(run)) == {"Write": 3, "Read": 1, "Edit": 1, "Bash": 1}
    assert not any(c.is_error for c in run.tool_calls())
    assert run.final_output == "Done! I've deleted hello.js."
    assert run.input is not None and len(run.llm_calls()) == 7


def test_task_subagent_is_kept_apart_from_the_main_loop() -> None:
    run = load("subagent.trimmed.jsonl")
    assert run.status == "success" and run.metadata.model == "claude-opus-4-6"
    assert names(run) == ["WebFetch", "WebSearch", "WebSearch", "WebSearch", "Glob",
                          "WebSearch", "Read", "WebSearch", "AskUserQuestion", "Task"]
    task = run.tool_calls()[-1]
    assert not task.is_error and "Bead Content" in str(task.output)
    # the sub-agent's 9 tool calls are custom events under the Task call, not main calls
    calls, results = custom(run, "subagent_tool_call"), custom(run, "subagent_tool_result")
    assert len(calls) == len(results) == 9
    assert {e.span_id for e in calls + results} == {"agent-afb92ff"}
    assert {e.parent_id for e in calls + results} == {task.call_id}
    assert Counter(e.data["tool_name"] for e in calls) == {"Read": 5, "Bash": 4}
    assert sum(e.data["is_error"] for e in results) == 3
    [summary] = run.metadata.extra["subagents"]
    assert summary == {"agent_id": "afb92ff", "call_id": task.call_id,
                       "model": "claude-haiku-4-5-20251001", "tool_calls": 9,
                       "tool_errors": 3, "messages": 1, "status": "completed"}
    assert all(c.model == "claude-opus-4-6" for c in run.llm_calls())
    # trimmed after a tool result: the answer Claude gave next is not in the file, so it is
    # unknown (not "Now let me draft the beads.", the narration before that tool call)
    assert run.final_output is None and not run.answer_recorded()
    assert run.metadata.answer_not_recorded and "mid-turn" in run.metadata.answer_not_recorded
    assert any(c.output_text == "Now let me draft the beads." for c in run.llm_calls())


def test_subagent_file_is_a_run_of_its_own() -> None:
    run = load("agent-aac57f5.jsonl")
    assert run.run_id == "agent-aac57f5" and run.metadata.agent == "claude-code sub-agent"
    assert run.metadata.extra["sidechain"] is True
    assert Counter(names(run)) == {"WebSearch": 6, "WebFetch": 6}
    assert not custom(run, "subagent_tool_call")
    assert run.metadata.version == "2.1.39" and len(run.llm_calls()) == 4
    assert str(run.final_output).startswith("Perfect! I now have all the version information")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_scaffold_makes_a_sound_case(tmp_path: Path, path: Path) -> None:
    run = load(path.name)
    observed = [] if run.status != "success" else [f"tool_called: {names(run)[0]}"]
    out = tmp_path / "case"
    [report] = scaffold(path, out, ScaffoldOptions(observed=observed))
    assert report.run_id == run.run_id and (out / "case.yaml").exists()
    assert lint_case(out).clean


def test_golden_short_session() -> None:
    actual = load("short.jsonl").model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


# -- streamed messages, API errors -------------------------------------------------------

def _line(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, "sessionId": "s", "uuid": "u", **fields})


def _assistant(msg_id: str, *blocks: Any, **fields: Any) -> str:
    return _line("assistant", message={"id": msg_id, "role": "assistant", "model": "m",
                                       "content": list(blocks)}, **fields)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_api_error_at_the_end_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, _line("user", message={"role": "user", "content": "hi"}),
                  _assistant("a", {"type": "text", "text": "Hello"}),
                  _line("user", message={"role": "user", "content": "more"}),
                  _assistant("b", {"type": "text", "text": "API Error: 529 overloaded"},
                             isApiErrorMessage=True))
    [run] = load_trace(path)
    assert run.status == "error" and run.final_output == "Hello"
    assert run.error_messages() == ["API Error: 529 overloaded"] and len(run.llm_calls()) == 1


def test_a_message_split_across_lines_is_one_call(tmp_path: Path) -> None:
    use = {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}}
    path = _write(tmp_path, _line("user", message={"role": "user", "content": "go"}),
                  _assistant("a", {"type": "thinking", "thinking": "hm"}),
                  _assistant("a", {"type": "text", "text": "Listing."}), _assistant("a", use),
                  _line("user", message={"role": "user", "content": [
                      {"type": "tool_result", "tool_use_id": "t1", "content": "x"}]}),
                  _assistant("b", {"type": "text", "text": "Done."}))
    [run] = load_trace(path)
    first, second = run.llm_calls()
    assert first.output_text == "Listing." and [t.call_id for t in first.tool_calls] == ["t1"]
    assert [m.role for m in second.messages or []] == ["user", "assistant", "tool"]
    assert run.status == "success" and run.final_output == "Done."


# -- malformed input ---------------------------------------------------------------------

FIRST = _line("user", message={"role": "user", "content": "hi"})
BAD = {
    "truncated last line": ('{"type": "assistant", "message": {"id"', "line 2: invalid JSON"),
    "not JSON": ("garbage here", "line 2: invalid JSON"),
    "a list": ("[1]", "line 2: expected an object, got a list"),
    "no type": ('{"uuid": "x"}', 'line 2: no "type" string'),
    "message a string": (_line("assistant", message="x"), 'line 2: assistant: "message" must'),
    "block without type": (_line("assistant", message={"content": [{}]}), 'no "type" string'),
    "tool name a number": (_line("assistant", message={"content": [
        {"type": "tool_use", "name": 3}]}), "name: expected a string"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_lines_name_the_file_and_line(tmp_path: Path, name: str) -> None:
    line, expected = BAD[name]
    assert_malformed(tmp_path / "session.jsonl", f"{FIRST}\n{line}", "claude-code", expected)
    assert_malformed(tmp_path / "session.jsonl", f"{FIRST}\n{line}", "auto", expected)


SEED = [json.loads(line) for line in (FOLDER / "short.jsonl").read_text().splitlines()]
leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
values = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_sessions_import_or_fail_on_one_line(data: st.DataObject) -> None:
    lines = mutate(data.draw, SEED, values)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines))
        try:
            runs = load_trace(path)
        except ReplaycaseError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
        for run in runs:
            assert_round_trip(run)
            assert all(isinstance(c, LlmCallEvent) for c in run.llm_calls())


def test_compaction_starts_the_conversation_afresh(tmp_path: Path) -> None:
    path = _write(tmp_path, _line("user", message={"role": "user", "content": "go"}),
                  _assistant("a", {"type": "text", "text": "One."}),
                  _line("system", subtype="compact_boundary", content="Conversation compacted"),
                  _line("user", isCompactSummary=True,
                        message={"role": "user", "content": "Summary: said one."}),
                  _assistant("b", {"type": "text", "text": "Two."}))
    [run] = load_trace(path)
    _, second = run.llm_calls()
    assert [m.text for m in second.messages or []] == ["Summary: said one."]
    assert run.input == "go" and run.final_output == "Two."
