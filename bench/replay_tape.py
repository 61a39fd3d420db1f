"""Benchmark: an unmodified openai-SDK agent served from a model tape, against a bare stub.

    python bench/replay_tape.py [--turns 200] [--rounds 3] [--startups 30] [--quick] [--check]

The agent (written to a temporary folder, run as its own process like a replay's runner) is
a plain ``openai.OpenAI()`` Chat Completions tool loop: it reads OPENAI_BASE_URL and
OPENAI_API_KEY, calls ``check_invoice`` for as long as the model asks, then prints the
answer. Its model is either

1. **stub**: a bare stdlib ``http.server`` (threaded, HTTP/1.1 keep-alive, like replaycase's)
   that reads each request and writes the next canned answer, or
2. **tape**: replaycase's loopback ``ModelServer`` serving a tape of ``--turns`` turns (turn
   k asks for invoice k, the last one answers), built here from chat messages with
   ``make_key`` as a trace's calls are, written with ``tape_text``, read back with
   ``read_tape`` and matched by ``TapeMatcher`` (mode exact) through a ``TapeSession``, as
   ``replay/tape_serving.py`` serves a case; every request is logged to model-log.jsonl.

Printed: each one's wall time (the agent process; and its loop, without the interpreter's
start-up and the SDK import), their ratio (target <= 1.3); per request, the server-side time
(the handler's, from the request's headers read to the response written: wall time, and the
thread's CPU time, which a busy machine disturbs less) and the client-observed latency
(around ``create()``), p50 / p95, and the overhead (tape minus stub, paired by turn;
target: client-observed p50 < 2 ms); the start-up of a case's server: building the
TapeMatcher and starting and stopping a ModelServer, median of --startups (target <= 50 ms),
and, apart, reading the tape file (read_tape). The rounds alternate stub and tape; wall
times are the best round's, per-request times each turn's lowest over the rounds (what a
busy machine adds is not the server's). ``--check`` exits 1 when a figure is over its target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.replay import model_server
from replaycase.replay.model_server import ModelServer
from replaycase.replay.tape_serving import PLACEHOLDER_KEY, TapeSession, model_env
from replaycase.tape import Answer, AnswerToolCall, AnswerUsage, Tape, TapeHeader, TapeTurn
from replaycase.tape.file import read_tape, tape_text
from replaycase.tape.key import make_key
from replaycase.tape.match import TapeMatcher
from replaycase.tape.protocols import OpenAIChat, Reply
from replaycase.tape.protocols._wire import WireRequest

TARGET_RATIO, TARGET_P50_MS, TARGET_STARTUP_MS = 1.3, 2.0, 50.0
MODEL = "gpt-4o-mini-2024-07-18"
SYSTEM = "You are Acme's invoice agent. Check each invoice with check_invoice, then answer."
QUESTION = "Please check all my open invoices."
AGENT = '''
import json, os, sys, time
from openai import OpenAI

SYSTEM = __SYSTEM__
QUESTION = __QUESTION__
TOOLS = [{"type": "function", "function": {
    "name": "check_invoice", "description": "Check one invoice.",
    "parameters": {"type": "object", "properties": {"invoice": {"type": "string"}},
                   "required": ["invoice"]}}}]


def check_invoice(invoice):
    return {"invoice": invoice, "status": "paid"}


client = OpenAI()
messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
started, latencies = time.perf_counter(), []
while True:
    asked = time.perf_counter()
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages,
                                           tools=TOOLS)
    latencies.append(time.perf_counter() - asked)
    message = reply.choices[0].message
    if not message.tool_calls:
        break
    messages.append({"role": "assistant", "content": message.content, "tool_calls": [
        {"id": c.id, "type": "function",
         "function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in message.tool_calls]})
    for call in message.tool_calls:
        result = check_invoice(**json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
loop = time.perf_counter() - started
print(message.content)
with open(os.environ["BENCH_TIMES"], "w") as out:
    json.dump({"loop_s": loop, "latencies_s": latencies}, out)
'''.replace("__SYSTEM__", repr(SYSTEM)).replace("__QUESTION__", repr(QUESTION))


def invoice(k: int) -> str:
    return f"INV-{k:05d}"


def build_tape(turns: int) -> Tape:
    """Turn k (k < turns) asks for invoice k given the k-1 results so far; the last answers."""
    history = [ChatMessage(role="user", text=QUESTION)]
    out = []
    for k in range(1, turns + 1):
        key = make_key(SYSTEM, history, ["check_invoice"])
        usage = AnswerUsage(input_tokens=40 + 30 * k, output_tokens=12)
        if k == turns:
            answer = Answer(model=MODEL, text=f"All {turns - 1} invoices are paid.",
                            stop_reason="stop", usage=usage)
        else:
            args = {"invoice": invoice(k)}
            answer = Answer(model=MODEL, stop_reason="tool_calls", usage=usage,
                            tool_calls=[AnswerToolCall(name="check_invoice", arguments=args)])
            history += [
                ChatMessage(role="assistant", tool_calls=[RequestedToolCall(
                    tool_name="check_invoice", tool_args=args, call_id=f"c{k}")]),
                ChatMessage(role="tool", call_id=f"c{k}",
                            text=json.dumps({"invoice": invoice(k), "status": "paid"}))]
        out.append(TapeTurn(turn=k, key=key, answer=answer))
    return Tape(header=TapeHeader(case_id="bench-tape", source_format="bench"), turns=out)


def _timed(times: list[tuple[float, float]],
           serve: Callable[..., None]) -> Callable[..., None]:
    def timed(handler: Any) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        serve(handler)
        times.append((time.perf_counter() - started, time.thread_time() - cpu))
    return timed


class _Stub(BaseHTTPRequestHandler):
    """Reads the request, writes the next canned answer: no parsing, no matching, no log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    answers: ClassVar[list[bytes]] = []
    times: ClassVar[list[tuple[float, float]]] = []
    asked = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.lock:
            _Stub.asked += 1
            data = self.answers[min(_Stub.asked, len(self.answers)) - 1]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.times.append((time.perf_counter() - started, time.thread_time() - cpu))

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def canned_answers(tape: Tape) -> list[bytes]:
    """The bodies the tape's server writes for its turns (same JSON), for the stub."""
    chat = OpenAIChat()
    return [json.dumps(chat.json_answer(Reply(
        answer=t.answer, base_id=f"stub_{t.turn}", model=MODEL,
        request=WireRequest(instructions="", messages=[], tools=[]))),
        ensure_ascii=False).encode() for t in tape.turns]


