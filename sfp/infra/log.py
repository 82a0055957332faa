"""sfp's own log: `<claude-dir>/logs/sfp.log`, one JSON object per line, rotated by size.

Logging must never break a hook, so every failure here is swallowed: a
log that can't be written is a lost line, not a lost session.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sfp.infra import paths
from sfp.infra.jsonl import JsonLines
from sfp.infra.redact import redact

if TYPE_CHECKING:
    from sfp.infra.notes import Note

LOG_NAME = "sfp.log"
MAX_BYTES = 1024 * 1024
KEEP_ROTATED = 3
LEVELS = ("debug", "info", "warning", "error")


def log_path(claude_dir: Path) -> Path:
    return paths.logs_dir(claude_dir) / LOG_NAME


def format_record(
    level: str, event: str, session: str | None, message: str, duration_ms: float | None, now: float
) -> str:
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
        "level": level,
        "event": event,
        "session": session,
        "message": redact(message),
        "duration_ms": None if duration_ms is None else round(duration_ms, 1),
    }
    return json.dumps(record, ensure_ascii=False)


def log_file(claude_dir: Path, max_bytes: int = MAX_BYTES) -> JsonLines:
    return JsonLines(log_path(claude_dir), KEEP_ROTATED, max_bytes)


def write_log(
    claude_dir: Path,
    level: str,
    event: str,
    message: str,
    *,
    session: str | None = None,
    duration_ms: float | None = None,
    max_bytes: int = MAX_BYTES,
) -> None:
    """Append one record; rotate first when it would take the file past `max_bytes`. Never raises."""
    try:
        log_file(claude_dir, max_bytes).append(format_record(level, event, session, message, duration_ms, time.time()))
    except Exception:  # noqa: BLE001 - a log line is never worth a failed hook
        pass


def read_records(claude_dir: Path, limit: int | None = None) -> list[dict[str, object]]:
    """The newest `limit` records (all when None), oldest first; unparsable lines are kept as messages."""
    lines = list(log_file(claude_dir).lines())
    if limit is not None:
        lines = lines[-limit:] if limit > 0 else []
    return [parse_record(line) for line in lines if line.strip()]


def parse_record(line: str) -> dict[str, object]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return {"level": "info", "message": line}
    return value if isinstance(value, dict) else {"level": "info", "message": line}


def write_notes(claude_dir: Path, event: str, notes: Iterable[Note], *, session: str | None = None) -> None:
    """Log what a feature returned for the log (features never write it themselves)."""
    for note in notes:
        write_log(claude_dir, note.level, event, note.message, session=session)
