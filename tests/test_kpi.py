"""The KPI event store: private, whole lines under concurrent writers, bounded, tolerant readers."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from sfp.errors import StorageError
from sfp.kpi.store import append_event, encode_event, events_path, format_time, read_events, rotated_path

T0 = 1_770_724_792.5  # 2026-02-10T11:59:52.500Z


def test_an_event_is_one_private_json_line_with_time_kind_and_session(claude_dir: Path) -> None:
    append_event(claude_dir, "auto_fix", {"status": "formatted", "duration_ms": 12.5}, session="s1", now=T0)
    path = events_path(claude_dir)
    assert path == claude_dir / "kpis" / "events.jsonl"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [line] = path.read_text().splitlines()
    assert json.loads(line) == {"time": "2026-02-10T11:59:52.500Z", "kind": "auto_fix", "session": "s1",
                                "status": "formatted", "duration_ms": 12.5}


def test_time_is_utc_with_milliseconds_so_strings_sort_in_time_order() -> None:
    assert format_time(0) == "1970-01-01T00:00:00.000Z"
    assert format_time(T0 + 0.0019) == "2026-02-10T11:59:52.501Z"
    stamps = [format_time(t) for t in (T0 - 86400 * 400, T0 - 1, T0 - 0.001, T0, T0 + 9.999, T0 + 10)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_data_may_not_overwrite_the_reserved_keys() -> None:
    with pytest.raises(ValueError, match="reserved"):
        encode_event("auto_fix", {"kind": "other"}, None, T0)
    with pytest.raises(ValueError, match="kind"):
        encode_event("", {}, None, T0)


def test_values_json_cannot_hold_are_stored_as_text(claude_dir: Path) -> None:
    append_event(claude_dir, "quality_gates", {"project": Path("/p"), "ok": True}, session=None, now=T0)
    [event] = read_events(claude_dir)
    assert event["project"] == "/p" and event["ok"] is True and event["session"] is None


def test_an_event_that_cannot_be_stored_raises_storage_error(claude_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "someone-elses.txt"
    target.write_text("theirs\n")
    events_path(claude_dir).parent.mkdir()
    events_path(claude_dir).symlink_to(target)
    with pytest.raises(StorageError, match="events.jsonl"):
        append_event(claude_dir, "auto_fix", {"n": 1}, session="s", now=T0)
    assert target.read_text() == "theirs\n"


def test_read_filters_by_kind_and_since(claude_dir: Path) -> None:
    for offset, kind in ((0, "auto_fix"), (10, "quality_gates"), (20, "auto_fix"), (30, "auto_fix")):
        append_event(claude_dir, kind, {"n": offset}, session="s", now=T0 + offset)
    assert [e["n"] for e in read_events(claude_dir)] == [0, 10, 20, 30]
    assert [e["n"] for e in read_events(claude_dir, kind="auto_fix")] == [0, 20, 30]
    assert [e["n"] for e in read_events(claude_dir, kind="auto_fix", since=T0 + 20)] == [20, 30]
    assert [e["n"] for e in read_events(claude_dir, since=T0 + 31)] == []


def test_reading_skips_torn_and_foreign_lines(claude_dir: Path) -> None:
    append_event(claude_dir, "auto_fix", {"n": 1}, session="s", now=T0)
    with events_path(claude_dir).open("a") as handle:
        handle.write('{"time": "2026-02-10T12:00:00.000Z", "kind": "auto_fix", "n": \n')  # torn mid-write
        handle.write("not json at all\n\n[1, 2]\n{\"no_kind\": true}\n\xff garbage\n")
    append_event(claude_dir, "auto_fix", {"n": 2}, session="s", now=T0 + 1)
    with events_path(claude_dir).open("a") as handle:
        handle.write('{"time": "2026-02-10T12:00:05.000Z", "kind": "auto_f')  # a torn last line, no newline
    assert [e["n"] for e in read_events(claude_dir)] == [1, 2]


def test_no_store_yet_reads_as_no_events(claude_dir: Path) -> None:
    assert list(read_events(claude_dir)) == []


def test_the_store_rotates_past_its_size_and_keeps_the_newest(claude_dir: Path) -> None:
    padding = "x" * 200
    for n in range(60):
        append_event(claude_dir, "auto_fix", {"n": n, "pad": padding}, session="s", now=T0 + n, max_bytes=4096)
    current, rotated = events_path(claude_dir), rotated_path(claude_dir)
    assert current.stat().st_size <= 4096 and rotated.stat().st_size <= 4096
    assert stat.S_IMODE(rotated.stat().st_mode) == 0o600
    numbers = [e["n"] for e in read_events(claude_dir)]
    assert numbers == list(range(numbers[0], 60))  # oldest first, nothing missing between the two files
    assert 59 in numbers and len(numbers) < 60  # bounded: the oldest were dropped


WRITER = """
import sys
from pathlib import Path
from sfp.kpi.store import append_event
claude_dir, writer = Path(sys.argv[1]), sys.argv[2]
for n in range(int(sys.argv[3])):
    append_event(claude_dir, "auto_fix", {"writer": writer, "n": n, "pad": writer * 3000}, session=writer)
"""


def test_concurrent_writers_never_tear_or_lose_a_line(claude_dir: Path) -> None:
    writers, each = 6, 120
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(claude_dir), chr(ord("a") + w), str(each)], env=env)
                 for w in range(writers)]
    assert [p.wait(timeout=60) for p in processes] == [0] * writers
    lines = events_path(claude_dir).read_text().splitlines()
    assert len(lines) == writers * each
    records = [json.loads(line) for line in lines]  # every line whole: one JSON object each
    for w in range(writers):
        name = chr(ord("a") + w)
        mine = [r for r in records if r["writer"] == name]
        assert [r["n"] for r in mine] == list(range(each))
        assert all(r["pad"] == name * 3000 for r in mine)
