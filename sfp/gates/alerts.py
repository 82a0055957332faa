"""Alert levels from a gate run's failure and timeout rates (alerts.yaml, the runbook's thresholds)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sfp.infra.record import Record

LEVELS: Final = ("critical", "high", "medium", "low")
EMOJI: Final = {"CRITICAL": "🔴", "HIGH": "🟠", "MEDIUM": "🟡", "LOW": "🟢", "INFO": "🔵"}
METRICS: Final = (("failure_rate", "Failure rate", "failed"), ("timeout_rate", "Timeout rate", "timeout"))
# Below this many gates that ran, a rate means nothing (one failing gate is 100%): no alert.
DEFAULT_MIN_GATES: Final = 2


class Alert(Record):
    level: str  # CRITICAL | HIGH | MEDIUM | LOW | INFO
    metric: str
    value: float
    threshold: float | None

    def render(self, emoji: bool = True) -> str:
        name = dict((m, label) for m, label, _ in METRICS)[self.metric]
        bound = f" >= {self.threshold:.0%}" if self.threshold is not None else ""
        mark = f"{EMOJI[self.level]} " if emoji else ""
        return f"{mark}[{self.level}] {name}: {self.value:.0%}{bound}"


def evaluate(statuses: Sequence[str], thresholds: Mapping[str, Any]) -> list[Alert]:
    """Alerts over the gates that ran (skipped ones don't count); a rate of 0 raises nothing, and neither does
    a run of fewer than `thresholds["min_gates"]` gates (default 2)."""
    ran = [s for s in statuses if s != "skipped"]
    minimum = thresholds.get("min_gates", DEFAULT_MIN_GATES)
    if not ran or len(ran) < (minimum if isinstance(minimum, int) else DEFAULT_MIN_GATES):
        return []
    alerts = []
    for metric, _, status in METRICS:
        rate = sum(1 for s in ran if s == status) / len(ran)
        if rate > 0:
            alerts.append(_level_for(metric, rate, thresholds))
    return alerts


def _level_for(metric: str, rate: float, thresholds: Mapping[str, Any]) -> Alert:
    for level in LEVELS:
        bound = thresholds.get(level, {}).get(metric) if isinstance(thresholds.get(level), dict) else None
        if isinstance(bound, (int, float)) and rate >= bound:
            return Alert(level.upper(), metric, rate, float(bound))
    return Alert("INFO", metric, rate, None)


def has_critical(alerts: Sequence[Alert]) -> bool:
    return any(a.level == "CRITICAL" for a in alerts)
