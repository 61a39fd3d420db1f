"""The Langfuse importer, on the real framework exports in tests/data/traces/langfuse (the UI's
tRPC shape) and one public-API (``TraceWithFullDetails``) file the SDK's models wrote."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, import_in_memory, mutate

from replaycase.importers import load_trace
from replaycase.importers.langfuse import LangfuseImporter
from replaycase.importers.registry import detect, open_document
from replaycase.model import LlmCallEvent, TraceRun, parse_ts
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "langfuse"
GOLDEN = DATA / "golden" / "langfuse-microsoft-agent.json"
FILES = sorted(FOLDER.glob("*.json"))
API_FILE = FOLDER / "openai-agents-2025-09-30.api.json"


def load(name: str) -> TraceRun:
    [run] = load_trace(FOLDER / name)
    return run


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 11


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_imports(path: Path) -> None:
    assert detect(open_document(path)).name == "langfuse"
    [run] = load_trace(path, format="langfuse")
    assert run.source is not None and run.source.format == "langfuse"
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert run.llm_calls() and all(c.model for c in run.llm_calls())
    assert run.has_final_output()
    assert run.status == "success"  # no export has an observation of level ERROR
    raw = json.loads(path.read_text())
    assert run.run_id == raw.get("trace", raw)["id"]


# file: (agent, first model, [(tool, is_error)…], model calls, a piece of the final output)
EXPECTED: dict[str, tuple[str, str, list[tuple[str, bool]], int, str]] = {
    "agno-2025-06-11": ("Agent.run", "gpt-4o-mini", [("duckduckgo_search", False)], 2,
                        "Twitter Explore"),
    "claude-agent-2025-12-22": ("claude.conversation", "claude-sonnet-4-5-20250929",
                                [("mcp__weather__get_weather", False)] * 2, 4,
                                "**Berlin**: Cloudy"),
    "crewai-2025-07-11": ("crewai-index-trace", "gpt-4o-mini", [], 1, "<!DOCTYPE html>"),
    "csharp-agent-with-gemini-2026-03-09": (
        "Insights Agent C#", "gemini-2.5-flash",
        [("get_custom_report", True), ("final_result", False)], 3, "couldn't retrieve"),
    "google-adk-2025-08-28": ("hello_agent", "gemini-2.0-flash", [("say_hello", False)], 2,
                              "Hello Langfuse"),
    "langgraph-python-2025-08-22": ("LangGraph", "gpt-4o-2024-08-06",
                                    [("Web-Search", False)], 2, "example.com"),
    "microsoft-agent-2025-12-17": ("171105b7-59dd-49c0-9677-0b95395aa46a",
                                   "gpt-5-mini-2025-08-07", [("get_weather", False)], 2,
                                   "stormy, high around 23"),
    "openai-agents-2025-09-30": ("Hello world", "gpt-4.1-2025-04-14",
                                 [("get_weather", False)], 2, "Tokyo is currently sunny"),
    "pydantic-ai-tools-2025-12-04": (
        "joke_agent", "gpt-4o-mini-2024-07-18",
        [("get_pun_suggestion", False), ("get_dad_joke_suggestion", False),
         ("get_one_liner_suggestion", False)], 4, "too many bugs"),
    "vercel-aisdk-2025-11-17": ("ai.generateText", "gpt-5", [("getWeather", False)], 1,
                                "getWeather"),
}


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_each_framework_maps_its_agent_model_tools_and_answer(stem: str) -> None:
    agent, model, tools, llm_calls, answer = EXPECTED[stem]
    run = load(f"{stem}.trace.json")
    assert run.metadata.agent == agent and run.metadata.model == model
    assert [(c.tool_name, c.is_error) for c in run.tool_calls()] == tools
    assert all(c.call_id for c in run.tool_calls()), "every tool call is tied to its request"
    assert len(run.llm_calls()) == llm_calls
    assert answer in json.dumps(run.final_output, ensure_ascii=False)
    requested = [c.tool_name for e in run.llm_calls() for c in e.tool_calls]
    assert all(name in requested for name, _ in tools), "each tool ran at a model's request"


def test_the_csharp_tool_error_is_the_tool_s_own_report() -> None:
    run = load("csharp-agent-with-gemini-2026-03-09.trace.json")
    [failed] = [c for c in run.tool_calls() if c.is_error]
    assert failed.output["response_status"] == "Error"
    assert failed.output["message"].startswith("ERROR: No data found")
    assert run.status == "success" and not run.errors()  # the model handled it


def test_nested_generations_are_one_model_call() -> None:
    """Agno's OpenAIChat.invoke holds a ``chat`` generation, Vercel's ai.generateText a
    doGenerate: one call each, read from whichever layer recorded it readably."""
    agno = load("agno-2025-06-11.trace.json")
    assert agno.llm_calls()[0].output_text == ""
    assert agno.llm_calls()[0].tool_calls[0].tool_args == {
        "query": "currently trending on Twitter"}
    assert agno.llm_calls()[0].messages is None  # logged as Python reprs: not recorded
    [vercel] = load("vercel-aisdk-2025-11-17.trace.json").llm_calls()
    assert vercel.messages is not None and vercel.messages[0].text.startswith("What is")
    assert vercel.tools_offered == ["getWeather"] and vercel.stop_reason == "tool-calls"


def _call(run: TraceRun, index: int) -> LlmCallEvent:
    return run.llm_calls()[index]


def test_generation_conversations_are_what_the_model_tape_compares() -> None:
    run = load("openai-agents-2025-09-30.trace.json")
    second = _call(run, 1)
    assert second.instructions == "You are a helpful agent."
    assert [m.role for m in second.messages or []] == ["user", "assistant", "tool"]
    assert second.messages[1].tool_calls[0].tool_args == {"city": "Tokyo"}  # type: ignore[index]
    assert second.messages[2].text == "The weather in Tokyo is sunny."  # type: ignore[index]
    assert second.tools_offered == ["get_weather"]
    adk = _call(load("google-adk-2025-08-28.trace.json"), 1)
    assert adk.instructions is not None and adk.instructions.startswith("Always greet")
    assert [m.role for m in adk.messages or []] == ["user", "assistant", "tool"]
    graph = _call(load("langgraph-python-2025-08-22.trace.json"), 0)
    assert graph.tools_offered == ["Web-Search"]
    assert all(m.role == "user" for m in graph.messages or []), "tool definitions not messages"
    joke = _call(load("pydantic-ai-tools-2025-12-04.trace.json"), 0)
    assert joke.instructions is not None and joke.instructions.startswith("You are a creative")
    assert joke.tools_offered is not None and "get_pun_suggestion" in joke.tools_offered
    assert joke.tool_calls[0].tool_name == "get_pun_suggestion"
    usage = joke.usage
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (265, 73)


def test_scores_are_kept_as_recorded() -> None:
    run = load("openai-agents-2025-09-30.trace.json")
    scores = run.metadata.extra["scores"]
    assert [(s["name"], s["value"]) for s in scores] == [("toxicity", 0.8),
                                                         ("hallucination", 0)]
    assert run.status == "success"  # a score is no failure the trace shows


def test_the_api_shape_reads_as_the_ui_export() -> None:
    api, ui = load(API_FILE.name), load("openai-agents-2025-09-30.trace.json")

    def stripped(run: TraceRun) -> dict[str, Any]:
        """The run without its source, each time as the moment it names."""
        dumped = run.model_dump(mode="json", exclude={"source"})
        for event in dumped["events"]:
            moment = parse_ts(event["ts"])
            event["ts"] = moment.timestamp() if moment else None
        return dumped

    assert stripped(api) == stripped(ui)
    assert api.source is not None and api.source.file == API_FILE.name


def test_an_api_trace_with_errors(tmp_path: Path) -> None:
    raw = json.loads(API_FILE.read_text())
    for obs in raw["observations"]:
        if obs["type"] == "TOOL":
            obs.update(level="ERROR", statusMessage="weather service down", output=None)
        if obs["name"] == "Hello world":
            obs.update(level="ERROR", statusMessage="agent crashed")
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(raw))
    [run] = load_trace(path)
    assert run.status == "error" and [e.message for e in run.errors()] == ["agent crashed"]
    [call] = run.tool_calls()
    assert call.is_error and call.output == "weather service down"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_scaffold_makes_a_case_and_a_tape_where_messages_were_recorded(
        tmp_path: Path, path: Path) -> None:
    [run] = load_trace(path)
    calls = run.tool_calls()
    observed = [f"tool_called: {calls[0].tool_name}"] if calls else ["final_output_contains: html"]
    out = tmp_path / "case"
    scaffold(path, out, ScaffoldOptions(observed=observed))
    assert (out / "case.yaml").is_file()
    tape = out / "fixtures" / "model_tape.jsonl"
    recorded = any(c.messages is not None for c in run.llm_calls())
    assert tape.is_file() == recorded
    assert recorded == (not path.name.startswith("agno"))


def test_golden_microsoft_agent() -> None:
    actual = load("microsoft-agent-2025-12-17.trace.json").model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    assert GOLDEN.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))


def _trpc(**trace: Any) -> dict[str, Any]:
    return {"trace": {"id": "t1", **trace}, "observations": []}


def _obs(**fields: Any) -> dict[str, Any]:
    return {"id": "o1", "type": "SPAN", **fields}


MALFORMED: list[tuple[str, Any, str]] = [
    ("not-json", '{"trace": ', "invalid JSON"),
    ("a-list", [1], "not a Langfuse trace"),
    ("obs-number", {"trace": {"id": "t"}, "observations": [5]},
     "observations[0]: expected an object, got a number"),
    ("obs-no-type", {"trace": {"id": "t"}, "observations": [{"id": "x"}]},
     'observations[0]: an observation without a "type"'),
    ("type-list", {"trace": {"id": "t"}, "observations": [_obs(type=["SPAN"])]},
     "observations[0].type: expected a string"),
    ("start-number", {"trace": {"id": "t"}, "observations": [_obs(startTime=5)]},
     "observations[0].startTime: expected a string"),
    ("id-list", {"trace": {"id": "t"}, "observations": [_obs(id=["x"])]},
     "observations[0].id: expected a string"),
    ("tool-nameless", {"trace": {"id": "t"}, "observations": [_obs(type="TOOL")]},
     "observations[0]: a tool observation without a name"),
    ("parent-list", {"trace": {"id": "t"}, "observations": [_obs(parentObservationId=[1])]},
     "observations[0].parentObservationId: expected a string"),
    ("trace-id-list", _trpc(id=["t"]), "trace.id: expected a string"),
    ("timestamp-number", _trpc(timestamp=3), "trace.timestamp: expected a string"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_one_line_naming_the_file(tmp_path: Path, name: str,
                                                       content: Any, fragment: str) -> None:
    if name == "a-list":
        path = tmp_path / "a-list.json"
        path.write_text(json.dumps(content))
        assert LangfuseImporter().check(open_document(path)) is not None
        return
    assert_malformed(tmp_path / f"{name}.json", content, "langfuse", fragment)


_KEYS = ["trace", "observations", "id", "type", "name", "input", "output", "metadata",
         "level", "statusMessage", "parentObservationId", "startTime", "endTime", "model",
         "usageDetails", "costDetails", "toolDefinitions", "scores", "role", "content",
         "parts", "tool_calls", "attributes"]
_LEAVES = (st.none() | st.booleans() | st.integers(-5, 10**6)
           | st.sampled_from(["GENERATION", "TOOL", "SPAN", "AGENT", "ERROR", "o1", "o2",
                              "2025-09-30T09:03:59.963Z", '{"role": "user"}', "[1]"])
           | st.text(max_size=8))
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner,
                                       max_size=5), max_leaves=15)


@settings(max_examples=50, deadline=None)
@given(st.builds(lambda t, o: {"trace": t, "observations": o},
                 st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=4),
                 st.lists(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=6),
                          max_size=4)))
def test_random_observations_raise_only_replaycase_errors(value: Any) -> None:
    import_in_memory(LangfuseImporter(), value)


_REAL = json.loads((FOLDER / "pydantic-ai-tools-2025-12-04.trace.json").read_text())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_exports_raise_only_replaycase_errors(data: Any) -> None:
    import_in_memory(LangfuseImporter(), mutate(data.draw, copy.deepcopy(_REAL), _JSON))


@pytest.mark.parametrize(("output", "failed"), [
    ({"response_status": "Error", "message": "ERROR: No data found"}, True),
    ({"isError": True, "content": [{"type": "text", "text": "boom"}]}, True),
    ({"status": "error", "error": "timeout"}, True),
    ("An error occurred while running the tool. Please try again.", True),
    ({"status": "failed", "order": "A-1"}, False),  # the order failed, not the tool
    ({"status": "error"}, False),
    ("Error: the customer has no orders", False),
    ({"message": "ERROR is a word"}, False),
])
def test_only_an_output_that_says_the_tool_failed_is_an_error(tmp_path: Path, output: Any,
                                                              failed: bool) -> None:
    raw = json.loads(API_FILE.read_text())
    for obs in raw["observations"]:
        if obs["type"] == "TOOL":
            obs["output"] = output
    path = tmp_path / "tool.json"
    path.write_text(json.dumps(raw))
    [run] = load_trace(path)
    [call] = run.tool_calls()
    assert call.is_error is failed and call.output == output
    assert run.status == "success"
