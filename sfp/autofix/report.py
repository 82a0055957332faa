"""What an auto-fix run leaves behind: its KPI event, the once-per-session note of a missing tool, the line for the person."""

from __future__ import annotations

import os
from pathlib import Path

from sfp.autofix.formatters import (
    FAILED,
    FORMATTED,
    KPI_KIND,
    TIMEOUT,
    AutoFixResult,
    Formatter,
    Missing,
    extension_token,
)
from sfp.infra.notes import Note

STATE_KEY = "autofix"  # this feature's part of the session state


# --- what is kept and said -------------------------------------------------------------------------


def record_run(claude_dir: Path, result: AutoFixResult, session: str | None) -> tuple[Note, ...]:
    """Append the run's `auto_fix` KPI event; what is worth logging (a failed formatter, a lost event) is returned."""
    from sfp.errors import SfpError
    from sfp.kpi.store import append_event

    data = {
        "extension": "." + (extension_token(result.path.name) or ""),
        "file_type": result.file_type,
        "formatter": result.formatter,
        "status": result.status,
        "changed": result.changed,
        "reason": result.reason,
        "duration_ms": result.duration_ms,
    }
    notes = []
    try:
        append_event(claude_dir, KPI_KIND, data, session=session)
    except SfpError as exc:
        notes.append(Note("warning", f"KPI event not recorded: {exc}"))
    if result.status in (FAILED, TIMEOUT):
        detail = f": {result.output}" if result.output else ""
        notes.append(Note("warning", f"{result.formatter} on {result.path.name} {result.status}: {result.reason}{detail}"))
    return tuple(notes)


def note_missing_program(claude_dir: Path, session: str | None, missing: Missing, formatter: Formatter) -> Note | None:
    """A missing formatter program, said once per session (the session's state remembers it)."""
    if session is None:
        return None  # run by hand: the person reads the reason on the line printed for the file
    if not first_time_missing(claude_dir, session, missing.program):
        return None
    return Note("warning", f"{missing.program} is not installed, so {formatter.name} files are not formatted: "
                f"{missing.hint}")


def first_time_missing(claude_dir: Path, session: str, program: str) -> bool:
    """True the first time `program` is reported missing in `session`; remembers that it was."""
    from sfp.errors import SfpError
    from sfp.infra.session_state import read_section, write_section

    known = read_section(claude_dir, session, STATE_KEY).get("missing")
    known = [str(p) for p in known] if isinstance(known, list) else []
    if program in known:
        return False
    try:
        write_section(claude_dir, session, STATE_KEY, {"missing": sorted({*known, program})})
    except SfpError:
        pass  # saying it again next time is the worst that can happen
    return True


def display_path(path: Path, project: Path) -> str:
    """`path` relative to the project when inside it (as the person knows it), else as given."""
    try:
        return path.relative_to(os.path.realpath(project)).as_posix()
    except ValueError:
        return str(path)


def hook_message(result: AutoFixResult, project: Path) -> str | None:
    """The one line for the person after a hook run, or None when there is nothing worth saying."""
    shown = display_path(result.path, project)
    tool = short_name(result.formatter or "")
    if result.status == FORMATTED:
        return f"🧹 sfp: formatted {shown} with {tool}"
    detail = f": {result.output}" if result.output else ""
    if result.status in (FAILED, TIMEOUT) and result.changed:
        return f"⚠️ sfp: {tool} changed {shown} but {_failure(result)}{detail}; check the file"
    if result.status in (FAILED, TIMEOUT) and result.verbose:
        return f"⚠️ sfp: {tool} on {shown} {_failure(result)}{detail}"
    return None


def short_name(command: str) -> str:
    """`ruff format`, `npx prettier`, `python3`: the tool, not the whole command line, for a one-line message."""
    words = command.split()
    if len(words) > 1 and words[1].replace("-", "").isalnum() and not words[1].startswith("-"):
        return " ".join(words[:2])
    return words[0] if words else command


def _failure(result: AutoFixResult) -> str:
    if result.status == TIMEOUT:
        return f"was {result.reason}"
    return result.reason or "failed"
