"""Benchmark: the loopback model server's CPU per request, in process (no agent, no HTTP).

    python bench/tape_requests.py [--turns 200] [--rounds 3] [--protocol chat|anthropic]

The requests an agent makes over a tape of ``--turns`` turns (``replay_tape.build_tape``:
turn k asks for invoice k; each request sends the whole conversation so far) are given to
``ModelServer.respond`` one after another, as the handler gives them: parsed, read, keyed,
matched, logged and answered. Printed: the thread's CPU time per request, p50 / p95 and the
mean of the last tenth of the turns (the longest conversations), each turn's lowest over the
rounds (a busy machine adds to the CPU time too, less than to wall time); the start-up: the
tape file read (``read_tape``) and the matcher built (``TapeMatcher``), medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from replay_tape import QUESTION, SYSTEM, build_tape, invoice, pct

from replaycase.replay.model_server import ModelServer
from replaycase.replay.tape_serving import PLACEHOLDER_KEY, TapeSession
from replaycase.tape.file import read_tape, tape_text
from replaycase.tape.match import TapeMatcher

TOOLS = [{"type": "function", "function": {
    "name": "check_invoice", "description": "Check one invoice.",
    "parameters": {"type": "object", "properties": {"invoice": {"type": "string"}},
                   "required": ["invoice"]}}}]


def chat_bodies(turns: int) -> Iterator[bytes]:
    """The Chat Completions bodies the bench agent sends, as the openai SDK writes them."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM},
                                      {"role": "user", "content": QUESTION}]
    for k in range(1, turns + 1):
        yield json.dumps({"messages": messages, "model": "gpt-4o-mini",
                          "tools": TOOLS}).encode()
        call = f"call_bench_{k}_0"
        result = json.dumps({"invoice": invoice(k), "status": "paid"})
        messages = [*messages, {"role": "assistant", "content": None, "tool_calls": [
            {"id": call, "type": "function", "function": {
                "name": "check_invoice", "arguments": json.dumps({"invoice": invoice(k)})}}]},
                    {"role": "tool", "tool_call_id": call, "content": result}]


def anthropic_bodies(turns: int) -> Iterator[bytes]:
    """The same conversation as Anthropic Messages bodies."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    tools = [{"name": "check_invoice", "input_schema": {"type": "object"}}]
    for k in range(1, turns + 1):
        yield json.dumps({"system": SYSTEM, "messages": messages, "model": "claude",
                          "max_tokens": 100, "tools": tools}).encode()
        call = f"toolu_{k}"
        result = json.dumps({"invoice": invoice(k), "status": "paid"})
        messages = [*messages, {"role": "assistant", "content": [
            {"type": "tool_use", "id": call, "name": "check_invoice",
             "input": {"invoice": invoice(k)}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call,
                                                  "content": result}]}]


def one_round(tape_path: Path, work: Path, bodies: list[bytes], path: str) -> list[float]:
    session = TapeSession(TapeMatcher(read_tape(tape_path).turns, "exact"))
    headers = {"authorization": f"Bearer {PLACEHOLDER_KEY}", "x-api-key": PLACEHOLDER_KEY}
    cpu = []
    with ModelServer(session, api_key=PLACEHOLDER_KEY, log_path=work / "model-log.jsonl",
                     case_id="bench-tape") as server:
        for body in bodies:
            started = time.thread_time()
            response = server.respond("POST", path, headers, body)
            cpu.append((time.thread_time() - started) * 1000)
            if response.status != 200:
                sys.exit(f"bench: {response.status} {response.body}")
    return cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--protocol", choices=["chat", "anthropic"], default="chat")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replaycase-bench-requests-") as tmp:
        work = Path(tmp)
        tape_path = work / "model_tape.jsonl"
        tape_path.write_text(tape_text(build_tape(args.turns)), encoding="utf-8")
        if args.protocol == "chat":
            bodies, path = list(chat_bodies(args.turns)), "/v1/chat/completions"
        else:
            bodies, path = list(anthropic_bodies(args.turns)), "/v1/messages"
        rounds = [one_round(tape_path, work, bodies, path) for _ in range(args.rounds)]
        reads, builds = [], []
        for _ in range(5):
            started = time.perf_counter()
            tape = read_tape(tape_path)
            read = time.perf_counter()
            TapeMatcher(tape.turns, "exact")
            reads.append((read - started) * 1000)
            builds.append((time.perf_counter() - read) * 1000)
    best = [min(values) for values in zip(*rounds, strict=True)]
    tail = best[-max(1, len(best) // 10):]
    print(f"{args.protocol}, {args.turns} turns, {args.rounds} rounds; last body "
          f"{len(bodies[-1]) / 1024:.0f} KB")
    print(f"server CPU per request, ms: p50 {pct(best, 0.5):.3f} p95 {pct(best, 0.95):.3f} "
          f"last tenth mean {statistics.mean(tail):.3f}")
    print(f"start-up, ms: read_tape {statistics.median(reads):.1f}, TapeMatcher "
          f"{statistics.median(builds):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
