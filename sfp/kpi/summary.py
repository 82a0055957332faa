"""Quality-gate KPIs from the event store: pass rate, failures by gate, slowest gates."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import median
from typing import Any


@dataclass(frozen=True)
class GateStats:
    name: str
    runs: int
    failures: int  # failed, timeout or error
    median_ms: float
    max_ms: int


@dataclass(frozen=True)
class KpiSummary:
    runs: int  # gate runs (one per Stop or `sfp gates`)
    passed_runs: int  # runs in which no gate failed
    gates: tuple[GateStats, ...]

    @property
    def pass_rate(self) -> float | None:
        return self.passed_runs / self.runs if self.runs else None


def summarize(events: Iterable[Mapping[str, Any]]) -> KpiSummary:
    runs = passed = 0
    durations: dict[str, list[int]] = defaultdict(list)
    failures: Counter[str] = Counter()
    for event in events:
        runs += 1
        listed = event.get("gates")
        gates = [g for g in listed if isinstance(g, dict) and isinstance(g.get("name"), str)] \
            if isinstance(listed, list) else []
        bad = [g for g in gates if g.get("status") in ("failed", "timeout", "error")]
        passed += not bad
        for gate in gates:
            if gate.get("status") != "skipped":
                duration = gate.get("duration_ms")
                # a hand-edited or damaged event: only a plausible count of milliseconds counts
                plausible = isinstance(duration, int) and not isinstance(duration, bool) and 0 <= duration < 2**53
                durations[gate["name"]].append(duration if isinstance(duration, int) and plausible else 0)
        failures.update(g["name"] for g in bad)
    stats = tuple(GateStats(name, len(times), failures[name], float(median(times)), max(times))
                  for name, times in durations.items())
    return KpiSummary(runs, passed, stats)


def failures_by_gate(summary: KpiSummary) -> list[GateStats]:
    return sorted((g for g in summary.gates if g.failures), key=lambda g: (-g.failures, g.name))


def slowest(summary: KpiSummary, count: int = 5) -> list[GateStats]:
    return sorted(summary.gates, key=lambda g: (-g.median_ms, g.name))[:count]
