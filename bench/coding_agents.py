"""Import (and scaffold) a big generated coding-agent session: Claude Code and Codex CLI.

    python bench/coding_agents.py [--mb 200] [--only claude-code|codex-cli] [--scaffold]

Each session is made of rounds shaped like the real ones in tests/data/traces/: Claude Code's
assistant message streamed over two lines (text, then a tool_use) with a hook progress line,
the tool_result (with a ``toolUseResult`` copy, as Claude Code writes it), and every 20th round a
Task sub-agent of 6 ``agent_progress`` lines, each repeating the sub-agent's prompt as Claude
Code does; Codex's reasoning, function_call, token_count, function_call_output and
exec_command_end. Tool outputs are ``--output-kb`` of text. Like the real tools, a session
compacts its context (Claude Code's ``compact_boundary`` + summary, Codex's ``compacted``)
every ``--compact-every`` rounds, so a model call's request is at most that many rounds long.

Each measurement runs in a fresh interpreter: ``load_trace`` (and ``scaffold`` with
--scaffold). Printed: file MB, rounds, events, seconds, MB/s, peak RSS (max RSS) in MB and
RSS over file size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

MEASURE = """
import json, resource, sys, time
from pathlib import Path
mode, trace, out, tool = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
from replaycase.importers import load_trace
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
start = time.perf_counter()
info = {}
if mode == "import":
    runs = load_trace(trace)
    info["events"] = sum(len(run.events) for run in runs)
    info["tool_calls"] = sum(len(run.tool_calls()) for run in runs)
else:
    scaffold(trace, out, ScaffoldOptions(observed=[f"tool_called: {tool}"]))
