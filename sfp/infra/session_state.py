"""What sfp remembers between the events of one Claude Code session.

`<claude-dir>/sfp/state/sessions/<session_id>.json` holds one JSON object;
each feature keeps its part under its own key ("tags", ...), so features can
share the file without knowing about each other. Reading never fails: a
missing or damaged file is an empty state, and the worst that can follow is
a feature doing once more what it already did. Writing is atomic and private,
under a lock so two features updating one session keep each other's part,
and removes the files of sessions not written for `keep_days`.

It also answers the one question about the transcript a per-session state
needs: was the session compacted after a given byte offset? Transcripts grow
to tens of MB, so the answer reads only the bytes appended since the offset
the caller saved last time, and looks for the compact boundary record with a
byte search (an unescaped `"compact_boundary"` after a `"subtype":` key can
only be a record's own field: inside a JSON string its quotes are escaped).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sfp.infra import paths
from sfp.infra.record import Record
from sfp.infra.storage import ensure_private_dir, file_lock, write_atomic

DEFAULT_KEEP_DAYS: Final = 7
LOCK_TIMEOUT_S: Final = 2.0
MAX_STATE_BYTES: Final = 256 * 1024
SCAN_CHUNK: Final = 1024 * 1024
MAX_SCAN_BYTES: Final = 64 * 1024 * 1024  # more new bytes than this: assume a compaction rather than read them
COMPACT_MARK: Final = b'"compact_boundary"'
_SUBTYPE_KEY: Final = re.compile(rb'"subtype"\s*:\s*$')
_SAFE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def sessions_dir(claude_dir: Path) -> Path:
    return paths.state_dir(claude_dir) / "sessions"


def state_path(claude_dir: Path, session_id: str) -> Path:
    """The session's file; an id that is not a plain name (ids are UUIDs) is hashed into one."""
    if _SAFE_ID.fullmatch(session_id):
        name = session_id
    else:
        import hashlib

        name = "h-" + hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return sessions_dir(claude_dir) / f"{name}.json"


def read_state(claude_dir: Path, session_id: str) -> dict[str, Any]:
    """The session's state; {} when there is none or it can't be used."""
    try:
        with open(state_path(claude_dir, session_id), "rb") as file:
            data = file.read(MAX_STATE_BYTES + 1)
    except OSError:
        return {}
    if len(data) > MAX_STATE_BYTES:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def read_section(claude_dir: Path, session_id: str, key: str) -> dict[str, Any]:
    """One feature's part of the session's state; {} when absent."""
    section = read_state(claude_dir, session_id).get(key)
    return section if isinstance(section, dict) else {}


def write_section(
    claude_dir: Path,
    session_id: str,
    key: str,
    value: Mapping[str, Any] | None,
    *,
    keep_days: int = DEFAULT_KEEP_DAYS,
    now: float | None = None,
) -> None:
    """Set (or with None remove) one feature's part; prune sessions idle for more than `keep_days`.

    Raises StorageError when the folder or file can't be written.
    """
    for level in (paths.sfp_dir(claude_dir), paths.state_dir(claude_dir)):
        ensure_private_dir(level)  # mkdir(parents=True) would leave these at the umask's mode
    folder = ensure_private_dir(sessions_dir(claude_dir))
    path = state_path(claude_dir, session_id)
    with file_lock(folder / ".lock", timeout=LOCK_TIMEOUT_S):
        state = read_state(claude_dir, session_id)
        if value is None:
            state.pop(key, None)
        else:
            state[key] = dict(value)
        if state:
            write_atomic(path, json.dumps(state, ensure_ascii=False, separators=(",", ":")))
        else:
            _unlink(path)
        prune_sessions(folder, time.time() if now is None else now, keep_days, keep=path.name)


def forget_session(claude_dir: Path, session_id: str) -> None:
    """Drop everything remembered about the session (its features start over)."""
    _unlink(state_path(claude_dir, session_id))


def prune_sessions(folder: Path, now: float, keep_days: int, keep: str = "") -> int:
    """Remove state files (and stray temp files) not written for `keep_days`; returns how many went."""
    cutoff = now - keep_days * 86400
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if entry.name == keep or not entry.name.endswith((".json", ".tmp")):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # another hook removed it first, or it is not ours to remove
    return removed


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        from sfp.errors import StorageError

        raise StorageError(f"cannot remove {path}: {exc.strerror}") from None


# --- compaction --------------------------------------------------------------------------------------

class TranscriptScan(Record):
    compacted: bool  # a compact boundary (or a rewritten transcript) after the start offset
    scanned_to: int  # where the next scan starts: just after the last whole line that was read
    size: int  # the transcript's size when it was read (0 when it does not exist)


def scan_for_compaction(
    transcript: Path | None, start: int, max_bytes: int = MAX_SCAN_BYTES, chunk_bytes: int = SCAN_CHUNK
) -> TranscriptScan:
    """Was the session compacted in the bytes the transcript gained after `start`?

    A transcript that shrank was rewritten, and one that gained more than
    `max_bytes` is not read: both count as compacted, because saying the
    context again costs far less than a model missing it.
    """
    if transcript is None:
        return TranscriptScan(False, start, 0)
    try:
        fd = os.open(transcript, os.O_RDONLY)
    except OSError:
        return TranscriptScan(False, 0, 0)  # not written yet: read it from its start once it is
    try:
        size = os.fstat(fd).st_size
        if size < start or size - start > max_bytes:
            return TranscriptScan(True, size, size)
        return _scan(fd, start, size, chunk_bytes)
    except OSError:
        return TranscriptScan(False, start, 0)
    finally:
        os.close(fd)


def _scan(fd: int, start: int, size: int, chunk_bytes: int) -> TranscriptScan:
    found = False
    end_of_lines = start
    tail = b""  # the end of the previous chunk, so a mark split across two chunks is still seen
    position = start
    while position < size:
        chunk = os.pread(fd, min(chunk_bytes, size - position), position)
        if not chunk:
            break
        if not found:
            window = tail + chunk
            found = has_compact_boundary(window)
            tail = window[-64:]
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            end_of_lines = position + newline + 1
        position += len(chunk)
    return TranscriptScan(found, end_of_lines, size)


def has_compact_boundary(data: bytes) -> bool:
    """Whether `data` (JSON lines) holds a record whose `subtype` is `compact_boundary`."""
    index = data.find(COMPACT_MARK)
    while index >= 0:
        if _SUBTYPE_KEY.search(data, max(0, index - 48), index):
            return True
        index = data.find(COMPACT_MARK, index + 1)
    return False
