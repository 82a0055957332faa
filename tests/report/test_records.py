"""The report's records: one stored item each, or nothing when the item can't be placed in time."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from sfp.report.records import GateEvent, HookTiming, Made, Records, gate_event, hook_timing, made, parse_time

AT = datetime(2026, 2, 10, 12, 0, tzinfo=timezone.utc)


def test_times_are_aware_and_garbage_is_none() -> None:
    assert parse_time("2026-02-10T12:00:00.000Z") == AT
    assert parse_time("2026-02-10T13:00:00+01:00") == AT
    assert parse_time("2026-02-10T12:00:00") == AT  # no zone: UTC, as sfp writes them
    assert [parse_time(v) for v in ("", "yesterday", None, 17)] == [None] * 4


def test_a_gate_event_keeps_its_project_normalised_and_old_ones_have_none() -> None:
    event = {"time": "2026-02-10T12:00:00Z", "kind": "quality_gates", "project": "/p/alpha/", "gates": []}
    assert gate_event(event) == GateEvent(AT, "/p/alpha", event)
    assert gate_event({**event, "project": None}) == GateEvent(AT, None, {**event, "project": None})
    assert gate_event({"kind": "quality_gates", "gates": []}) is None  # no time: nowhere on the axis


def test_only_log_lines_that_timed_a_hook_count() -> None:
    line = {"time": "2026-02-10T12:00:00.000Z", "event": "Stop", "duration_ms": 812.5}
    assert hook_timing(line) == HookTiming(AT, "Stop", 812.5)
    for broken in ({"duration_ms": None}, {"duration_ms": True}, {"duration_ms": -1}, {"duration_ms": math.nan},
                   {"duration_ms": "5"}, {"event": ""}, {"time": "soon"}):
        assert hook_timing({**line, **broken}) is None, broken


def test_projects_are_sorted_with_the_unknown_last_and_can_be_kept_alone() -> None:
    later = AT + timedelta(days=1)
    records = Records(gate_runs=(GateEvent(AT, None, {}), GateEvent(AT, "/p/b", {})),
                      backups=(Made(AT, "/p/A"),), handoffs=(Made(later, "/p/b"),),
                      hook_timings=(HookTiming(AT, "Stop", 1.0),))
    assert records.projects() == ["/p/A", "/p/b", None]
    only_b = records.of_project(lambda p: p == "/p/b")
    assert [r.project for r in only_b.gate_runs] == ["/p/b"] and only_b.backups == ()
    assert only_b.hook_timings == records.hook_timings  # the log names no project: kept whole
    assert made("2026-02-10T12:00:00Z", "/p/b/../b") == Made(AT, "/p/b")
