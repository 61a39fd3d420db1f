"""The Codex CLI importer, on the real rollouts in tests/data/traces/codex-cli."""

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
from replaycase.model import CustomEvent, TraceRun
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "codex-cli"
GOLDEN = DATA / "golden" / "codex-cli-0.77.json"
FILES = sorted(FOLDER.glob("*.jsonl"))
OLD, NEW = (p.name for p in FILES)  # 0.77 (2026-01), 0.125 (2026-05)


def load(name: str) -> TraceRun:
    [run] = load_trace(FOLDER / name)
    return run


def names(run: TraceRun) -> list[str]:
    return [call.tool_name for call in run.tool_calls()]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:30])
def test_every_rollout_imports_by_content(path: Path) -> None:
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "codex-cli"
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert run.run_id in path.name
    calls = run.llm_calls()
    assert calls and all(c.usage and c.usage.total_tokens for c in calls)
    assert all(c.instructions for c in calls)  # the base instructions of session_meta
    assert_round_trip(run)


def test_old_rollout_shell_calls() -> None:
    run = load(OLD)
    assert run.metadata.version == "0.77.0" and run.metadata.agent == "codex_exec"
    assert run.metadata.model == "gpt-5-1-codex-2025-11-13"
    assert run.input == "what is current repository about? summarize purpuse and explain goals"
    assert names(run) == ["shell"] * 3
    assert [c.tool_args["command"][-1] for c in run.tool_calls()] == [
        "ls", "rg --files -g 'AGENTS.md'", "sed -n '1,160p' README.md"]
    assert not any(c.is_error for c in run.tool_calls())
    # the output is the text the model was shown: 0.77's {"output", "metadata"} JSON
    shown = json.loads(run.tool_calls()[1].output)
    assert shown == {"output": "docs/AGENTS.md\n",
                     "metadata": {"exit_code": 0, "duration_seconds": 0.4}}
    calls = run.llm_calls()
    assert [c.usage.total_tokens for c in calls if c.usage] == [7381, 7606, 7787]
    assert [len(c.messages or []) for c in calls] == [3, 5, 7]
    last = (calls[-1].messages or [])[-1]
    assert last.role == "tool" and last.tool_name == "shell" and last.call_id
    # the rollout stops after the last command's output: no answer, no error recorded
    assert run.final_output is None and run.status == "success"


def test_new_rollout_exec_command_and_write_stdin() -> None:
    run = load(NEW)
    assert run.metadata.version == "0.125.0" and run.metadata.agent == "codex-tui"
    assert run.metadata.model == "gpt-5.5" and run.input == "show tools"
    assert Counter(names(run)) == {"exec_command": 5, "write_stdin": 7}
    assert not any(c.is_error for c in run.tool_calls())  # write_stdin failed: no flag
    calls = run.llm_calls()
    assert len(calls) == 9 and [len(c.tool_calls) for c in calls][-2:] == [3, 3]
    answer = calls[2]
    assert answer.output_text.startswith("Available tool groups") and not answer.tool_calls
    ends = [e for e in run.events if isinstance(e, CustomEvent) and e.name == "exec_command_end"]
    assert len(ends) == 5 and {e.data["exit_code"] for e in ends} == {0}
    assert run.status == "error"  # trimmed inside turn 2: task_started, no task_complete
    # so turn 2's answer is not in the file: unknown, not turn 1's answer, nor missing
    assert run.final_output is None and not run.answer_recorded()
    assert "mid-turn" in str(run.metadata.answer_not_recorded)
    assert any(str(c.output_text).startswith("The graph MCP tools mentioned by `AGENTS.md`")
               for c in calls)


def _rec(kind: str, **payload: Any) -> str:
    return json.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": kind, "payload": payload})


META = _rec("session_meta", id="r1", cli_version="0.125.0", base_instructions={"text": "be"})


def _session(*lines: str) -> list[str]:
    return [META, _rec("event_msg", type="task_started"),
            _rec("response_item", type="message", role="user",
                 content=[{"type": "input_text", "text": "go"}]), *lines]


def _call(call_id: str) -> str:
    return _rec("response_item", type="function_call", name="exec_command", call_id=call_id,
                arguments='{"cmd": "false"}')


