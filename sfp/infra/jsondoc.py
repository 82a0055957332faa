"""What every `--json` output shares (docs/json.md): one document a write, and moments in UTC with a Z."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import IO, Any


def write_json(out: IO[str], document: dict[str, Any]) -> None:
    """One JSON document and a newline: indented for a person reading it, UTF-8 as it is."""
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def json_line(document: dict[str, Any]) -> str:
    """One JSON document on one line, for JSON-lines output."""
    return json.dumps(document, ensure_ascii=False)


def utc_moment(value: str | float | None) -> str | None:
    """`value` (a Unix time, or ISO 8601 with an offset, a Z, or none = local time) as
    `2026-02-10T10:59:52Z` (a fraction of a second kept to milliseconds); None when it isn't a moment."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, timezone.utc)
    else:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:  # sfp wrote local time without saying so
            moment = moment.astimezone()
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    return text + (f".{millis:03d}Z" if millis else "Z")
