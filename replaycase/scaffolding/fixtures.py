"""Fixtures: the frozen inputs and outputs a runner is served during a replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter

from ..model import LlmCallEvent, TraceRun
from ..model.native_json import dumps_items, list_lines
from ..tape import TAPE_FILE, TapeFromRun, tape_from_run, tape_text


def dumps(value: Any) -> str:
    """Stable, readable JSON for files in a case folder."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"


def input_fixture(run: TraceRun) -> dict[str, Any]:
    """fixtures/input.json: what the run was asked."""
    return {"run_id": run.run_id, "input": run.input}


def tool_calls_fixture(run: TraceRun) -> Iterator[dict[str, Any]]:
    """fixtures/tool_calls.json: recorded tool calls in order, each with its output (made
    one at a time, as ``dumps_items`` writes them)."""
    return ({
        "seq": call.seq,
        "call_id": call.call_id,
        "tool_name": call.tool_name,
        "tool_args": call.tool_args,
        "output": call.output,
        "is_error": call.is_error,
        **({"error_type": call.error_type} if call.is_error and call.error_type else {}),
    } for call in run.tool_calls())


_LLM_CALLS: TypeAdapter[list[LlmCallEvent]] = TypeAdapter(list[LlmCallEvent])
_LLM_FIELDS = {"seq", "model", "response", "tool_calls", "usage", "error"}


def llm_calls_fixture(run: TraceRun) -> str:
    """fixtures/llm_calls.json: recorded model responses in order, one a line (null fields
    left out); empty when the run made no model call."""
    calls = run.llm_calls()
    if not calls:
        return ""
    return list_lines(_LLM_CALLS.dump_json(calls, include={"__all__": _LLM_FIELDS},
                                           exclude_none=True))


def model_tape(run: TraceRun, case_id: str | None) -> TapeFromRun:
    """fixtures/model_tape.jsonl's tape (made from the redacted run), or why there is none."""
    return tape_from_run(run, case_id, run.source.format if run.source else None)


def fixture_files(run: TraceRun, tape: TapeFromRun | None = None
                  ) -> dict[str, str | Iterator[str]]:
    """Relative path -> text of every fixture file for this run; tool_calls.json as pieces
    made while it is written (a big run's whole text never held). ``tape``: the run's
    ``model_tape`` when made already."""
    tape = tape or model_tape(run, None)
    files: dict[str, str | Iterator[str]] = {
        "fixtures/input.json": dumps(input_fixture(run)),
        "fixtures/tool_calls.json": dumps_items(tool_calls_fixture(run)),
    }
    llm_calls = llm_calls_fixture(run)
    if llm_calls:
        files["fixtures/llm_calls.json"] = llm_calls
    if tape.tape is not None:
        files[f"fixtures/{TAPE_FILE}"] = tape_text(tape.tape)
    return files
