"""SessionStart: the health check — silent when healthy, one or two lines when not."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sfp.health import HEALTHY, HealthReport, run_health, thresholds_from
from sfp.hooks import HookContext
from sfp.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    report = run_health(ctx.claude_dir, _thresholds(ctx.claude_dir, ctx.project_dir(event.cwd)))
    if report.status == HEALTHY:
        return HookResult()
    return HookResult(context=health_context(report), message=health_message(report))


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


def _thresholds(claude_dir: Path, project: Path | None) -> Mapping[str, Mapping[str, float]]:
    from sfp.config import load_config
    from sfp.errors import SfpError

    try:
        return thresholds_from(load_config("sfp", claude_dir, project).get("health"))
    except SfpError:
        return thresholds_from(None)
