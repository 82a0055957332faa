"""Time sfp.gates.runner: how well gates overlap, and what the runner adds to each gate.

Usage: python bench/gates_bench.py [--rounds N]

(a) 8 gates of `sleep 1` on 8 workers: the wall time, goal <= 1.15 s.
(b) 20 gates of `true`, one after another and on 8 workers: the wall time and what
    the runner adds per gate over a bare `subprocess.run(["/bin/sh", "-c", "true"])`.
Each figure is the best of N rounds (default 5), with the median next to it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sfp.gates.runner import GateSpec, RunSettings, run_gates  # noqa: E402

SLEEP_GOAL_S = 1.15
TRIVIAL = 20


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    walls = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        walls.append(time.perf_counter() - started)
    return walls


def run_specs(specs: list[GateSpec], settings: RunSettings) -> None:
    results = run_gates(specs, settings, cwd=ROOT)
    bad = [r for r in results if r.status != "passed"]
    if bad:
        raise SystemExit(f"gate {bad[0].name} {bad[0].status}: {bad[0].reason or bad[0].output}")


def bare_shells(count: int) -> None:
    for _ in range(count):
        subprocess.run(["/bin/sh", "-c", "true"], stdin=subprocess.DEVNULL, capture_output=True, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args(argv).rounds

    sleeps = [GateSpec(f"sleep-{i}", "sleep 1", 5000) for i in range(8)]
    trivial = [GateSpec(f"true-{i}", "true", 5000) for i in range(TRIVIAL)]
    rows = [
        ("8 x sleep 1, 8 workers", timed(lambda: run_specs(sleeps, RunSettings(max_workers=8)), rounds), 0),
        (f"{TRIVIAL} x true, sequential", timed(lambda: run_specs(trivial, RunSettings(parallel=False)), rounds),
         TRIVIAL),
        (f"{TRIVIAL} x true, 8 workers", timed(lambda: run_specs(trivial, RunSettings(max_workers=8)), rounds),
         TRIVIAL),
        (f"{TRIVIAL} x bare sh -c true", timed(lambda: bare_shells(TRIVIAL), rounds), TRIVIAL),
    ]
    floor = min(rows[3][1]) / TRIVIAL
    print(f"{'case':32} {'best s':>8} {'median s':>9} {'per gate ms':>12} {'over bare ms':>13}")
    for name, walls, count in rows:  # count 0: a per-gate figure would mean nothing
        per_gate = min(walls) / count if count else 0.0
        each = f"{per_gate * 1000:12.2f}" if count else f"{'':12}"
        extra = f"{(per_gate - floor) * 1000:13.2f}" if count and "bare" not in name else ""
        print(f"{name:32} {min(walls):8.3f} {statistics.median(walls):9.3f} {each} {extra}".rstrip())
    best_sleep = min(rows[0][1])
    verdict = "ok" if best_sleep <= SLEEP_GOAL_S else "MISSED"
    print(f"\n8 x sleep 1: {best_sleep:.3f} s (goal <= {SLEEP_GOAL_S} s): {verdict}")
    return 0 if best_sleep <= SLEEP_GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
