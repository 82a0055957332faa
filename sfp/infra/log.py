"""sfp's own log: `<claude-dir>/logs/sfp.log`, one JSON object per line, rotated by size.

Logging must never break a hook, so every failure here is swallowed: a
log that can't be written is a lost line, not a lost session.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sfp.infra import paths
from sfp.infra.redact import redact
from sfp.infra.storage import PRIVATE_FILE, ensure_private_dir, file_lock

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
    """Append one record; rotate first when the file has grown past `max_bytes`."""
    path = log_path(claude_dir)
    try:
        # backslashreplace: a lone surrogate from odd input becomes a JSON escape, not a lost line.
        line = (format_record(level, event, session, message, duration_ms, time.time()) + "\n").encode(
            "utf-8", "backslashreplace")
        fd = _open_log(path)
        try:
            if os.fstat(fd).st_size + len(line) > max_bytes:
                os.close(fd)
                fd = -1
                _rotate(path, max_bytes - len(line))
                fd = _open_log(path)
            os.write(fd, line)  # O_APPEND + one write: whole lines even from concurrent hooks
        finally:
            if fd >= 0:
                os.close(fd)
    except OSError:
        pass
    except Exception:  # noqa: BLE001 - a log line is never worth a failed hook
        pass


def _open_log(path: Path) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    except FileNotFoundError:
        ensure_private_dir(path.parent)
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)


def _rotate(path: Path, room: int) -> None:
    """Rotate unless the file (re-read under the lock) still has `room` bytes free."""
    with file_lock(path.with_name(f".{path.name}.lock"), timeout=2.0):
        try:
            if path.stat().st_size <= room:
                return  # another hook rotated while we waited
        except FileNotFoundError:
            return
        for index in range(KEEP_ROTATED - 1, 0, -1):
            older = path.with_name(f"{path.name}.{index}")
            if older.exists():
                os.replace(older, path.with_name(f"{path.name}.{index + 1}"))
        os.replace(path, path.with_name(f"{path.name}.1"))


def read_records(claude_dir: Path, limit: int | None = None) -> list[dict[str, object]]:
    """The newest `limit` records (all when None), oldest first; unparsable lines are kept as messages."""
    path = log_path(claude_dir)
    lines: list[str] = []
    for candidate in [path.with_name(f"{path.name}.{i}") for i in range(KEEP_ROTATED, 0, -1)] + [path]:
        try:
            lines.extend(candidate.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            continue
    if limit is not None:
        lines = lines[-limit:] if limit > 0 else []
    return [parse_record(line) for line in lines if line.strip()]


def parse_record(line: str) -> dict[str, object]:
    try:
        value = json.loads(line)
    except ValueError:
        return {"level": "info", "message": line}
    return value if isinstance(value, dict) else {"level": "info", "message": line}
