"""What each chart shows, from records alone: days on the axis, pass rates, gate figures, hook percentiles."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from sfp.report.datasets import (
    HBARS,
    UNKNOWN_PROJECT,
    Days,
    build_report,
    days_for,
    failures_chart,
    hook_charts,
    hook_rows,
    made_chart,
    pass_rate_chart,
    percentile,
    slowest_gates_chart,
)
from sfp.report.records import GateEvent, HookTiming, Made, Records

UTC = timezone.utc
TODAY = date(2026, 2, 10)


def at(days_ago: int, hour: int = 12) -> datetime:
    return datetime(TODAY.year, TODAY.month, TODAY.day, hour, tzinfo=UTC) - timedelta(days=days_ago)


def run(days_ago: int, *gates: tuple[str, str, int], project: str | None = "/p/a") -> GateEvent:
    event: dict[str, Any] = {"gates": [{"name": n, "status": s, "duration_ms": ms} for n, s, ms in gates]}
    return GateEvent(at(days_ago), project, event)


def test_the_axis_runs_from_the_first_record_to_today_and_by_week_when_long() -> None:
    records = Records(backups=(Made(at(3), None),))
    assert days_for(records, TODAY, None, UTC) == Days(TODAY - timedelta(days=3), TODAY)
    assert days_for(Records(), TODAY, None, UTC) == Days(TODAY, TODAY)
    assert days_for(records, TODAY, TODAY - timedelta(days=7), UTC).start == TODAY - timedelta(days=7)
    long = days_for(Records(backups=(Made(at(200), None),)), TODAY, None, UTC)
    assert long.step == 7 and long.start.weekday() == 0 and long.unit == "week"
    assert long.long_labels()[0].startswith("week of ")


def test_days_are_the_time_zone_s_own() -> None:
    late = Records(backups=(Made(at(1, hour=23), None),))
    east = timezone(timedelta(hours=3))  # 23:00 UTC is already the next day there
    days = days_for(late, TODAY, None, east)
    assert days.start == TODAY and made_chart(late, days, east).series[0].values == (1.0,)


def test_pass_rate_per_day_leaves_days_without_runs_empty() -> None:
    runs = [run(2, ("lint", "passed", 1)), run(2, ("lint", "failed", 1)), run(0, ("lint", "passed", 1))]
    chart = pass_rate_chart(runs, Days(TODAY - timedelta(days=2), TODAY), UTC)
    assert chart.series[0].values == (50.0, None, 100.0)
    assert chart.series[0].notes == ("1 of 2 run(s) passed", "", "1 of 1 run(s) passed")
    assert chart.labels == ("Feb 8", "Feb 9", "Feb 10") and chart.long_labels[0] == "2026-02-08"
    assert pass_rate_chart([], Days(TODAY, TODAY), UTC).empty == "No gate run recorded."


def test_slowest_gates_show_median_and_slowest_run_and_failures_count_timeouts() -> None:
    runs = [run(1, ("tests", "passed", 4000), ("lint", "failed", 100)),
            run(0, ("tests", "timeout", 9000), ("lint", "passed", 300), ("types", "skipped", 0))]
    slow = slowest_gates_chart(runs)
    assert slow.kind == HBARS and slow.labels == ("tests", "lint")  # a skipped gate took no time
    assert [s.values for s in slow.series] == [(6500.0, 200.0), (9000.0, 300.0)]
    failed = failures_chart(runs)
    assert failed.labels == ("lint", "tests") and failed.series[0].values == (1.0, 1.0)
    assert failed.series[0].notes == ("of 2 run(s)", "of 2 run(s)")
    assert failures_chart([run(0, ("lint", "passed", 1))]).empty == "No gate failed."


def test_percentiles_interpolate_between_neighbours() -> None:
    assert percentile([10.0], 0.95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert percentile([0.0, 100.0], 0.95) == pytest.approx(95.0)
    assert percentile(list(map(float, range(1, 101))), 0.95) == pytest.approx(95.05)
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_hooks_busiest_first_with_median_and_p95_per_day() -> None:
    timings = [HookTiming(at(1), "Stop", 100.0), HookTiming(at(1), "Stop", 300.0), HookTiming(at(0), "Stop", 50.0),
               HookTiming(at(0), "SessionStart", 9.0)]
    rows = hook_rows(timings)
    assert [(r.event, r.calls, r.median_ms, r.max_ms) for r in rows] == [("Stop", 3, 100.0, 300.0),
                                                                        ("SessionStart", 1, 9.0, 9.0)]
    stop = hook_charts(timings, Days(TODAY - timedelta(days=1), TODAY), UTC)[0]
    assert stop.key == "hook-stop" and [s.name for s in stop.series] == ["median", "p95"]
    assert stop.series[0].values == (200.0, 50.0) and stop.series[1].values == (290.0, 50.0)
    assert stop.series[0].notes == ("2 call(s)", "1 call(s)")


def test_the_report_has_all_projects_then_each_and_the_unknown_last() -> None:
    records = Records(gate_runs=(run(0, ("lint", "passed", 1)), run(0, ("lint", "failed", 1), project=None)),
                      handoffs=(Made(at(0), "/p/b"),))
    report = build_report(records, Days(TODAY, TODAY), UTC, generated="g", window="w")
    assert [s.title for s in report.scopes] == ["All projects", "/p/a", "/p/b", UNKNOWN_PROJECT]
    assert [s.key for s in report.scopes] == ["all", "project-1", "project-2", "project-3"]
    assert dict(report.scopes[0].facts)["passed"] == "50%" and dict(report.scopes[2].facts)["passed"] == "–"
    assert report.counts == {"gate_run_count": 2, "hook_call_count": 0, "backup_count": 0, "handoff_count": 1,
                             "project_count": 3}
    one = build_report(records.of_project(lambda p: p == "/p/a"), Days(TODAY, TODAY), UTC, generated="g",
                       window="w", project="/p/a")
    assert [s.title for s in one.scopes] == ["/p/a"]
    assert build_report(Records(), Days(TODAY, TODAY), UTC, generated="g", window="w").empty
