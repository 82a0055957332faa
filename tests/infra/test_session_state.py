"""The per-session state file, its pruning, and the compaction scan of a transcript's new bytes."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from helpers import DATA
from sfp.infra.session_state import (
    forget_session,
    has_compact_boundary,
    prune_sessions,
    read_section,
    read_state,
    scan_for_compaction,
    sessions_dir,
    state_path,
    write_section,
)

SESSION = "bb4d8064-6c68-4243-a46f-ce1e3b32b275"
REAL_TRANSCRIPT = DATA / "transcripts" / f"{SESSION}.jsonl"
# Shaped like the client's record (JSON.stringify: no spaces), fields trimmed.
BOUNDARY = json.dumps({"parentUuid": None, "type": "system", "subtype": "compact_boundary",
                       "content": "Conversation compacted", "compactMetadata": {"trigger": "manual"}},
                      separators=(",", ":")).encode() + b"\n"
# A tool result quoting such a record: inside a JSON string its quotes are escaped.
QUOTED = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result",
                    "content": BOUNDARY.decode()}]}}, separators=(",", ":")).encode() + b"\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the state file --------------------------------------------------------------------------------------

def test_a_section_is_written_privately_and_read_back(claude_dir: Path) -> None:
    write_section(claude_dir, SESSION, "tags", {"scanned_to": 5, "name": "Ana ✓"})
    assert read_section(claude_dir, SESSION, "tags") == {"scanned_to": 5, "name": "Ana ✓"}
    path = state_path(claude_dir, SESSION)
    assert path == claude_dir / "sfp" / "state" / "sessions" / f"{SESSION}.json"
    assert mode(path) == 0o600
    for folder in (claude_dir / "sfp", claude_dir / "sfp" / "state", sessions_dir(claude_dir)):
        assert mode(folder) == 0o700, folder
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_sections_of_different_features_keep_each_other(claude_dir: Path) -> None:
    write_section(claude_dir, SESSION, "tags", {"a": 1})
    write_section(claude_dir, SESSION, "handoff", {"b": 2})
    write_section(claude_dir, SESSION, "tags", {"a": 3})
    assert read_state(claude_dir, SESSION) == {"tags": {"a": 3}, "handoff": {"b": 2}}
    write_section(claude_dir, SESSION, "tags", None)
    assert read_state(claude_dir, SESSION) == {"handoff": {"b": 2}}
    write_section(claude_dir, SESSION, "handoff", None)
    assert not state_path(claude_dir, SESSION).exists()


def test_sessions_do_not_share_a_file(claude_dir: Path) -> None:
    write_section(claude_dir, "one", "tags", {"a": 1})
    assert read_section(claude_dir, "two", "tags") == {}


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'"x"', b"\xff\xfe", b'{"tags": 5}'])
def test_a_damaged_state_reads_as_empty(claude_dir: Path, content: bytes) -> None:
    path = state_path(claude_dir, SESSION)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert read_section(claude_dir, SESSION, "tags") == {}


def test_an_oversized_state_reads_as_empty(claude_dir: Path) -> None:
    path = state_path(claude_dir, SESSION)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"tags": {"x": "y" * 300_000}}))
    assert read_state(claude_dir, SESSION) == {}


@pytest.mark.parametrize("session_id", ["../../etc/passwd", "a/b", ".hidden", "", "x" * 300, "nul\x00byte", "sp ace"])
def test_odd_session_ids_stay_inside_the_sessions_folder(claude_dir: Path, session_id: str) -> None:
    path = state_path(claude_dir, session_id)
    assert path.parent == sessions_dir(claude_dir) and path.name.startswith("h-")
    write_section(claude_dir, session_id, "tags", {"a": 1})
    assert read_section(claude_dir, session_id, "tags") == {"a": 1}
    assert state_path(claude_dir, session_id + "-other") != path


def test_forget_session_removes_its_file_only(claude_dir: Path) -> None:
    write_section(claude_dir, "one", "tags", {"a": 1})
    write_section(claude_dir, "two", "tags", {"a": 1})
    forget_session(claude_dir, "one")
    forget_session(claude_dir, "never-seen")
    assert read_state(claude_dir, "one") == {} and read_state(claude_dir, "two") != {}


def test_writing_prunes_states_not_written_for_keep_days(claude_dir: Path) -> None:
    now = time.time()
    for name, age_days in (("old", 8), ("older", 30), ("recent", 6)):
        write_section(claude_dir, name, "tags", {"a": 1})
        os.utime(state_path(claude_dir, name), (now - age_days * 86400, now - age_days * 86400))
    stray = sessions_dir(claude_dir) / ".old.json.123.tmp"
    stray.write_text("x")
    os.utime(stray, (now - 9 * 86400, now - 9 * 86400))
    unrelated = sessions_dir(claude_dir) / "notes.txt"
    unrelated.write_text("x")
    os.utime(unrelated, (now - 90 * 86400, now - 90 * 86400))
    write_section(claude_dir, "current", "tags", {"a": 1}, keep_days=7, now=now)
    left = sorted(p.name for p in sessions_dir(claude_dir).iterdir())
    assert left == [".lock", "current.json", "notes.txt", "recent.json"]


def test_prune_keeps_the_named_file_and_survives_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("{}")
    os.utime(tmp_path / "s.json", (0, 0))
    assert prune_sessions(tmp_path, time.time(), 7, keep="s.json") == 0
    assert prune_sessions(tmp_path, time.time(), 7) == 1
    assert prune_sessions(tmp_path / "absent", time.time(), 7) == 0


# --- compaction ------------------------------------------------------------------------------------------

def transcript(tmp_path: Path, *parts: bytes) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(parts))
    return path


def test_the_real_transcript_was_not_compacted() -> None:
    # It holds a `/compact` command that answered "Not enough messages to compact": no boundary.
    scan = scan_for_compaction(REAL_TRANSCRIPT, 0)
    size = REAL_TRANSCRIPT.stat().st_size
    assert not scan.compacted and scan.size == size and scan.scanned_to == size


def test_a_boundary_after_the_offset_is_found(tmp_path: Path) -> None:
    base = REAL_TRANSCRIPT.read_bytes()
    path = transcript(tmp_path, base, BOUNDARY, b'{"type":"user","isCompactSummary":true}\n')
    scan = scan_for_compaction(path, len(base))
    assert scan.compacted and scan.scanned_to == path.stat().st_size


def test_only_the_bytes_after_the_offset_are_read(tmp_path: Path) -> None:
    path = transcript(tmp_path, BOUNDARY, b'{"type":"user"}\n')
    assert not scan_for_compaction(path, len(BOUNDARY)).compacted
    assert scan_for_compaction(path, 0).compacted


def test_a_quoted_boundary_inside_a_string_is_not_a_compaction(tmp_path: Path) -> None:
    path = transcript(tmp_path, QUOTED, b'{"note":"the word compact_boundary"}\n', b'{"compact_boundary":1}\n')
    assert not scan_for_compaction(path, 0).compacted


def test_spaces_around_the_colon_still_count() -> None:
    assert has_compact_boundary(b'{"type": "system", "subtype" :  "compact_boundary"}\n')
    assert not has_compact_boundary(b'{"type": "system", "subtype": "local_command"}\n')


@pytest.mark.parametrize("chunk", [7, 13, 16, 64, 1 << 20])
def test_a_boundary_split_across_read_chunks_is_found(tmp_path: Path, chunk: int) -> None:
    path = transcript(tmp_path, b'{"type":"user","x":"' + b"a" * 50 + b'"}\n', BOUNDARY)
    assert scan_for_compaction(path, 0, chunk_bytes=chunk).compacted


def test_a_torn_last_line_is_read_again_next_time(tmp_path: Path) -> None:
    first = b'{"type":"user"}\n'
    path = transcript(tmp_path, first, BOUNDARY[:20])
    scan = scan_for_compaction(path, 0)
    assert not scan.compacted and scan.scanned_to == len(first)
    path.write_bytes(first + BOUNDARY)
    assert scan_for_compaction(path, scan.scanned_to).compacted


def test_nothing_new_is_no_compaction(tmp_path: Path) -> None:
    path = transcript(tmp_path, b'{"type":"user"}\n')
    scan = scan_for_compaction(path, path.stat().st_size)
    assert not scan.compacted and scan.scanned_to == path.stat().st_size


def test_a_transcript_that_shrank_counts_as_compacted(tmp_path: Path) -> None:
    path = transcript(tmp_path, b'{"type":"user"}\n')
    scan = scan_for_compaction(path, 10_000)
    assert scan.compacted and scan.scanned_to == path.stat().st_size


def test_too_many_new_bytes_count_as_compacted_without_reading_them(tmp_path: Path) -> None:
    path = transcript(tmp_path, b'{"type":"user"}\n' * 100)
    scan = scan_for_compaction(path, 0, max_bytes=100)
    assert scan.compacted and scan.scanned_to == path.stat().st_size


def test_a_missing_transcript_is_no_compaction_and_is_read_from_its_start_later(tmp_path: Path) -> None:
    scan = scan_for_compaction(tmp_path / "absent.jsonl", 500)
    assert not scan.compacted and scan.scanned_to == 0
    assert scan_for_compaction(None, 42) == type(scan)(False, 42, 0)
