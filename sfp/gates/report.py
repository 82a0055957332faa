"""A gate run for people (summary, one line per gate, what failed and how to fix it), for CI (JSON),
and for Claude (the Stop hook's block reason, within the context budget)."""

from __future__ import annotations

import re
from typing import Any, Final

from sfp.gates.run import GateRun
from sfp.gates.runner import GateResult

JSON_SCHEMA: Final = "sfp.gates/1"
ICONS: Final = {"passed": "✅", "failed": "❌", "timeout": "⏱️", "skipped": "⏭️", "error": "💥"}
_NOISE = re.compile(r"^\s*$|^\s*[-=_*#~]{3,}\s*$")


def summary_line(run: GateRun) -> str:
    c = run.counts()
    line = f"📊 Quality Gates: {c['passed']} passed, {c['failed']} failed, {c['timeout']} timeout, {c['skipped']} skipped"
    return line + (f", {c['error']} error" if c["error"] else "")


def useful_lines(output: str, limit: int) -> list[str]:
    """The first `limit` lines that say something (no blank lines, no rulers)."""
    lines = [line.rstrip() for line in output.splitlines() if not _NOISE.match(line)]
    return lines[:limit]


def render_text(run: GateRun, *, output_lines: int = 10) -> str:
    lines = [summary_line(run)]
    if not run.results:
        lines.append("  no gate applies to the changed files" if run.changed_files else "  no changed files")
    for result in run.results:
        lines.append(f"  {ICONS.get(result.status, '?')} {result.name} ({result.duration_ms / 1000:.1f}s)"
                     + (f" — {result.reason}" if result.reason and result.status != "passed" else ""))
        if result.status in ("failed", "timeout", "error"):
            lines += [f"      {line}" for line in useful_lines(result.output, output_lines)]
            if result.fix:
                lines.append(f"      fix: {result.fix}")
    if run.alerts:
        lines.append("🚨 Quality Alerts")
        lines += [f"  {alert.render()}" for alert in run.alerts]
    return "\n".join(lines) + "\n"


def as_json(run: GateRun, exit_code: int) -> dict[str, Any]:
    """The documented, stable shape for CI (README: "sfp gates --json")."""
    return {
        "schema": JSON_SCHEMA,
        "tier": run.tier,
        "project": str(run.project),
        "changed_files": list(run.changed_files),
        "summary": run.counts(),
        "duration_ms": run.duration_ms,
        "gates": [_gate_json(r) for r in run.results],
        "alerts": [{"level": a.level, "metric": a.metric, "value": round(a.value, 4), "threshold": a.threshold}
                   for a in run.alerts],
        "blocking": bool(run.blocking()) or any(a.level == "CRITICAL" for a in run.alerts),
        "exit_code": exit_code,
    }


def _gate_json(result: GateResult) -> dict[str, Any]:
    return {
        "name": result.name, "status": result.status, "duration_ms": result.duration_ms,
        "returncode": result.returncode, "required": result.required, "critical": result.critical,
        "reason": result.reason, "fix": result.fix, "output": result.output, "truncated": result.truncated,
    }


def block_reason(run: GateRun, *, max_lines: int = 20, max_chars: int = 4000) -> str:
    """What Claude must fix, gate by gate: name, first output lines and the fix, within `max_chars`."""
    failing = run.blocking() or run.failed()
    head = (f"sfp quality gates failed on the files changed in this session "
            f"({', '.join(r.name for r in failing)}). Fix the problems below, then finish.")
    sections = []
    for result in failing:
        detail = f"exit {result.returncode}" if result.status == "failed" else result.reason or result.status
        section = [f"## {result.name} ({result.status}: {detail})"]
        section += useful_lines(result.output, max_lines) or ["(no output)"]
        if result.fix:
            section.append(f"Fix: {result.fix}")
        sections.append("\n".join(section))
    critical_alerts = [a.render() for a in run.alerts if a.level == "CRITICAL"]
    tail = ("\n" + "\n".join(critical_alerts)) if critical_alerts else ""
    text = head + "\n\n" + "\n\n".join(sections) + tail
    if len(text) <= max_chars:
        return text
    note = "\n[sfp: more output cut; run `sfp gates` to see all of it]"
    return text[: max_chars - len(note)].rsplit("\n", 1)[0] + note


def one_line(run: GateRun) -> str:
    failed = [r.name for r in run.failed()]
    return summary_line(run) + (f" — failing: {', '.join(failed)}" if failed else "")
