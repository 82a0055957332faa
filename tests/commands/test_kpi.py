"""`sfp kpi`: pass rate, failures by gate, slowest gates, from the KPI events gate runs append."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import SfpRunner
from sfp.kpi.store import append_event


def record(claude_dir: Path, gates: list[tuple[str, str, int]], now: float | None = None) -> None:
    append_event(claude_dir, "quality_gates", {"gates": [{"name": n, "status": s, "duration_ms": d} for n, s, d in gates]},
                 session="s", now=now if now is not None else time.time())


def test_pass_rate_failures_and_slowest(sfp: SfpRunner, claude_dir: Path) -> None:
    record(claude_dir, [("lint", "passed", 100), ("tests", "passed", 4000)])
    record(claude_dir, [("lint", "failed", 120), ("tests", "timeout", 9000)])
    record(claude_dir, [("lint", "failed", 110), ("tests", "passed", 5000), ("types", "skipped", 0)])
    append_event(claude_dir, "auto_fix", {"file_type": ".py"}, session="s")  # another kind: not counted
    report = json.loads(sfp("kpi", "--json").out)
    assert report["schema"] == "sfp.kpi/1" and report["run_count"] == 3 and report["passed_run_count"] == 1
    assert [(g["name"], g["failure_count"]) for g in report["failures_by_gate"]] == [("lint", 2), ("tests", 1)]
    assert report["slowest_gates"][0]["name"] == "tests" and report["slowest_gates"][0]["median_ms"] == 5000
    assert "types" not in {g["name"] for g in report["slowest_gates"]}  # skipped runs have no duration
    text = sfp("kpi").out
    assert "3 gate run(s): 33% passed" in text and "lint" in text


def test_since_filters_old_runs(sfp: SfpRunner, claude_dir: Path) -> None:
    record(claude_dir, [("lint", "failed", 1)], now=time.time() - 10 * 86400)
    record(claude_dir, [("lint", "passed", 1)])
    assert json.loads(sfp("kpi", "--json", "--since", "1").out)["run_count"] == 1


def test_no_runs_yet(sfp: SfpRunner) -> None:
    run = sfp("kpi")
    assert run.code == 0 and "no quality-gate runs recorded" in run.out
