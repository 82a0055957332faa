"""SessionStart: the health check (silent when healthy), and after a compaction or resume the last
handoff of this project back in context. Reads files only: no subprocess on this path."""

from __future__ import annotations

import time
from collections.abc import Mapping
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
    handoff = handoff_context(ctx.claude_dir, event, settings.get("handoff") or {})
    if handoff:
        parts.append(handoff)
    return HookResult(context="\n\n".join(parts) or None, message=message)


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


def handoff_context(claude_dir: Path, event: HookEvent, settings: Mapping[str, Any]) -> str | None:
    """compact/resume: the newest handoff of this project; startup: a pointer to a recent one (config)."""
    source = event.text("source") or "startup"
    mode = settings.get("on_startup", "pointer") if source in ("startup", "clear") else "full"
    mode = "off" if mode is False else mode  # YAML reads a bare `off` as false
    if mode == "off" or source == "clear":
        return None
    from sfp.infra.paths import handoffs_dir

    if not handoffs_dir(claude_dir).is_dir():
        return None
    from sfp.infra.git import find_root
    from sfp.handoff.store import latest_for_project
    from sfp.handoff.resume import current_state, is_recent, pointer, render_for_context

    root = find_root(Path(event.cwd)) if event.cwd else None
    found = latest_for_project(claude_dir, event.cwd, str(root) if root else None)
    if found is None:
        return None
    stored, handoff = found
    if source == "resume" and handoff.session_id and handoff.session_id == event.session_id:
        return None  # resuming restores this session's whole conversation: its own record adds nothing
    now = time.time()
    if source in ("startup", "clear"):
        if not is_recent(handoff, now, float(settings.get("recent_days", 7))):
            return None
        if mode == "pointer":
            return pointer(stored, handoff)
    budget = int(settings.get("budget_chars", 4000))
    return render_for_context(stored, handoff, source=source, budget=budget,
                              current=current_state(event.cwd, handoff.git_root, now))


def _settings(claude_dir: Path, project: Path | None) -> dict[str, Any]:
    from sfp.config.layers import load_config
    from sfp.errors import SfpError

    try:
        return load_config("sfp", claude_dir, project).data
    except SfpError:
        return {}
