"""Fixtures: the frozen inputs and outputs a runner is served during a replay."""

from __future__ import annotations

import json
from typing import Any

from ..model import TraceRun
from ..trace_json import dumps_items


def dumps(value: Any) -> str:
    """Stable, readable JSON for files in a case folder."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"


def input_fixture(run: TraceRun) -> dict[str, Any]:
    """fixtures/input.json: what the run was asked."""
    return {"run_id": run.run_id, "input": run.input}


def tool_calls_fixture(run: TraceRun) -> list[dict[str, Any]]:
    """fixtures/tool_calls.json: recorded tool calls in order, each with its output."""
    return [
        {
            "seq": call.seq,
            "call_id": call.call_id,
            "tool_name": call.tool_name,
            "tool_args": call.tool_args,
            "output": call.output,
            "is_error": call.is_error,
        }
        for call in run.tool_calls()
    ]


def llm_calls_fixture(run: TraceRun) -> list[dict[str, Any]]:
    """fixtures/llm_calls.json: recorded model responses in order."""
    return [
        {
            "seq": call.seq,
            "model": call.model,
            "response": call.response,
            "tool_calls": [c.model_dump() for c in call.tool_calls],
            "usage": call.usage.model_dump(exclude_none=True) if call.usage else None,
            "error": call.error,
        }
        for call in run.llm_calls()
    ]


def fixture_files(run: TraceRun) -> dict[str, str]:
    """Relative path -> text of every fixture file for this run."""
    files = {
        "fixtures/input.json": dumps(input_fixture(run)),
        "fixtures/tool_calls.json": dumps_items(tool_calls_fixture(run)),
    }
    llm_calls = llm_calls_fixture(run)
    if llm_calls:
        files["fixtures/llm_calls.json"] = dumps_items(llm_calls)
    return files
