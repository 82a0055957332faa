"""Collecting the records from a lived-in claude dir, whole or since a moment."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from report import lived_in
from sfp.report.collect import collect


def test_every_store_is_read(claude_dir: Path, tmp_path: Path) -> None:
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    alpha.mkdir()
    beta.mkdir()
    lived_in.plant(claude_dir, alpha, beta, time.time())
    records = collect(claude_dir, None)
    assert len(records.gate_runs) == len(lived_in.all_runs())
    assert len(records.hook_timings) == len(lived_in.HOOK_TIMINGS)  # the note without a duration is no timing
    assert [b.project for b in records.backups] == [str(alpha)]
    assert [h.project for h in records.handoffs] == [str(alpha), str(beta)]  # oldest first
    assert records.projects() == sorted([str(alpha), str(beta)]) + [None]


def test_since_keeps_only_what_came_after(claude_dir: Path, tmp_path: Path) -> None:
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    alpha.mkdir()
    beta.mkdir()
    now = time.time()
    lived_in.plant(claude_dir, alpha, beta, now)
    since = datetime.fromtimestamp(now - 0.5 * lived_in.DAY, timezone.utc)
    records = collect(claude_dir, since)
    assert len(records.gate_runs) == sum(1 for runs in (lived_in.ALPHA_RUNS, lived_in.BETA_RUNS, lived_in.UNNAMED_RUNS)
                                         for days, _ in runs if days == 0)
    assert {t.event for t in records.hook_timings} == {"SessionStart", "Stop"}
    assert records.backups == () and [h.project for h in records.handoffs] == [str(beta)]


def test_an_empty_claude_dir_has_no_records(claude_dir: Path) -> None:
    assert collect(claude_dir, None).is_empty()
