"""A quality-gate run as one value: which gates apply to the changed files, their results, the alerts."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from sfp.gates.alerts import Alert, evaluate, has_critical
from sfp.gates.definitions import Gate, run_settings, tier_gates
from sfp.gates.globs import matching
from sfp.gates.runner import SKIPPED, Builtin, GateResult, GateSpec, run_gates
from sfp.infra.record import Record

STATUSES: Final = ("passed", "failed", "timeout", "skipped", "error")
SKIP_VARIABLE: Final = "SFP_SKIP"  # `name,name` or `all`: gates skipped for this one run
SKIPPED_BY_REQUEST: Final = f"skipped by {SKIP_VARIABLE}"
EventHook = Callable[[str, GateSpec, "GateResult | None"], None]


class GateRun(Record):
    tier: str
    project: Path
    changed_files: tuple[str, ...]
    results: tuple[GateResult, ...]
    alerts: tuple[Alert, ...]
    duration_ms: int
    thresholds: Mapping[str, Any] = MappingProxyType({})  # alerts.yaml's, as the run was rated
    skipped_by_request: tuple[str, ...] = ()  # gates SFP_SKIP left out of this run

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def blocking(self) -> list[GateResult]:
        """Failed gates that must stop the session: critical ones (failed, timed out or broken), less those the
        run's own time limit cut short (no change to the code can fix a budget)."""
        return [r for r in self.results
                if r.critical and r.status in ("failed", "timeout", "error") and not r.cut_by_run_limit]

    def cut_short(self) -> list[GateResult]:
        """Gates the run's time limit stopped or never started."""
        return [r for r in self.results if r.cut_by_run_limit]

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


def select(gates: Sequence[Gate], names: Sequence[str], tier: str) -> list[Gate]:
    """The gates called `names` (all of them when none is named), in the tier's order."""
    if not names:
        return list(gates)
    known = {gate.spec.name for gate in gates}
    unknown = [name for name in names if name not in known]
    if unknown:
        from sfp.errors import UsageError

        raise UsageError(f"no gate {', '.join(f'`{n}`' for n in unknown)} in tier `{tier}`; "
                         f"its gates: {', '.join(sorted(known)) or 'none'}")
    return [gate for gate in gates if gate.spec.name in names]


def skip_request(environ: Mapping[str, str]) -> frozenset[str]:
    """SFP_SKIP's gate names (`all` for every gate)."""
    return frozenset(n.strip() for n in environ.get(SKIP_VARIABLE, "").split(",") if n.strip())


def run_tier(
    data: Mapping[str, Any],
    thresholds: Mapping[str, Any],
    tier: str,
    project: Path,
    changed: Sequence[str],
    *,
    all_files: bool = False,
    names: Sequence[str] = (),
    time_limit_s: float | None = None,
    redact: Callable[[str], str] = lambda s: s,
    on_event: EventHook | None = None,
    cancel: threading.Event | None = None,
    environ: Mapping[str, str] | None = None,
    builtins: Mapping[str, Builtin] | None = None,
) -> GateRun:
    """Run the tier's gates (or those called `names`) that apply to `changed`, each given its files."""
    started = time.monotonic()
    environ = os.environ if environ is None else environ
    if builtins is None:
        from sfp.gates.inprocess import builtins as default_builtins

        builtins = default_builtins()
    selected = applicable(select(tier_gates(data, tier), names, tier), changed, all_files=all_files)
    skip = skip_request(environ)
    skipped = tuple(gate.spec.name for gate, _ in selected if "all" in skip or gate.spec.name in skip)
    settings = run_settings(data)
    if time_limit_s is not None:
        limit_ms = max(int(time_limit_s * 1000), 1)
        settings = settings._replace(timeout_ms=min(settings.timeout_ms or limit_ms, limit_ms))
    specs = [gate.spec._replace(files=tuple(hits)) for gate, hits in selected if gate.spec.name not in skipped]
    ran = iter(run_gates(specs, settings, cwd=project, redact=redact, on_event=on_event, cancel=cancel,
                         environ=environ, builtins=builtins) if specs else [])
    results = [_skipped_by_request(gate.spec) if gate.spec.name in skipped else next(ran) for gate, _ in selected]
    alerts = evaluate([r.status for r in results], thresholds)
    return GateRun(tier, project, tuple(changed), tuple(results), tuple(alerts),
                   int((time.monotonic() - started) * 1000), thresholds, skipped)


def _skipped_by_request(spec: GateSpec) -> GateResult:
    return GateResult(spec.name, SKIPPED, None, 0, "", SKIPPED_BY_REQUEST, False, spec.required, spec.critical,
                      spec.fix)
