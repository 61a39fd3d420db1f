"""Scaffold a ~40 MB trace of 150,000 tool calls; compare with json.load of the same file.

    python bench/scaffold_large.py [--calls 150000] [--shape tools|agent] [--phases]

``tools`` (the issue's figure): tool calls and results only. ``agent``: each tool call also
has the model call that asked for it, with usage and a response, as real agent traces do.

Prints the file size, the wall time and peak memory (max RSS) of json.load and of scaffold
(as ``replaycase scaffold`` runs it: the collector paused), each measured in a fresh
subprocess (best of --repeat), and their ratio: of the best times, and the median over
interleaved pairs. Target (issue 13): at most 3x json.load, peak memory at most 8x the file.
``--phases`` times the phases of scaffold.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = """
import json, resource, sys, time
from pathlib import Path
mode, trace, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if mode == "scaffold":
    from replaycase._gcpause import gc_paused
    from replaycase.scaffolding.build import scaffold  # import time is not the parser's
start = time.perf_counter()
if mode == "json":
    with trace.open() as handle:
        json.load(handle)
else:
    with gc_paused():  # as the CLI command runs it
        scaffold(trace, out)
wall = time.perf_counter() - start
print(json.dumps({"wall_s": wall,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_replaykit(path: Path, calls: int) -> None:
    """A failed run that loops: `calls` tool calls with results, then a loop-guard error."""
    _write_run(path, calls, model_calls=False)


def make_agent(path: Path, calls: int) -> None:
    """Like ``make_replaykit``, with a model call (usage, response, requested call) before
    each tool call: the key names and texts real agent traces are full of."""
    _write_run(path, calls, model_calls=True)


def _write_run(path: Path, calls: int, model_calls: bool) -> None:
    with path.open("w") as out:
        out.write('{"run_id": "big-run", "status": "error", "metadata": {"agent": "bench"}, '
                  '"events": [\n')
        out.write(json.dumps({"type": "input_message", "content": "Reconcile every invoice."}))
        for i in range(calls):
            args = {"customer_id": f"C-{i % 5000:05d}", "page": i // 5000}
            result = {"invoice": f"INV-{i:07d}", "amount": round(10 + (i % 977) * 0.37, 2),
                      "status": "open" if i % 3 else "paid",
                      "note": "ok"}
            if model_calls:
                out.write(",\n" + json.dumps({
                    "type": "llm_call", "model": "gpt-4o-mini", "request": f"turn {i + 1}",
                    "response": "I will look up the next page of billing records.",
                    "usage": {"input_tokens": 1200 + i % 50, "output_tokens": 40},
                    "latency_ms": 812.5,
                    "tool_calls": [{"tool_name": "lookup_billing", "args": args,
                                    "call_id": f"c{i}"}]}))
            out.write(",\n" + json.dumps({"type": "tool_call", "tool_name": "lookup_billing",
                                          "args": args, "call_id": f"c{i}"}))
            out.write(",\n" + json.dumps({"type": "tool_result", "tool_name": "lookup_billing",
                                          "call_id": f"c{i}", "output": result}))
        out.write(",\n" + json.dumps({"type": "error", "message": "StepLimitError: max_steps "
                                      f"{calls} exceeded", "error_type": "StepLimitError"}))
        out.write("\n]}\n")


SHAPES = {"tools": make_replaykit, "agent": make_agent}


PHASES = """
import sys, time
from pathlib import Path
from replaycase.assertions import evaluate_all
from replaycase._gcpause import gc_paused
from replaycase.importers import load_trace
from replaycase.redact import Redactor, redact_run
from replaycase.scaffolding.fixtures import fixture_files
from replaycase.scaffolding.signatures import derive_observed, desired_for

def timed(label, work):
    start = time.perf_counter()
    value = work()
    print(f"  {label:<28}{time.perf_counter() - start:6.2f} s")
    return value

with gc_paused():  # as the CLI command runs scaffold
    [run] = timed("import (parse + normalize)", lambda: load_trace(Path(sys.argv[1])))
    run, _ = timed("redaction + source-trace.json", lambda: redact_run(run, Redactor()))
    observed = timed("signatures", lambda: derive_observed(run))
    desired = [d for d in map(desired_for, observed) if d]
    timed("soundness check", lambda: evaluate_all(desired, run))
    timed("fixtures", lambda: fixture_files(run))
"""


def measure(mode: str, trace: Path, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", MEASURE, mode, str(trace), str(out)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=150_000)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tools")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases", action="store_true", help="also time each phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "big.json"
        SHAPES[args.shape](trace, args.calls)
        size_mb = trace.stat().st_size / 1e6
        # Interleaved pairs: on a shared machine the speed drifts, so each scaffold is
        # compared with the json.load measured just before it.
        loads, scaffolds = [], []
        for n in range(args.repeat):
            loads.append(measure("json", trace, Path(tmp) / "unused"))
            scaffolds.append(measure("scaffold", trace, Path(tmp) / f"case-{n}"))
        ratios = sorted(s["wall_s"] / j["wall_s"] for j, s in zip(loads, scaffolds, strict=True))
        best_load = min(r["wall_s"] for r in loads)
        best_scaffold = min(r["wall_s"] for r in scaffolds)
        print(f"trace: {size_mb:.1f} MB, {args.calls} tool calls, shape {args.shape} "
              "(replaykit JSON)")
        print(f"json.load: {best_load:.2f} s, peak RSS {max(r['max_rss_mb'] for r in loads):.0f}"
              " MB")
        peak = max(r["max_rss_mb"] for r in scaffolds)
        print(f"scaffold:  {best_scaffold:.2f} s, peak RSS {peak:.0f} MB "
              f"({peak / size_mb:.1f}x the file, target <= 8x)")
        print(f"ratio scaffold / json.load: best {best_scaffold / best_load:.2f}x, median of "
              f"{len(ratios)} pairs {ratios[len(ratios) // 2]:.2f}x (target <= 3x)")
        if args.phases:
            print("phases (one run, in process):")
            subprocess.run([sys.executable, "-c", PHASES, str(trace)], check=True)


if __name__ == "__main__":
    main()