info["wall_s"] = time.perf_counter() - start
info["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(info))
"""
_PROMPT = "Investigate the failing test and report the fix. " * 40


def _claude_round(n: int, output: str) -> Iterator[dict[str, object]]:
    base = {"sessionId": "bench-session", "version": "2.1.38", "cwd": "/repo",
            "isSidechain": False, "timestamp": f"2026-02-10T21:{n // 60 % 60:02d}:{n % 60:02d}Z"}
    msg = {"model": "claude-opus-4-6", "id": f"msg_{n:08d}", "role": "assistant",
           "usage": {"input_tokens": 3, "cache_read_input_tokens": 20000, "output_tokens": 40}}
    call = f"toolu_{n:08d}"
    task = n % 20 == 19
    use = {"type": "tool_use", "id": call, "name": "Task" if task else "Bash",
           "input": {"prompt": _PROMPT} if task else {"command": f"pytest -k case{n}"}}
    yield {**base, "type": "assistant", "uuid": f"a{n}", "message": {
        **msg, "content": [{"type": "text", "text": f"Running check {n}."}]}}
    yield {**base, "type": "assistant", "uuid": f"b{n}", "message": {**msg, "content": [use]}}
    yield {**base, "type": "progress", "uuid": f"p{n}", "parentToolUseID": call,
           "data": {"type": "hook_progress", "hookEvent": "PreToolUse", "command": "guard"}}
    for step in range(6 if task else 0):
        inner_use = {"type": "tool_use", "id": f"sub{n}_{step}", "name": "Read",
                     "input": {"file_path": f"/repo/f{step}.py"}}
        inner = {"type": "assistant", "message": {"role": "assistant", "model": "haiku",
                                                  "content": [inner_use]}} if step % 2 == 0 \
            else {"type": "user", "message": {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": f"sub{n}_{step - 1}",
                 "content": output[:2000]}]}}
        yield {**base, "type": "progress", "uuid": f"s{n}_{step}", "parentToolUseID": call,
               "data": {"type": "agent_progress", "agentId": f"ag{n}", "prompt": _PROMPT,
                        "message": inner, "normalizedMessages": []}}
    yield {**base, "type": "user", "uuid": f"r{n}", "toolUseResult": {"stdout": output},
           "message": {"role": "user", "content": [
               {"type": "tool_result", "tool_use_id": call, "content": output,
                "is_error": n % 7 == 0}]}}


def _claude_compact(n: int) -> Iterator[dict[str, object]]:
    yield {"type": "system", "subtype": "compact_boundary", "sessionId": "bench-session",
           "uuid": f"c{n}", "content": "Conversation compacted"}
    yield {"type": "user", "sessionId": "bench-session", "uuid": f"cs{n}", "isCompactSummary":
           True, "message": {"role": "user", "content": f"Summary of rounds up to {n}."}}


def _codex_round(n: int, output: str) -> Iterator[dict[str, object]]:
    ts = f"2026-05-11T08:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
    call = f"call_{n:08d}"

    def rec(kind: str, **payload: object) -> dict[str, object]:
        return {"timestamp": ts, "type": kind, "payload": payload}

    yield rec("response_item", type="reasoning", summary=[], encrypted_content="gAAA" * 200)
    yield rec("response_item", type="function_call", name="exec_command", call_id=call,
              arguments=json.dumps({"cmd": f"pytest -k case{n}", "workdir": "/repo"}))
    usage = {"input_tokens": 20000, "cached_input_tokens": 18000, "output_tokens": 60,
             "total_tokens": 20060}
    yield rec("event_msg", type="token_count",
              info={"total_token_usage": usage, "last_token_usage": usage})
    yield rec("response_item", type="function_call_output", call_id=call,
              output=f"Process exited with code 0\nOutput:\n{output}")
    yield rec("event_msg", type="exec_command_end", call_id=call, exit_code=0,
              aggregated_output=output, status="completed")


def _codex_compact(n: int) -> Iterator[dict[str, object]]:
    yield {"timestamp": "2026-05-11T09:00:00.000Z", "type": "compacted",
           "payload": {"message": f"Summary of rounds up to {n}."}}


def _claude_head() -> list[dict[str, object]]:
    return [{"type": "user", "sessionId": "bench-session", "uuid": "u0", "version": "2.1.38",
             "message": {"role": "user", "content": "Fix the failing tests."}}]


def _codex_head() -> list[dict[str, object]]:
    return [{"timestamp": "2026-05-11T08:00:00.000Z", "type": "session_meta", "payload": {
                "id": "bench-rollout", "cli_version": "0.125.0", "originator": "codex-tui",
                "base_instructions": {"text": "You are Codex."}}},
            {"timestamp": "2026-05-11T08:00:00.000Z", "type": "turn_context",
             "payload": {"model": "gpt-5.5"}},
            {"timestamp": "2026-05-11T08:00:00.000Z", "type": "response_item", "payload": {
                "type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "Fix the failing tests."}]}}]


Rounds = Callable[[int, str], Iterator[dict[str, object]]]
SHAPES: dict[str, tuple[Callable[[], list[dict[str, object]]], Rounds,
                        Callable[[int], Iterator[dict[str, object]]]]] = {
    "claude-code": (_claude_head, _claude_round, _claude_compact),
    "codex-cli": (_codex_head, _codex_round, _codex_compact),
}


def write_session(fmt: str, path: Path, mb: float, output_kb: float,
                  compact_every: int) -> int:
    """A session of about ``mb`` megabytes; the number of rounds written."""
    head, round_of, compact = SHAPES[fmt]
    output = ("x" * 99 + "\n") * max(1, int(output_kb * 10))
    limit, n = mb * 1e6, 0
    with path.open("w") as out:
        for record in head():
            out.write(json.dumps(record) + "\n")
        while out.tell() < limit:
            for record in round_of(n, output):
                out.write(json.dumps(record) + "\n")
            n += 1
            if n % compact_every == 0:
                for record in compact(n):
                    out.write(json.dumps(record) + "\n")
    return n


TOOLS = {"claude-code": "Bash", "codex-cli": "exec_command"}


def measure(mode: str, trace: Path, fmt: str) -> dict[str, float]:
    """One measurement in a fresh interpreter."""
    out = trace.with_suffix(".case")
    done = subprocess.run([sys.executable, "-c", MEASURE, mode, str(trace), str(out),
                           TOOLS[fmt]],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{trace.name}: {mode} failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=200.0, help="size of each session")
    parser.add_argument("--output-kb", type=float, default=8.0, help="size of a tool output")
    parser.add_argument("--compact-every", type=int, default=60, help="rounds per context")
    parser.add_argument("--only", choices=sorted(SHAPES))
    parser.add_argument("--scaffold", action="store_true", help="scaffold a case too")
    args = parser.parse_args()
    print(f"{'format':<13}{'mode':<10}{'MB':>7}{'rounds':>8}{'events':>9}{'s':>7}{'MB/s':>7}"
          f"{'RSS MB':>8}{'RSS/MB':>7}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in [args.only] if args.only else list(SHAPES):
            path = Path(tmp) / f"{fmt}.jsonl"
            rounds = write_session(fmt, path, args.mb, args.output_kb, args.compact_every)
            size = path.stat().st_size / 1e6
            for mode in ["import", *(["scaffold"] if args.scaffold else [])]:
                info = measure(mode, path, fmt)
                print(f"{fmt:<13}{mode:<10}{size:7.1f}{rounds:8d}{info.get('events', 0):9.0f}"
                      f"{info['wall_s']:7.1f}{size / info['wall_s']:7.1f}"
                      f"{info['max_rss_mb']:8.0f}{info['max_rss_mb'] / size:7.1f}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
