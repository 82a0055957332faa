"""SessionStart: the health check (silent when healthy), and after a compaction or resume the last
handoff of this project back in context. Reads files only: no subprocess on this path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sfp.health.checks import HEALTHY, HealthReport, run_health, thresholds_from
from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    project = ctx.project_dir(event.cwd)
    settings = _settings(ctx.claude_dir, project)
    report = run_health(ctx.claude_dir, thresholds_from(settings.get("health")), project=project)
    parts, message = [], None
    if report.status != HEALTHY:
        parts.append(health_context(report))
        message = health_message(report)
    from sfp.config.typed import record
    from sfp.handoff.resume import HandoffSettings, context_at_start

    handoff = context_at_start(ctx.claude_dir, record(settings.get("handoff"), HandoffSettings),
                               source=event.text("source") or "startup", session_id=event.session_id, cwd=event.cwd)
    if handoff:
        parts.append(handoff)
    notice = trust_notice(ctx.claude_dir, project, event.session_id)
    message = "\n".join(filter(None, (message, notice))) or None
    return HookResult(context="\n\n".join(parts) or None, message=message, log_note=f"{HEALTH_NOTE}{report.status}")


HEALTH_NOTE = "health "  # the log line's words `sfp status` finds the last health result by


def trust_notice(claude_dir: Path, project: Path | None, session_id: str | None) -> str | None:
    """The line saying the project's .sfp/ config was ignored: once per session, and again if it changes."""
    from sfp.infra.paths import project_config_dir

    if project is None or not os.path.lexists(project_config_dir(project)):
        return None
    from sfp.config.trust import untrusted_notice

    notice = untrusted_notice(claude_dir, project)
    if notice is None or session_id is None:
        return notice
    from sfp.errors import SfpError
    from sfp.infra.session_state import read_section, write_section

    if read_section(claude_dir, session_id, "trust").get("told") == notice:
        return None
    try:
        write_section(claude_dir, session_id, "trust", {"told": notice})
    except SfpError:
        pass  # telling it again next time is the worst that can happen
    return notice


def health_message(report: HealthReport) -> str:
    """One line for the person: the status, each failing check, and the first fix."""
    problems = "; ".join(f"{c.name}: {c.message}" for c in report.failing())
    fixes = [c.fix for c in report.failing() if c.fix]
    return f"⚠️ sfp health: {report.status} — {problems}" + (f". Fix: {fixes[0]}" if fixes else "")


def health_context(report: HealthReport) -> str:
    """What the model should know: which check failed and the runbook's fix, as a record, not an order."""
    lines = [f"[sfp] Health check at session start: {report.status}."]
    for check in report.failing():
        fix = f" Fix: {check.fix}." if check.fix else ""
        lines.append(f"- {check.name} ({check.status}): {check.message}.{fix}")
    return "\n".join(lines)


def _settings(claude_dir: Path, project: Path | None) -> dict[str, Any]:
    from sfp.config.layers import load_config

    return load_config("sfp", claude_dir, project).data
