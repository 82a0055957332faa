"""`sfp logs`: the runbook's log monitoring — the last records, or follow new ones."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_json, readable_file, readable_folder
from sfp.errors import UsageError
from sfp.infra.jsondoc import json_line, utc_moment
from sfp.infra.log import log_path, parse_record, read_records

SCHEMA = "sfp.log-record/1"


def logs(claude_dir: Path, *, lines: int, follow: bool, as_json: bool, out: IO[str]) -> int:
    if lines < 0:
        raise UsageError("-n must be 0 or more")
    path = log_path(claude_dir)
    if readable_folder(path.parent, "sfp's log"):
        readable_file(path, "sfp's log")
    records = read_records(claude_dir, lines)
    if not records and not follow and lines > 0:
        if not as_json:  # JSON lines: no record is no line, so what is printed stays parseable
            out.write(f"no log records yet ({path})\n")
        return 0
    for record in records:
        out.write(format_line(record, as_json) + "\n")
    out.flush()
    if follow:
        _follow(path, as_json, out)
    return 0


def record_json(record: dict[str, object]) -> dict[str, Any]:
    """`sfp.log-record/1`: a stored record under the JSON convention's names; a line that wasn't a
    record (a torn write, an old format) comes through as its `message`."""
    duration = record.get("duration_ms")
    moment = record.get("time")
    return {
        "schema": SCHEMA,
        "created_at": utc_moment(moment) if isinstance(moment, str) else None,
        "level": str(record.get("level") or "info"),
        "event": _text(record.get("event")),
        "session_id": _text(record.get("session")),
        "message": str(record.get("message", "")),
        "duration_ms": duration if isinstance(duration, (int, float)) and not isinstance(duration, bool) else None,
    }


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def format_line(record: dict[str, object], as_json: bool) -> str:
    if as_json:
        return json_line(record_json(record))
    duration = record.get("duration_ms")
    session = record.get("session")
    parts = [
        str(record.get("time", "")), f"{str(record.get('level', '')).upper():<7}", str(record.get("event", "")),
        f"[{str(session)[:8]}]" if session else "", str(record.get("message", "")),
        f"({duration} ms)" if duration is not None else "",
    ]
    return " ".join(p for p in parts if p)


def _follow(path: Path, as_json: bool, out: IO[str], poll_s: float = 0.25) -> None:
    """Print records appended to the log, across rotations, until interrupted."""
    position = path.stat().st_size if path.exists() else 0
    identity = _inode(path)
    pending = b""
    while True:
        time.sleep(poll_s)
        if _inode(path) != identity:  # rotated: start the new file from its beginning
            identity, position, pending = _inode(path), 0, b""
        try:
            with path.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
        except FileNotFoundError:
            continue
        position += len(chunk)
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                out.write(format_line(parse_record(line.decode("utf-8", "replace")), as_json) + "\n")
        out.flush()


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--lines", type=int, default=20, metavar="N", help="how many records (default 20)")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new records")
    add_json(parser, f"print JSON lines, one record a line (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return logs(claude_dir, lines=args.lines, follow=args.follow, as_json=args.json, out=out)
