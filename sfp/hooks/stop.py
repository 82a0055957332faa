"""Stop: the fast gates on the session's changed files; a critical failure goes back to Claude.

`stop_hook_active` means Claude is already answering an earlier block:
never block again, or the session never ends.
"""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from sfp.gates.alerts import Alert, has_critical
from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult

if TYPE_CHECKING:
    from sfp.gates.run import GateRun

# What the hook keeps back from its budget to answer, log and record the run.
ANSWER_RESERVE_S = 1.0


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    if event.flag("stop_hook_active"):
        return HookResult()
    project = ctx.project_dir(event.cwd)
    if project is None or not project.is_dir():
        return HookResult()
    since, touched = _session_activity(event.transcript_path)
    if touched is False:
        return HookResult()  # the transcript shows no write and no command: nothing to check

    from sfp.gates.changes import changed_files
    from sfp.gates.report import block_reason, one_line
    from sfp.gates.session import anything_applies, record_kpi, run_for_project, run_notes

    changed = changed_files(project, since=since)
    if not changed or not anything_applies(ctx.claude_dir, project, None, changed):
        return HookResult()
    run = run_for_project(ctx.claude_dir, project, tier=None, changed=changed,
                          time_limit_s=max(ctx.remaining() - ANSWER_RESERVE_S, 0.5))
    notes = run_notes(run) + record_kpi(ctx.claude_dir, run, event.session_id)
    if notes:
        from sfp.infra.log import write_notes

        write_notes(ctx.claude_dir, "gates", notes, session=event.session_id)
    if run.blocking() or has_critical(own_alerts(run)):
        return HookResult(block_reason=block_reason(run), message=one_line(run))
    return HookResult(message=one_line(run)) if run.results else HookResult()


def own_alerts(run: GateRun) -> list[Alert]:
    """The run's alerts, leaving out gates that sfp's own time budget cut short: Claude can't fix a
    hook budget, so those never send it back (they still count in `sfp gates` and the KPIs)."""
    from sfp.gates.alerts import evaluate

    cut = [r for r in run.results if r.cut_by_run_limit]
    if not cut:
        return list(run.alerts)
    return evaluate([r.status for r in run.results if r not in cut], run.thresholds)


def _session_activity(transcript_path: str | None) -> tuple[float | None, bool | None]:
    """(session start, whether Claude wrote or ran anything); None where the transcript can't tell."""
    if not transcript_path:
        return None, None
    from sfp.errors import SfpError
    from sfp.gates.changes import parse_timestamp
    from sfp.claude.transcript import read_transcript

    try:
        transcript = read_transcript(Path(transcript_path))
    except SfpError:
        return None, None
    touched = bool(transcript.files_written or transcript.commands)
    return parse_timestamp(transcript.first_timestamp), touched
