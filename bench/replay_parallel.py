"""Benchmark: the overhead of `replaycase replay -j 2` over running the runner bare.

Builds a suite of 60 cases (copies of the committed cases under new ids), then times

1. `replaycase replay SUITE --runner-cmd CMD -j 2` (the whole command: start-up, loading the
   cases, running, judging, evidence, reports), and
2. the same runner command run once per case by `xargs -P 2`, each with the same
   REPLAYCASE_* environment and, like replaycase starts it, in a session of its own
   (`setsid`: with the kernel's autogroup scheduling a session is also a CPU-share group, so
   without it the bare runners would get less CPU than replaycase's on a busy machine),
   with no replaycase around it,

and prints both wall times and their ratio (target: at most 1.10), and the CPU time each
spent (the processes and all their children), which a busy machine disturbs less. The rounds
alternate the two; each figure is the best (lowest) of --rounds rounds, as timeit does,
because anything else running on the machine only ever adds time; the medians are printed
too. With --check the script exits 1 when the ratio is over the target.

    python bench/replay_parallel.py [--cases 60] [--jobs 2] [--rounds 5] [--runner-cmd CMD]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.10
_ENV_SETUP = """d="$1"; n="${d##*/}"; run="$BENCH_OUT/$n"; mkdir -p "$run"
export REPLAYCASE_CASE_DIR="$d" REPLAYCASE_CASE_PATH="$d/case.yaml" \\
  REPLAYCASE_FIXTURES_DIR="$d/fixtures" REPLAYCASE_INPUT_PATH="$d/fixtures/input.json" \\
  REPLAYCASE_SOURCE_TRACE_PATH="$d/source-trace.json" REPLAYCASE_RUN_DIR="$run" \\
  REPLAYCASE_OUTPUT_PATH="$run/runner-output.json" REPLAYCASE_CASE_ID="$n"
exec /bin/sh -c "$BENCH_CMD" >"$run/stdout.log" 2>"$run/stderr.log"
"""


def build_suite(target: Path, count: int) -> list[Path]:
    """``count`` case folders copied round-robin from cases/, each with its own id."""
    sources = sorted(p.parent for p in (ROOT / "cases").glob("*/case.yaml"))
    if not sources:
        sys.exit("bench: no cases under cases/")
    folders = []
    for n in range(count):
        source = sources[n % len(sources)]
        folder = target / f"{source.name}-{n:03d}"
        shutil.copytree(source, folder)
        case_yaml = folder / "case.yaml"
        text = re.sub(r"(?m)^id: .*$", f"id: {folder.name}", case_yaml.read_text())
        case_yaml.write_text(text)
        folders.append(folder)
    return folders


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_replaycase(suite: Path, cmd: str, jobs: int, work: Path) -> tuple[float, float]:
    """(wall, CPU) time of one `replaycase replay` of the suite."""
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    argv = [sys.executable, "-m", "replaycase", "replay", str(suite), "--runner-cmd", cmd,
            "-j", str(jobs), "--evidence-dir", str(runs)]
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode not in (0, 1):
        sys.exit(f"bench: replaycase failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, cpu


def time_xargs(folders: list[Path], cmd: str, jobs: int, work: Path) -> tuple[float, float]:
    """(wall, CPU) time of the runner command run once per case by `xargs -P jobs`."""
    out = work / "xargs"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    listing = "".join(f"{folder}\n" for folder in folders)
    env = dict(os.environ, BENCH_OUT=str(out), BENCH_CMD=cmd)
    argv = ["xargs", "-P", str(jobs), "-n", "1", "setsid", "-w", "/bin/sh", "-c", _ENV_SETUP,
            "sh"]
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, input=listing, env=env, capture_output=True,
                          text=True, check=False)
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"bench: xargs failed ({done.returncode}): {done.stderr.strip()}")
    missing = [f for f in folders if not (out / f.name / "runner-output.json").exists()]
    if missing:
        sys.exit(f"bench: the runner wrote no output for {len(missing)} cases under xargs")
    return elapsed, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runner-cmd", default=f"{shlex.quote(sys.executable)} "
                                                "runners/fixed.py")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when the ratio is over {TARGET}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replaycase-bench-") as tmp:
        work = Path(tmp)
        suite = work / "cases"
        folders = build_suite(suite, args.cases)
        ours, bare = [], []
        for _ in range(args.rounds):  # alternate, so drift in machine load hits both
            bare.append(time_xargs(folders, args.runner_cmd, args.jobs, work))
            ours.append(time_replaycase(suite, args.runner_cmd, args.jobs, work))
    replay_s, xargs_s = min(w for w, _ in ours), min(w for w, _ in bare)
    replay_cpu, xargs_cpu = min(c for _, c in ours), min(c for _, c in bare)
    ratio = replay_s / xargs_s
    print(f"runner command: {args.runner_cmd}")
    print(f"cases: {args.cases}, jobs: {args.jobs}, rounds: {args.rounds} (best of; median)")
    print(f"replaycase replay -j {args.jobs}: {replay_s:.2f}s "
          f"(median {statistics.median(w for w, _ in ours):.2f}s; CPU {replay_cpu:.2f}s)")
    print(f"xargs -P {args.jobs} (bare runner): {xargs_s:.2f}s "
          f"(median {statistics.median(w for w, _ in bare):.2f}s; CPU {xargs_cpu:.2f}s)")
    print(f"CPU ratio: {replay_cpu / xargs_cpu:.3f}")
    print(f"ratio: {ratio:.3f} (target <= {TARGET:.2f}: {'ok' if ratio <= TARGET else 'OVER'})")
    return 1 if args.check and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
