"""LangSmith files the real SDK writes (``langsmith/sdk/gen_sdk_runs.py``): a lone run without
``child_runs`` (``RunTree.json()``, a ``read_run``), a ``/runs/multipart`` ingest body, and
image parts named in the input, never their bytes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_round_trip

from replaycase.errors import ReplaycaseError, TraceFormatError
from replaycase.importers.langsmith_multipart import is_multipart, read_multipart
from replaycase.importers.registry import load_trace
from replaycase.model import LlmCallEvent, ToolCallEvent, ToolResultEvent

DATA = Path(__file__).parent / "data" / "traces" / "langsmith" / "sdk"
ANSWER = "That charge is invoice INV-4102 for $129.00, due on 1 April 2026."
LABEL = "[image: image/png, 27 KB]"


@pytest.mark.parametrize("name", ["lone-llm.runtree.json", "lone-llm.read-run.json"])
def test_a_lone_run_is_a_tree_of_one_node(name: str) -> None:
    [run] = load_trace(DATA / name)
    assert run.source is not None and run.source.format == "langsmith"
    [call] = run.llm_calls()
    assert call.model == "gpt-4o-mini"
    assert call.output_text == ANSWER
    assert run.final_output == ANSWER and run.status == "success"
    user = call.messages[0] if call.messages else None
    assert user is not None and LABEL[:-1] in user.text  # the key names the image too


def test_a_multipart_body_merges_post_and_patch_parts_into_runs() -> None:
    data = (DATA / "agent-image.multipart").read_bytes()
    assert is_multipart(data[:8192])
    runs = read_multipart(data)
    assert [r["run_type"] for r in runs] == ["chain", "llm", "tool", "llm"]
    root = runs[0]
    assert root["outputs"] == {"output": ANSWER}  # from the patch in the second body
    assert root["end_time"] and root["start_time"]
    assert root["attachments"]["screenshot"]["content_type"] == "image/png"
    [run] = load_trace(DATA / "agent-image.multipart")
    assert run.run_id == root["id"] and run.status == "success"
    assert run.final_output == ANSWER
    assert [e.type for e in run.events if not isinstance(e, LlmCallEvent)][:1] == [
        "input_message"]
    assert [type(e) for e in run.events[1:5]] == [LlmCallEvent, ToolCallEvent,
                                                   ToolResultEvent, LlmCallEvent]
    tool = run.events[2]
    assert isinstance(tool, ToolCallEvent) and tool.call_id == "call_img01"
    assert tool.tool_args == {"customer_id": "C-40219"}


@pytest.mark.parametrize("name", ["agent-image.multipart", "lone-llm.runtree.json"])
def test_an_image_in_the_inputs_is_named_never_its_bytes(name: str) -> None:
    [run] = load_trace(DATA / name)
    user = run.input["messages"][1]
    assert user == {"role": "user", "content": "This invoice screenshot shows a charge I "
                                               f"don't recognise. Customer C-40219.\n{LABEL}"}
    assert "iVBORw0KGgo" not in run.model_dump_json()


def test_a_malformed_multipart_body_is_one_line_naming_the_file(tmp_path: Path) -> None:
    data = (DATA / "agent-image.multipart").read_bytes()
    cut = tmp_path / "cut.multipart"
    cut.write_bytes(data[:3000])
    with pytest.raises(TraceFormatError, match=r"cut\.multipart.*\[langsmith\].*closing"):
        load_trace(cut)
    assert not is_multipart(b'--x\r\nContent-Disposition: form-data; name="file"\r\n')


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 40000), st.integers(0, 40000), st.binary(max_size=8))
def test_a_damaged_multipart_body_is_runs_or_one_line(cut: int, at: int, junk: bytes) -> None:
    """The real body cut short, or with bytes replaced: runs, or replaycase's own one-line
    error naming the file."""
    data = (DATA / "agent-image.multipart").read_bytes()[:-cut or None]
    data = data[:at] + junk + data[at + len(junk):]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "body.multipart"
        path.write_bytes(data)
        try:
            runs = load_trace(path)
        except ReplaycaseError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
        for run in runs:
            assert_round_trip(run)