@contextmanager
def stub_server(answers: list[bytes],
                times: list[tuple[float, float]]) -> Iterator[dict[str, str]]:
    """The stub, answering the canned bodies in turn."""
    _Stub.answers, _Stub.times, _Stub.asked = answers, times, 0
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    http.daemon_threads = True
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{http.server_address[1]}/v1"
        yield {"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "sk-stub"}
    finally:
        http.shutdown()
        http.server_close()


@contextmanager
def tape_server(tape_path: Path, work: Path,
                times: list[tuple[float, float]]) -> Iterator[dict[str, str]]:
    """replaycase's server on the tape file, as ``tape_serving.serving`` runs it."""
    tape = read_tape(tape_path)
    session = TapeSession(TapeMatcher(tape.turns, "exact"))
    original = model_server._Handler._serve
    model_server._Handler._serve = _timed(times, original)  # type: ignore[method-assign]
    try:
        with ModelServer(session, api_key=PLACEHOLDER_KEY, log_path=work / "model-log.jsonl",
                         case_id="bench-tape", models=[MODEL]) as server:
            yield model_env(server)
    finally:
        model_server._Handler._serve = original  # type: ignore[method-assign]
    if session.divergences or session.answered != len(tape.turns):
        first = session.divergences[0].message() if session.divergences else ""
        sys.exit(f"bench: the tape answered {session.answered} of {len(tape.turns)} "
                 f"turns {first}")


@dataclass
class Run:
    process_s: float
    loop_s: float
    latencies: list[float]
    server: list[float]
    server_cpu: list[float]


def run_agent(agent: Path, env: dict[str, str], work: Path,
              server: list[tuple[float, float]], turns: int) -> Run:
    times = work / "times.json"
    full = {**os.environ, **env, "BENCH_TIMES": str(times)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(agent)], env=full, capture_output=True,
                          text=True, timeout=600, check=False)
    process = time.perf_counter() - started
    expected = f"All {turns - 1} invoices are paid."
    if done.returncode != 0 or done.stdout.strip() != expected:
        sys.exit(f"bench: the agent failed ({done.returncode}): {done.stdout[-500:]}"
                 f"{done.stderr[-2000:]}")
    figures = json.loads(times.read_text())
    if len(figures["latencies_s"]) != turns or len(server) != turns:
        sys.exit(f"bench: {len(figures['latencies_s'])} requests, {len(server)} served, "
                 f"expected {turns}")
    return Run(process, figures["loop_s"], figures["latencies_s"], [w for w, _ in server],
               [c for _, c in server])


