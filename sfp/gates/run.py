"""A quality-gate run as one value: which gates apply to the changed files, their results, the alerts."""

from __future__ import annotations

import os
import threading
from types import MappingProxyType
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple

from sfp.gates.alerts import Alert, evaluate, has_critical
from sfp.gates.definitions import Gate, run_settings, tier_gates
from sfp.gates.globs import matching
from sfp.gates.runner import GateResult, GateSpec, run_gates

STATUSES: Final = ("passed", "failed", "timeout", "skipped", "error")
EventHook = Callable[[str, GateSpec, "GateResult | None"], None]


class GateRun(NamedTuple):
    tier: str
    project: Path
    changed_files: tuple[str, ...]
    results: tuple[GateResult, ...]
    alerts: tuple[Alert, ...]
    duration_ms: int
    thresholds: Mapping[str, Any] = MappingProxyType({})  # alerts.yaml's, as the run was rated

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def blocking(self) -> list[GateResult]:
        """Failed gates that must stop the session: critical ones (failed, timed out or broken)."""
        return [r for r in self.results if r.critical and r.status in ("failed", "timeout", "error")]

    def failed(self) -> list[GateResult]:
        return [r for r in self.results if r.status in ("failed", "timeout", "error")]

    def should_fail(self) -> bool:
        """The CLI's exit 1: a required or critical gate failed, or a CRITICAL alert fired."""
        return any(r.required or r.critical for r in self.failed()) or has_critical(self.alerts)


def applicable(gates: Sequence[Gate], changed: Sequence[str], *, all_files: bool) -> list[tuple[Gate, list[str]]]:
    """Each gate with the changed files it cares about; gates with no such file are left out."""
    chosen = []
    for gate in gates:
        if all_files:
            chosen.append((gate, list(changed)))
            continue
        hits = matching(changed, gate.file_patterns) if gate.file_patterns else list(changed)
        if hits:
            chosen.append((gate, hits))
    return chosen


def run_tier(
    data: Mapping[str, Any],
    thresholds: Mapping[str, Any],
    tier: str,
    project: Path,
    changed: Sequence[str],
    *,
    all_files: bool = False,
    time_limit_s: float | None = None,
    redact: Callable[[str], str] = lambda s: s,
    on_event: EventHook | None = None,
    cancel: threading.Event | None = None,
    environ: Mapping[str, str] | None = None,
) -> GateRun:
    started = time.monotonic()
    selected = applicable(tier_gates(data, tier), changed, all_files=all_files)
    settings = run_settings(data)
    if time_limit_s is not None:
        limit_ms = max(int(time_limit_s * 1000), 1)
        settings = settings._replace(timeout_ms=min(settings.timeout_ms or limit_ms, limit_ms))
    specs = [gate.spec for gate, _ in selected]
    results = run_gates(specs, settings, cwd=project, redact=redact, on_event=on_event, cancel=cancel,
                        environ=os.environ if environ is None else environ) if specs else []
    alerts = evaluate([r.status for r in results], thresholds)
    return GateRun(tier, project, tuple(changed), tuple(results), tuple(alerts),
                   int((time.monotonic() - started) * 1000), thresholds)
