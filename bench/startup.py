"""Time `replaycase --version` and `replaycase --help`: median and minimum wall time in ms.

    python bench/startup.py            # 20 runs each
    python bench/startup.py --runs 50

Runs the installed console script directly (not through a shell or a pyenv shim), so the
figure is the interpreter's start-up plus replaycase's own imports. For reference it also
times a bare interpreter (`python -c pass`), the floor no CLI can go under.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

BUDGET_MS = {"--version": 120.0}


def console_script() -> list[str]:
    """The command that starts replaycase's console script without a wrapper."""
    script = Path(sysconfig.get_path("scripts")) / "replaycase"
    if script.is_file():
        return [str(script)]
    found = shutil.which("replaycase")
    if found is None:
        raise SystemExit("replaycase is not installed (pip install -e .)")
    return [found]


def time_runs(command: list[str], runs: int) -> list[float]:
    """Wall time of each run, in ms (after one warm-up run)."""
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per command (default 20)")
    args = parser.parse_args()
    script = console_script()
    rows = [("python -c pass", [sys.executable, "-c", "pass"], None)]
    rows += [(f"replaycase {flag}", [*script, flag], BUDGET_MS.get(flag))
             for flag in ("--version", "--help")]
    over = False
    print(f"{'command':<22}{'median ms':>11}{'min ms':>9}  budget")
    for name, command, budget in rows:
        times = time_runs(command, args.runs)
        median = statistics.median(times)
        verdict = ""
        if budget is not None:
            verdict = f"{budget:.0f} ms {'ok' if median <= budget else 'OVER'}"
            over = over or median > budget
        print(f"{name:<22}{median:>11.1f}{min(times):>9.1f}  {verdict}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
