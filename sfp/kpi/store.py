"""KPI events: `<claude-dir>/kpis/events.jsonl`, one JSON object per line.

Features that measure themselves (auto_fix, quality_gates) append events
here and `sfp kpi` reads them back. Each record is
`{"time", "kind", "session", ...data}` with `time` in UTC ISO 8601 with
milliseconds, so records compare in time order as plain strings.

Concurrent hooks append whole lines (`infra.jsonl`). The store is bounded:
once the file would grow past MAX_BYTES (5 MB) it is renamed to
`events.jsonl.1`, replacing the previous one, so the two files never hold
much more than 10 MB and the newest events are always kept. Readers skip
lines that don't parse: a torn line costs one event, never the whole file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from sfp.infra import paths
from sfp.infra.jsonl import JsonLines

EVENTS_NAME: Final = "events.jsonl"
MAX_BYTES: Final = 5 * 1024 * 1024
KEEP_ROTATED: Final = 1
RESERVED_KEYS: Final = frozenset({"time", "kind", "session"})


def events_path(claude_dir: Path) -> Path:
    return paths.kpis_dir(claude_dir) / EVENTS_NAME


def rotated_path(claude_dir: Path) -> Path:
    return events_file(claude_dir).rotated(1)


def events_file(claude_dir: Path, max_bytes: int = MAX_BYTES) -> JsonLines:
    return JsonLines(events_path(claude_dir), KEEP_ROTATED, max_bytes)


def format_time(now: float) -> str:
    """`now` (seconds since the epoch) as `2026-02-10T11:59:52.123Z`."""
    millis = int(now * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"


def encode_event(kind: str, data: Mapping[str, Any], session: str | None, now: float) -> str:
    """One record as a JSON line (no newline). Values JSON can't hold are stored as their str()."""
    if not kind or not isinstance(kind, str):
        raise ValueError("a KPI event needs a kind")
    clash = RESERVED_KEYS & data.keys()
    if clash:
        raise ValueError(f"KPI data may not use the reserved keys {sorted(clash)}")
    record = {"time": format_time(now), "kind": kind, "session": session, **data}
    # default=str: a KPI line is never worth failing the hook that records it.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def append_event(
    claude_dir: Path,
    kind: str,
    data: Mapping[str, Any],
    *,
    session: str | None,
    now: float | None = None,
    max_bytes: int = MAX_BYTES,
) -> None:
    """Append one event; rotate first when it would take the file past `max_bytes`. Raises StorageError."""
    line = encode_event(kind, data, session, time.time() if now is None else now)
    events_file(claude_dir, max_bytes).append(line)


def read_events(claude_dir: Path, kind: str | None = None, since: float | None = None) -> Iterator[dict[str, Any]]:
    """Every readable event, oldest first; only `kind` ones and those at or after `since` (epoch seconds) if given."""
    earliest = format_time(since) if since is not None else None
    for line in events_file(claude_dir).lines():
        record = parse_line(line)
        if record is None or (kind is not None and record.get("kind") != kind):
            continue
        if earliest is not None and not _at_or_after(record.get("time"), earliest):
            continue
        yield record


def parse_line(line: str) -> dict[str, Any] | None:
    """The record on `line`, or None for a blank, torn or foreign line."""
    if not line.strip():
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return None
    return value if isinstance(value, dict) and isinstance(value.get("kind"), str) else None


def _at_or_after(value: object, earliest: str) -> bool:
    return isinstance(value, str) and value >= earliest
