"""Alert levels from failure and timeout rates over the gates that ran (the runbook's thresholds)."""

from __future__ import annotations

import pytest

from helpers import DATA
from sfp.gates.alerts import evaluate, has_critical
from sfp.config.miniyaml import loads

THRESHOLDS = loads((DATA / "compat" / "alerts.yaml").read_text())["thresholds"]


@pytest.mark.parametrize("statuses, expected", [
    (["passed"] * 4, []),
    (["failed", "passed"], [("CRITICAL", "failure_rate")]),
    (["failed"] + ["passed"] * 4, [("HIGH", "failure_rate")]),
    (["failed"] + ["passed"] * 9, [("MEDIUM", "failure_rate")]),
    (["failed"] + ["passed"] * 19, [("LOW", "failure_rate")]),
    (["failed"] + ["passed"] * 39, [("INFO", "failure_rate")]),
    (["timeout"] + ["passed"] * 2, [("CRITICAL", "timeout_rate")]),
    (["failed", "skipped", "skipped", "skipped"], [("CRITICAL", "failure_rate")]),  # skipped ones don't count
    (["skipped"], []),
])
def test_levels(statuses: list[str], expected: list[tuple[str, str]]) -> None:
    assert [(a.level, a.metric) for a in evaluate(statuses, THRESHOLDS)] == expected


def test_render_uses_the_runbook_emoji() -> None:
    [alert] = evaluate(["failed", "passed"], THRESHOLDS)
    assert alert.render() == "🔴 [CRITICAL] Failure rate: 50% >= 50%" and has_critical([alert])
