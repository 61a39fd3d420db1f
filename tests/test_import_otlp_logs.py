"""OTLP with GenAI content in log records (tests/data/traces/otel-genai-logs/, written by
opentelemetry-instrumentation-openai-v2 in its event mode): log records join their chat span
by span id, the spans-and-logs JSONL, the pair of files joined, logs alone refused, golden."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_round_trip, import_in_memory, mutate

from replaycase.errors import ReplaycaseError, TraceFormatError
from replaycase.importers import load_trace
from replaycase.importers.otlp import OtlpImporter
from replaycase.model import LlmCallEvent, TraceRun
from replaycase.tape.from_run import tape_from_run

LOGS = Path(__file__).parent / "data" / "traces" / "otel-genai-logs"
GOLDEN = Path(__file__).parent / "data" / "golden"


def _dump(runs: list[TraceRun]) -> list[dict[str, Any]]:
    return [run.model_dump(mode="json", by_alias=True, exclude={"source"}) for run in runs]


def _joined(tmp_path: Path, *names: str) -> Path:
    """The files as one JSONL (what ``jq -c . spans.json logs.json`` writes)."""
    path = tmp_path / "joined.otlp.jsonl"
    path.write_text("".join(json.dumps(json.loads((LOGS / n).read_text())) + "\n"
                            for n in names))
    return path


def test_log_records_give_each_chat_span_its_messages_and_answer() -> None:
    runs = load_trace(LOGS / "all.otlp.jsonl")  # detected: otlp
    assert [r.source.format for r in runs] == ["otlp", "otlp"]  # type: ignore[union-attr]
    calls = [[e for e in r.events if isinstance(e, LlmCallEvent)] for r in runs]
    assert [len(c) for c in calls] == [2, 1]
    first, second = calls[0]
    assert [m.role for m in first.messages or []] == ["user"]
    assert [m.role for m in second.messages or []] == ["user", "assistant", "tool"]
    assert first.tool_calls[0].call_id == "call_Q1lookup2291"
    assert runs[0].final_output == second.output_text
    assert second.output_text is not None and "INV-2291" in second.output_text


def test_spans_alone_record_no_content() -> None:
    (run,) = load_trace(LOGS / "tool-error.traces.json")
    first, second = [e for e in run.events if isinstance(e, LlmCallEvent)]
    assert (first.messages, second.messages, second.output_text) == (None, None, None)


def test_pair_of_files_joined_is_the_jsonl(tmp_path: Path) -> None:
    joined = load_trace(_joined(tmp_path, "tool-error.traces.json", "tool-error.logs.json"))
    logs_first = load_trace(_joined(tmp_path, "tool-error.logs.json", "tool-error.traces.json"))
    expected = _dump(load_trace(LOGS / "all.otlp.jsonl"))[0]
    assert _dump(joined) == _dump(logs_first) == [expected]


@pytest.mark.parametrize("name", ["tool-error.logs.json", "provider-error.logs.json"])
def test_logs_alone_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(TraceFormatError) as caught:
        load_trace(LOGS / name)
    message = str(caught.value)
    assert "\n" not in message and name in message
    assert "no spans (resourceSpans)" in message and "jq -c" in message


def test_records_naming_no_span_of_the_file_are_left_out(tmp_path: Path) -> None:
    path = _joined(tmp_path, "provider-error.traces.json", "tool-error.logs.json")
    (run,) = load_trace(path)
    (call,) = [e for e in run.events if isinstance(e, LlmCallEvent)]
    assert call.messages is None  # the tool-error records name other spans


def test_golden() -> None:
    actual = _dump(load_trace(LOGS / "all.otlp.jsonl"))
    path = GOLDEN / "otel-genai-logs-all.json"
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))


_LOGS_DOC = json.loads((LOGS / "tool-error.logs.json").read_text())
_SPANS_DOC = json.loads((LOGS / "tool-error.traces.json").read_text())
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@st.composite
def _mutated_logs(draw: st.DrawFn) -> Any:
    return mutate(draw, _LOGS_DOC, _JSON)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_logs())
def test_mutated_log_records_raise_only_replaycase_errors(logs: Any) -> None:
    import_in_memory(OtlpImporter(), logs)  # alone: refused, or malformed
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text(json.dumps(_SPANS_DOC) + "\n" + json.dumps(logs) + "\n")
        try:
            runs = load_trace(path, "otlp")
        except ReplaycaseError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
        for run in runs:
            assert_round_trip(run)


def test_a_model_tape_is_built_from_spans_and_logs() -> None:
    tape = tape_from_run(load_trace(LOGS / "all.otlp.jsonl")[0], source_format="otlp").tape
    assert tape is not None and len(tape.turns) == 2
    assert tape.header.not_recorded == ["tools"]  # the event mode does not record them
    assert tape_from_run(load_trace(LOGS / "tool-error.traces.json")[0]).tape is None
