"""Alert levels from failure and timeout rates over the gates that ran (the runbook's thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import DATA
from sfp.gates.alerts import evaluate, has_critical
from sfp.config.miniyaml import loads
from sfp.errors import ConfigError

THRESHOLDS = loads((DATA / "compat" / "alerts.yaml").read_text())["thresholds"]


@pytest.mark.parametrize("statuses, expected", [
    (["passed"] * 4, []),
    (["failed", "passed"], [("CRITICAL", "failure_rate")]),
    (["failed"] + ["passed"] * 4, [("HIGH", "failure_rate")]),
    (["failed"] + ["passed"] * 9, [("MEDIUM", "failure_rate")]),
    (["failed"] + ["passed"] * 19, [("LOW", "failure_rate")]),
    (["failed"] + ["passed"] * 39, [("INFO", "failure_rate")]),
    (["timeout"] + ["passed"] * 2, [("CRITICAL", "timeout_rate")]),
    (["failed", "failed", "skipped", "skipped"], [("CRITICAL", "failure_rate")]),  # skipped ones don't count
    (["skipped"], []),
    (["failed"], []),  # one gate is no rate: below min_gates (default 2) nothing fires
    (["failed", "skipped", "skipped", "skipped"], []),
])
def test_levels(statuses: list[str], expected: list[tuple[str, str]]) -> None:
    assert [(a.level, a.metric) for a in evaluate(statuses, THRESHOLDS)] == expected


def test_render_uses_the_runbook_emoji() -> None:
    [alert] = evaluate(["failed", "passed"], THRESHOLDS)
    assert alert.render() == "🔴 [CRITICAL] Failure rate: 50% >= 50%" and has_critical([alert])


def test_min_gates_is_read_from_the_thresholds() -> None:
    assert [a.level for a in evaluate(["failed"], {**THRESHOLDS, "min_gates": 1})] == ["CRITICAL"]
    assert evaluate(["failed", "failed", "passed"], {**THRESHOLDS, "min_gates": 4}) == []


def test_the_shipped_alerts_yaml_documents_min_gates_within_the_schema_bounds(tmp_path: Path) -> None:
    from sfp.config.layers import load_config

    claude_dir = tmp_path / "claude"
    claude_dir.mkdir()
    assert load_config("alerts", claude_dir, None).get("thresholds")["min_gates"] == 2
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "alerts.yaml").write_text("thresholds:\n  min_gates: 0\n")
    with pytest.raises(ConfigError, match="min_gates"):
        load_config("alerts", claude_dir, None)
