"""`sfp logs`: the runbook's log monitoring — the last records, or follow new ones."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json
from sfp.errors import UsageError
from sfp.infra.log import log_path, parse_record, read_records


def logs(claude_dir: Path, *, lines: int, follow: bool, as_json: bool, out: IO[str]) -> int:
    if lines < 0:
        raise UsageError("-n must be 0 or more")
    path = log_path(claude_dir)
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


def format_line(record: dict[str, object], as_json: bool) -> str:
    if as_json:
        return json.dumps(record, ensure_ascii=False)
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
    add_json(parser, "print the raw JSON records")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return logs(claude_dir, lines=args.lines, follow=args.follow, as_json=args.json, out=out)