def per_turn_best(runs: list[Run], field: str) -> list[float]:
    """Each turn's lowest time over the rounds, in ms."""
    return [min(values) * 1000 for values in zip(*(getattr(r, field) for r in runs),
                                                 strict=True)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_startup(tape_path: Path, work: Path, count: int) -> tuple[float, float]:
    """Median ms of reading the tape file, and of a case's server start-up as
    ``tape_serving.serving`` does it: the matcher built, a ModelServer started and stopped."""
    loads, starts = [], []
    for n in range(count):
        started = time.perf_counter()
        tape = read_tape(tape_path)
        loaded = time.perf_counter()
        session = TapeSession(TapeMatcher(tape.turns, "exact"))
        with ModelServer(session, api_key=PLACEHOLDER_KEY, log_path=work / f"s{n}.jsonl",
                         case_id="bench-tape", models=[MODEL]):
            pass
        stopped = time.perf_counter()
        loads.append((loaded - started) * 1000)
        starts.append((stopped - loaded) * 1000)
    return statistics.median(loads), statistics.median(starts)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="model turns (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (default 3)")
    parser.add_argument("--startups", type=int, default=30, help="server start-ups timed")
    parser.add_argument("--quick", action="store_true", help="20 turns, 1 round, 5 start-ups")
    parser.add_argument("--check", action="store_true", help="exit 1 when over a target")
    args = parser.parse_args(argv)
    if args.quick:
        args.turns, args.rounds, args.startups = min(args.turns, 20), 1, 5
    if args.turns < 1:
        parser.error("--turns must be at least 1")
    with tempfile.TemporaryDirectory(prefix="replaycase-bench-tape-") as tmp:
        work = Path(tmp)
        agent = work / "agent.py"
        agent.write_text(AGENT)
        tape = build_tape(args.turns)
        tape_path = work / "model_tape.jsonl"
        tape_path.write_text(tape_text(tape), encoding="utf-8")
        answers = canned_answers(tape)
        del tape  # the server holds the tape it reads, as a replay does; not this one too
        stubs: list[Run] = []
        tapes: list[Run] = []
        for _ in range(args.rounds):  # alternate, so drift in machine load hits both
            served: list[tuple[float, float]] = []
            with stub_server(answers, served) as env:
                stubs.append(run_agent(agent, env, work, served, args.turns))
            served = []
            with tape_server(tape_path, work, served) as env:
                tapes.append(run_agent(agent, env, work, served, args.turns))
        load_ms, start_ms = time_startup(tape_path, work, args.startups)
    return report(args, stubs, tapes, load_ms, start_ms)


def report(args: argparse.Namespace, stubs: list[Run], tapes: list[Run], load_ms: float,
           start_ms: float) -> int:
    import openai

    best_stub = min(stubs, key=lambda r: r.loop_s)
    best_tape = min(tapes, key=lambda r: r.loop_s)
    print(f"agent: openai {openai.__version__} SDK, Chat Completions, {args.turns} model turns "
          f"({args.turns - 1} tool calls, then the answer); rounds: {args.rounds}")
    print(f"{'':<18}{'process s':>10}{'loop s':>9}{'server p50':>12}{'p95 ms':>8}"
          f"{'CPU p50':>9}{'p95 ms':>8}{'client p50':>12}{'p95 ms':>8}")
    for name, runs, best in (("stub http.server", stubs, best_stub),
                             ("replaycase tape", tapes, best_tape)):
        server, client = per_turn_best(runs, "server"), per_turn_best(runs, "latencies")
        cpu = per_turn_best(runs, "server_cpu")
        print(f"{name:<18}{min(r.process_s for r in runs):>10.3f}{best.loop_s:>9.3f}"
              f"{pct(server, 0.5):>12.3f}{pct(server, 0.95):>8.3f}"
              f"{pct(cpu, 0.5):>9.3f}{pct(cpu, 0.95):>8.3f}"
              f"{pct(client, 0.5):>12.3f}{pct(client, 0.95):>8.3f}")
    process_ratio = min(r.process_s for r in tapes) / min(r.process_s for r in stubs)
    loop_ratio = best_tape.loop_s / best_stub.loop_s
    overhead = [t - s for t, s in zip(per_turn_best(tapes, "latencies"),
                                      per_turn_best(stubs, "latencies"), strict=True)]
    server = [t - s for t, s in zip(per_turn_best(tapes, "server"),
                                    per_turn_best(stubs, "server"), strict=True)]
    print(f"ratio tape / stub: process {process_ratio:.3f}, loop {loop_ratio:.3f} "
          f"(target <= {TARGET_RATIO}: {_verdict(loop_ratio <= TARGET_RATIO)})")
    p50 = pct(overhead, 0.5)
    print(f"overhead per request, ms: client-observed p50 {p50:.3f} p95 "
          f"{pct(overhead, 0.95):.3f}; server-side p50 {pct(server, 0.5):.3f} p95 "
          f"{pct(server, 0.95):.3f} (target p50 < {TARGET_P50_MS:.0f}: "
          f"{_verdict(p50 < TARGET_P50_MS)})")
    print(f"start-up per case (median of {args.startups}), ms: matcher + start + stop server "
          f"{start_ms:.2f} (target <= {TARGET_STARTUP_MS:.0f}: "
          f"{_verdict(start_ms <= TARGET_STARTUP_MS)}); reading the tape file {load_ms:.2f}")
    over = loop_ratio > TARGET_RATIO or p50 >= TARGET_P50_MS or start_ms > TARGET_STARTUP_MS
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
