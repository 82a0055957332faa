"""What an auto-fix run leaves behind: its KPI event, the once-per-session note of a missing tool, the line for the person."""

from __future__ import annotations
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    pass
from sfp.autofix.formatters import AutoFixResult, FAILED, FORMATTED, Formatter, KPI_KIND, MISSING_MARKER_MAX_AGE_S, Missing, TIMEOUT, extension_token


# --- what is kept and said -------------------------------------------------------------------------


def record_run(claude_dir: Path, result: AutoFixResult, session: str | None) -> None:
    """Append the run's `auto_fix` KPI event, and log a formatter that failed. Never raises."""
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
    try:
        append_event(claude_dir, KPI_KIND, data, session=session)
    except SfpError as exc:
        from sfp.infra.log import write_log

        write_log(claude_dir, "warning", "auto_fix", f"KPI event not recorded: {exc}", session=session)
    if result.status in (FAILED, TIMEOUT):
        from sfp.infra.log import write_log

        detail = f": {result.output}" if result.output else ""
        write_log(claude_dir, "warning", "auto_fix",
                  f"{result.formatter} on {result.path.name} {result.status}: {result.reason}{detail}", session=session)


def note_missing_program(claude_dir: Path, session: str | None, missing: Missing, formatter: Formatter) -> None:
    """Log a missing formatter program once per session (a marker file under sfp/state remembers it)."""
    if session is None:
        return  # run by hand: the person reads the reason on the line printed for the file
    from sfp.infra.log import write_log

    if not first_time_missing(claude_dir, session, missing.program):
        return
    write_log(claude_dir, "warning", "auto_fix",
              f"{missing.program} is not installed, so {formatter.name} files are not formatted: {missing.hint}",
              session=session)


def first_time_missing(claude_dir: Path, session: str, program: str, now: float | None = None) -> bool:
    """True the first time `program` is reported missing in `session`; remembers that it was."""
    import json

    from sfp.infra import paths
    from sfp.errors import SfpError
    from sfp.infra.storage import ensure_private_dir, write_atomic

    folder = paths.state_dir(claude_dir)
    marker = folder / f"autofix-missing-{_safe_name(session)}.json"
    try:
        known = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = []
    if not isinstance(known, list):
        known = []
    if program in known:
        return False
    try:
        ensure_private_dir(folder)
        if not known:
            prune_missing_markers(folder, time.time() if now is None else now)
        write_atomic(marker, json.dumps(sorted({*map(str, known), program})) + "\n")
    except SfpError:
        pass  # logging it again next time is the worst that can happen
    return True


def prune_missing_markers(folder: Path, now: float, max_age_s: float = MISSING_MARKER_MAX_AGE_S) -> None:
    """Delete markers of sessions older than `max_age_s`: one is written per session that lacks a formatter."""
    for marker in folder.glob("autofix-missing-*.json"):
        try:
            if now - marker.stat().st_mtime > max_age_s:
                marker.unlink()
        except OSError:
            continue


def _safe_name(session: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in session)[:80]
    return cleaned or "unknown"


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
