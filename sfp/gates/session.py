"""Gates for a Claude Code session: the project's config, the session's changed files, a KPI record."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sfp.config.layers import load_config
from sfp.gates.definitions import hook_tier, tier_gates
from sfp.gates.run import EventHook, GateRun, applicable, run_tier
from sfp.infra.notes import Note
from sfp.infra.record import Record


def gate_config(claude_dir: Path, project: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(gates.yaml data, alert thresholds) for `project`."""
    gates = load_config("gates", claude_dir, project).data
    thresholds = load_config("alerts", claude_dir, project).get("thresholds", default={})
    return gates, thresholds if isinstance(thresholds, dict) else {}


def run_for_project(
    claude_dir: Path,
    project: Path,
    *,
    tier: str | None,
    changed: Sequence[str],
    all_files: bool = False,
    names: Sequence[str] = (),
    time_limit_s: float | None = None,
    on_event: EventHook | None = None,
) -> GateRun:
    import os

    from sfp.gates.inprocess import builtins
    from sfp.gates.secret_scan import load_scan_settings
    from sfp.infra.redact import redact
    from sfp.infra.runtime import self_command_environ

    data, thresholds = gate_config(claude_dir, project)
    chosen = tier or hook_tier(data)
    return run_tier(data, thresholds, chosen, project, changed, all_files=all_files, names=names,
                    time_limit_s=time_limit_s, redact=redact, on_event=on_event,
                    environ={**os.environ, **self_command_environ()},
                    builtins=builtins(load_scan_settings(claude_dir, project)))


class SessionWork(Record):
    files: tuple[str, ...]  # project-relative: what the session wrote, and what its commands changed
    acted: bool  # it wrote a file or ran a command


def session_work(project: Path, transcript_path: Path) -> SessionWork:
    """What the session of this transcript (and its subagents') changed in `project`.

    Raises UsageError when the transcript can't be read.
    """
    from sfp.claude.transcript import read_transcript
    from sfp.gates.changes import parse_timestamp, session_files

    transcript = read_transcript(transcript_path)
    acted = bool(transcript.files_written or transcript.commands)
    if not acted:
        return SessionWork((), False)
    files = session_files(project, transcript.files_written, ran_commands=bool(transcript.commands),
                          since=parse_timestamp(transcript.first_timestamp))
    return SessionWork(tuple(files), True)


def find_transcript(claude_dir: Path, project: Path, session_id: str) -> Path:
    """The transcript of session `session_id`: in the project's folder under `<claude-dir>/projects/`, else in
    any project's folder there. Raises UsageError when there is none."""
    from sfp.claude.projects import transcripts_folder
    from sfp.errors import UsageError

    if not session_id or "/" in session_id or "\\" in session_id or session_id.startswith("."):
        raise UsageError(f"not a session id: {session_id!r}")
    name = f"{session_id}.jsonl"
    own = transcripts_folder(claude_dir, str(project.resolve())) / name
    if own.is_file():
        return own
    try:
        found = sorted((claude_dir / "projects").glob(f"*/{name}"))
    except OSError:
        found = []
    if not found:
        raise UsageError(f"no transcript of session {session_id} under {claude_dir / 'projects'}")
    return found[0]


def run_notes(run: GateRun) -> list[Note]:
    """What the log should hear of a run: gates the platform refused a process group of their own
    (seen under agent sandboxes), so a timeout could only kill the gate's shell."""
    from sfp.gates.runner import NO_SESSION_NOTE

    hit = [r.name for r in run.results if r.reason and NO_SESSION_NOTE in r.reason]
    if not hit:
        return []
    return [Note("warning", f"no process group allowed: {', '.join(hit)} ran as plain "
                 "children; a timeout kills only the child, not what it started")]


def anything_applies(claude_dir: Path, project: Path, tier: str | None, changed: Sequence[str]) -> bool:
    """Whether any gate of the tier looks at `changed`. A `settings.hook_tier` naming no tier is a
    ConfigError located where it was set, so the person is pointed at the line to fix."""
    from sfp.errors import ConfigError, UsageError

    config = load_config("gates", claude_dir, project)
    try:
        gates = tier_gates(config.data, tier or hook_tier(config.data))
    except UsageError as exc:
        if tier is not None:
            raise
        origin = config.origins.get(("settings", "hook_tier"), "")
        source, _, line = origin.rpartition(":")
        if not line.isdigit():
            source, line = origin, "0"
        raise ConfigError(str(exc), source, int(line)) from None
    return bool(applicable(gates, changed, all_files=False))


def record_kpi(claude_dir: Path, run: GateRun, session: str | None) -> list[Note]:
    """Append the run's KPI event. A store that can't be written is a note for the log, never a lost verdict."""
    from sfp.errors import SfpError
    from sfp.kpi.store import append_event

    try:
        _append_kpi(append_event, claude_dir, run, session)
    except SfpError as exc:
        return [Note("warning", f"KPI event not recorded: {exc}")]
    return []


def _append_kpi(append_event: Any, claude_dir: Path, run: GateRun, session: str | None) -> None:
    append_event(claude_dir, "quality_gates", {
        "project": str(run.project),  # `sfp status` shows the last run per project
        "tier": run.tier,
        **run.counts(),
        "duration_ms": run.duration_ms,
        "skipped_by_request": list(run.skipped_by_request),
        "gates": [{"name": r.name, "status": r.status, "duration_ms": r.duration_ms} for r in run.results],
    }, session=session)


