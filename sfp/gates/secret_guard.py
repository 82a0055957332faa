"""The secrets guard: what a Write, Edit, MultiEdit or NotebookEdit would add, scanned before it happens.

Only the text the call adds is judged, and a secret that was already in the file before the edit is
not the edit's fault. The verdict is plain data; the PreToolUse hook turns it into the client's deny.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sfp.gates.secret_scan import ALLOW_MARKER, SecretFinding, scan_text
from sfp.infra.record import Record
from sfp.infra.redact import may_hold_secret

MAX_EXISTING_BYTES: Final = 5 * 1024 * 1024


class Verdict(Record):
    path: str
    findings: tuple[SecretFinding, ...]  # the secrets the call would introduce


def added_text(tool_name: str, tool_input: Mapping[str, Any]) -> str | None:
    """The text the call would put into the file, or None when it is not an edit sfp guards."""
    if tool_name == "Write":
        return _text(tool_input.get("content"))
    if tool_name == "Edit":
        return _text(tool_input.get("new_string"))
    if tool_name == "MultiEdit":
        edits = tool_input.get("edits")
        return "\n".join(_text(e.get("new_string")) or "" for e in edits if isinstance(e, dict)) \
            if isinstance(edits, list) else None
    if tool_name == "NotebookEdit":
        return _text(tool_input.get("new_source"))
    return None


def judge(tool_name: str, tool_input: Mapping[str, Any]) -> Verdict | None:
    """The secrets this call would introduce; None when it adds none (or isn't an edit)."""
    text = added_text(tool_name, tool_input)
    path = _text(tool_input.get("file_path")) or _text(tool_input.get("notebook_path")) or "<file>"
    if not text or not may_hold_secret(text):  # the common edit: no regex of the table compiled
        return None
    found = scan_text(text, Path(path).name)
    if not found:
        return None
    before = Counter((f.kind, f.masked) for f in scan_text(_existing(path), Path(path).name))
    new = []
    for finding in found:
        key = (finding.kind, finding.masked)
        if before[key] > 0:
            before[key] -= 1  # it was there before this edit: not the edit's doing
        else:
            new.append(finding)
    return Verdict(path, tuple(new)) if new else None


def reason(verdict: Verdict) -> str:
    """What the model is told: each secret by line, kind and masked value, and what to do instead."""
    lines = [f"sfp refused this edit of {verdict.path}: it would write {len(verdict.findings)} secret(s) into the file."]
    lines += [f"- line {f.line} of the new text: {f.kind} ({f.masked})" for f in verdict.findings]
    lines.append("Read the value from an environment variable or a git-ignored file instead of writing it. "
                 f"If it is a deliberate test fixture, put `{ALLOW_MARKER.decode()}` in a comment on its line.")
    return "\n".join(lines)


def person_line(verdict: Verdict) -> str:
    kinds = ", ".join(sorted({f.kind for f in verdict.findings}))
    return f"🔒 sfp: refused a write of {kinds} into {Path(verdict.path).name}; Claude was told to use an environment variable"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _existing(path: str) -> str:
    import os

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, MAX_EXISTING_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)
