"""sfp.log: one JSON object per line, secrets redacted, rotated by size, never breaking a hook."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from sfp.infra.log import KEEP_ROTATED, log_path, read_records, write_log


def test_a_record_has_the_documented_fields(claude_dir: Path) -> None:
    write_log(claude_dir, "info", "SessionStart", "handled", session="abc", duration_ms=12.345)
    record = json.loads(log_path(claude_dir).read_text())
    assert set(record) == {"time", "level", "event", "session", "message", "duration_ms"}
    assert (record["event"], record["session"], record["duration_ms"]) == ("SessionStart", "abc", 12.3)
    assert stat.S_IMODE(log_path(claude_dir).stat().st_mode) == 0o600
    assert stat.S_IMODE(log_path(claude_dir).parent.stat().st_mode) == 0o700


def test_secrets_in_messages_are_redacted(claude_dir: Path) -> None:
    write_log(claude_dir, "error", "Stop", "gate printed API_KEY=sk-live-abcdef123456 in its output")
    text = log_path(claude_dir).read_text()
    assert "abcdef123456" not in text and "API_KEY=***" in text


def test_rotation_keeps_a_bounded_number_of_files(claude_dir: Path) -> None:
    for i in range(400):
        write_log(claude_dir, "info", "Stop", f"record {i} " + "z" * 200, max_bytes=4096)
    files = sorted(p.name for p in log_path(claude_dir).parent.iterdir() if not p.name.startswith("."))
    assert files == ["sfp.log"] + [f"sfp.log.{i}" for i in range(1, KEEP_ROTATED + 1)]
    assert all(p.stat().st_size <= 4096 for p in log_path(claude_dir).parent.glob("sfp.log*"))
    message = read_records(claude_dir, 1)[0]["message"]
    assert isinstance(message, str) and message.startswith("record 399 ")


def test_an_unwritable_log_is_silently_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "claude"
    blocker.write_text("a file where the claude dir should be")
    write_log(blocker, "info", "SessionStart", "lost, not fatal")  # must not raise


def test_a_symlink_at_the_log_is_not_written_through(claude_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "someone-elses.txt"
    target.write_text("theirs\n")
    log_path(claude_dir).parent.mkdir()
    log_path(claude_dir).symlink_to(target)
    write_log(claude_dir, "info", "Stop", "not into the link")  # must not raise
    assert target.read_text() == "theirs\n"


def test_a_message_holding_a_unicode_line_separator_stays_one_record(claude_dir: Path) -> None:
    write_log(claude_dir, "info", "Stop", "before\u2028after")
    assert [r["message"] for r in read_records(claude_dir)] == ["before\u2028after"]
