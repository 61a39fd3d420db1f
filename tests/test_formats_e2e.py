"""Every failed scenario of the real traces scaffolds into a sound case, and a runner that
writes the original foreign-format file back reproduces the failure."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from replaycase.case import load_case
from replaycase.case.lint import lint_case
from replaycase.importers import load_trace
from replaycase.replay.case_run import ReplayOptions, replay_case
from replaycase.scaffolding.build import ScaffoldOptions, scaffold

TRACES = Path(__file__).parent / "data" / "traces"
FOLDERS = {
    "replayt": "{}.jsonl",
    "otlp-genai": "{}.json",
    "openinference": "{}.json",
    "langsmith": "{}.runs.json",
    "langsmith-tree": "{}.tree.json",
    "openai-agents": "{}.json",
    "openai-agents-responses": "{}.responses-api.json",
    "transcript-openai": "{}.json",
    "transcript-anthropic": "{}.json",
}
HELP = {
    "tool-loop": [],
    "no-final-output": [],
    "wrong-tool": ["tool_called: issue_refund"],
    "tool-error-unhandled": ["final_output_contains: paid in full"],
}
# The Responses-API export carries no answer text: the tool error is what it shows.
HELP_RESPONSES = {"tool-error-unhandled": ["tool_error_count: {min: 1}"]}


def _trace(flavor: str, scenario: str) -> Path:
    folder = flavor.split("-tree")[0].replace("openai-agents-responses", "openai-agents")
    return TRACES / folder / FOLDERS[flavor].format(scenario)


CASES = [(f, s) for f in FOLDERS for s in HELP]


@pytest.mark.parametrize(("flavor", "scenario"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
def test_scenario_scaffolds_sound_and_reproduces(tmp_path: Path, flavor: str,
                                                 scenario: str) -> None:
    trace = _trace(flavor, scenario)
    runs = load_trace(trace)
    observed = HELP[scenario]
    if flavor == "openai-agents-responses":
        observed = HELP_RESPONSES.get(scenario, observed)
    options = ScaffoldOptions(observed=observed)
    if len(runs) > 1:
        options.run_id = runs[0].run_id
    out = tmp_path / "cases" / scenario
    [report] = scaffold(trace, out, options)
    if not observed:
        keys = [next(iter(entry)) for entry in report.observed]
        assert {"status_is", "final_output_exists", "repeated_tool_call"} & set(keys), keys
    lint = lint_case(out)
    assert lint.clean, lint.problems
    cmd = f'cp {shlex.quote(str(trace))} "$REPLAYCASE_OUTPUT_PATH"'
    result = replay_case(load_case(out), ReplayOptions(runner_cmd=cmd,
                                                       evidence_root=tmp_path / "runs"))
    assert result.verdict == "reproduced", [s.message for s in result.signatures]


@pytest.mark.parametrize("flavor", sorted(FOLDERS))
def test_happy_run_is_refused_without_observed(tmp_path: Path, flavor: str) -> None:
    from replaycase.errors import InputError

    trace = _trace(flavor, "happy")
    with pytest.raises(InputError, match="--observed"):
        scaffold(trace, tmp_path / "case")