def test_failed_command_only_where_the_trace_says_so(tmp_path: Path) -> None:
    path = tmp_path / "rollout.jsonl"
    path.write_text("\n".join(_session(
        _call("c1"), _call("c2"),
        _rec("response_item", type="function_call_output", call_id="c1", output="exit 1"),
        _rec("event_msg", type="exec_command_end", call_id="c1", exit_code=1, status="failed"),
        _rec("event_msg", type="exec_command_end", call_id="c2", exit_code=1,
             status="completed"),
        _rec("response_item", type="function_call_output", call_id="c2", output="exit 1"),
        _rec("response_item", type="local_shell_call", call_id="c3",
             action={"type": "exec", "command": ["ls"]}),
        _rec("response_item", type="function_call_output", call_id="c3", output="a"),
        _rec("response_item", type="message", role="assistant",
             content=[{"type": "output_text", "text": "Done."}]),
        _rec("event_msg", type="task_complete"))))
    [run] = load_trace(path)
    assert [(c.tool_name, c.is_error) for c in run.tool_calls()] == [
        ("exec_command", True), ("exec_command", False), ("local_shell", False)]
    assert run.tool_calls()[2].tool_args == {"type": "exec", "command": ["ls"]}
    assert run.status == "success" and run.final_output == "Done."


def test_aborted_turn_is_cancelled(tmp_path: Path) -> None:
    path = tmp_path / "rollout.jsonl"
    path.write_text("\n".join(_session(_call("c1"), _rec("event_msg", type="turn_aborted",
                                                           reason="interrupted"))))
    [run] = load_trace(path)
    assert run.status == "cancelled" and run.final_output is None


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:30])
def test_scaffold_makes_a_sound_case(tmp_path: Path, path: Path) -> None:
    run = load(path.name)
    observed = [] if run.status != "success" else [f"tool_called: {names(run)[0]}"]
    out = tmp_path / "case"
    [report] = scaffold(path, out, ScaffoldOptions(observed=observed))
    assert report.run_id == run.run_id and (out / "case.yaml").exists()
    assert lint_case(out).clean


def test_golden_old_rollout() -> None:
    actual = load(OLD).model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


BAD = {
    "truncated last line": ('{"timestamp": "x", "type": "response_item", "pay',
                            "line 2: invalid JSON"),
    "not JSON": ("not json", "line 2: invalid JSON"),
    "payload a list": ('{"type": "event_msg", "payload": []}', '"payload" must be an object'),
    "no type": ('{"payload": {}}', 'line 2: no "type" string'),
    "call name a number": (_rec("response_item", type="function_call", name=1),
                           "line 2: function_call: name: expected a string"),
    "message role a number": (_rec("response_item", type="message", role=3, content="x"),
                              "line 2: "),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_lines_name_the_file_and_line(tmp_path: Path, name: str) -> None:
    line, expected = BAD[name]
    assert_malformed(tmp_path / "rollout.jsonl", f"{META}\n{line}", "codex-cli", expected)
    assert_malformed(tmp_path / "rollout.jsonl", f"{META}\n{line}", "auto", expected)


SEED = [json.loads(line) for line in (FOLDER / OLD).read_text().splitlines()]
leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
values = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_rollouts_import_or_fail_on_one_line(data: st.DataObject) -> None:
    lines = mutate(data.draw, SEED, values)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines))
        try:
            runs = load_trace(path)
        except ReplaycaseError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
        for run in runs:
            assert_round_trip(run)


def test_compaction_replaces_the_history(tmp_path: Path) -> None:
    answer = _rec("response_item", type="message", role="assistant",
                  content=[{"type": "output_text", "text": "Hi."}])
    path = tmp_path / "rollout.jsonl"
    path.write_text("\n".join(_session(answer, _rec("compacted", message="Said hi."), answer)))
    [run] = load_trace(path)
    first, second = run.llm_calls()
    assert [(m.role, m.text) for m in first.messages or []] == [("user", "go")]
    assert [(m.role, m.text) for m in second.messages or []] == [("user", "Said hi.")]
    assert first.instructions == second.instructions == "be"
