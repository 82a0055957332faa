"""A gate run for people (summary, one line per gate, what failed and how to fix it), for CI (JSON),
and for Claude (the Stop hook's block reason, within the context budget)."""

from __future__ import annotations

import re
from typing import Any, Final

from sfp.gates.run import GateRun
from sfp.gates.runner import GateResult
from sfp.infra.terminal import Terminal

JSON_SCHEMA: Final = "sfp.gates/1"
MARKS: Final = {"passed": "ok", "failed": "fail", "timeout": "timeout", "skipped": "skip", "error": "error"}
# What Claude Code shows (the Stop hook's line) is not our terminal: emoji, no color.
HOOK_TEXT: Final = Terminal(color=False, emoji=True)
_NOISE = re.compile(r"^\s*$|^\s*[-=_*#~]{3,}\s*$")


def summary_line(run: GateRun, term: Terminal = HOOK_TEXT) -> str:
    c = run.counts()
    line = f"{term.icon('📊')}Quality Gates: {c['passed']} passed, {c['failed']} failed, {c['timeout']} timeout, {c['skipped']} skipped"
    line += f", {c['error']} error" if c["error"] else ""
    return line + (f" (SFP_SKIP: {', '.join(run.skipped_by_request)})" if run.skipped_by_request else "")


def useful_lines(output: str, limit: int) -> list[str]:
    """The first `limit` lines that say something (no blank lines, no rulers)."""
    lines = [line.rstrip() for line in output.splitlines() if not _NOISE.match(line)]
    return lines[:limit]


def render_text(run: GateRun, term: Terminal, *, output_lines: int = 10) -> str:
    """The run for a person: the summary (red or green where there is color), a line per gate, and
    for each failure the head of its output and its fix."""
    lines = [term.paint(summary_line(run, term), "red" if run.failed() else "green")]
    if not run.results:
        lines.append("  no gate applies to the changed files" if run.changed_files else "  no changed files")
    for result in run.results:
        why = (f"skipped ({result.reason})" if result.status == "skipped" and not result.reason.startswith("skipped")
               else result.reason) if result.reason and result.status != "passed" else None
        lines.append(f"  {term.mark(MARKS.get(result.status, 'info'))} {result.name} ({result.duration_ms / 1000:.1f}s)"
                     + (f" — {why}" if why else ""))
        if result.status in ("failed", "timeout", "error"):
            lines += [f"      {line}" for line in useful_lines(result.output, output_lines)]
            if result.fix:
                lines.append(f"      fix: {result.fix}")
    if run.alerts:
        lines.append(f"{term.icon('🚨')}Quality Alerts")
        lines += [f"  {alert.render(term.emoji)}" for alert in run.alerts]
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


FEEDBACK_HEAD: Final = "sfp quality gates failed on the files changed in this session"


def block_reason(run: GateRun, *, rerun: str | None = None, max_chars: int = 4000, max_lines: int = 40) -> str:
    """What Claude must fix, gate by gate: name, the head and tail of its output and the fix, the gates
    sharing `max_chars`; then the command that re-runs just those gates."""
    failing = [r for r in run.failed() if not r.cut_by_run_limit] or run.failed()
    failing.sort(key=lambda r: not r.critical)  # what sent Claude back first
    head = (f"{FEEDBACK_HEAD} ({', '.join(r.name for r in failing)}). Fix the problems below, then finish.")
    critical_alerts = [a.render() for a in run.alerts if a.level == "CRITICAL"]
    command = rerun or f"sfp gates {' '.join(r.name for r in failing)}"
    tail = "\n".join(critical_alerts + [f"Re-run just the failing gate{'s' if len(failing) > 1 else ''}: {command}"])
    titles = [_section_title(r) for r in failing]
    fixes = [f"Fix: {r.fix}" if r.fix else "" for r in failing]
    outputs = [useful_lines(r.output, 1_000_000) or ["(no output)"] for r in failing]
    fixed_cost = len(head) + len(tail) + 4 + sum(len(t) + len(f) + 4 for t, f in zip(titles, fixes))
    shares = share([sum(len(line) + 1 for line in lines) for lines in outputs], max(max_chars - fixed_cost, 200))
    sections = []
    for title, lines, fix, chars in zip(titles, outputs, fixes, shares):
        sections.append("\n".join([title, *head_and_tail(lines, chars, max_lines), *([fix] if fix else [])]))
    text = head + "\n\n" + "\n\n".join(sections) + "\n\n" + tail
    if len(text) <= max_chars:
        return text
    note = "\n[sfp: more output cut]\n" + tail
    return text[: max_chars - len(note)].rsplit("\n", 1)[0] + note


def _section_title(result: GateResult) -> str:
    detail = f"exit {result.returncode}" if result.status == "failed" and result.returncode is not None \
        else result.reason or result.status
    return f"## {result.name} ({result.status}: {detail})"


def share(needs: list[int], budget: int) -> list[int]:
    """`budget` split between `needs`: no one gets more than it needs, what a small one leaves goes to the rest."""
    shares = [0] * len(needs)
    left = budget
    for done, i in enumerate(sorted(range(len(needs)), key=lambda k: needs[k])):
        shares[i] = min(needs[i], left // (len(needs) - done))
        left -= shares[i]
    return shares


def head_and_tail(lines: list[str], max_chars: int, max_lines: int = 40) -> list[str]:
    """The first and last of `lines` within `max_chars` and `max_lines`, and how many were cut between them."""
    if len(lines) <= max_lines and sum(len(line) + 1 for line in lines) <= max_chars:
        return lines
    budget = max(max_chars - 40, 40)  # room for the "[… N lines cut …]" line
    head_chars, head_lines = budget * 2 // 3, max(max_lines * 2 // 3, 1)
    head: list[str] = []
    used = 0
    for line in lines:
        if len(head) >= head_lines or used + len(line) + 1 > head_chars:
            break
        head.append(line)
        used += len(line) + 1
    if not head:  # one line longer than the whole share: its start
        head, used = [lines[0][: head_chars - 1] + "…"], head_chars
    tail: list[str] = []
    for line in reversed(lines[len(head):]):
        if len(head) + len(tail) >= max_lines - 1 or used + len(line) + 1 > budget:
            break
        tail.insert(0, line)
        used += len(line) + 1
    cut = len(lines) - len(head) - len(tail)
    return head + ([f"[… {cut} line{'s' if cut != 1 else ''} cut …]"] if cut > 0 else []) + tail


def one_line(run: GateRun) -> str:
    failed = [r.name for r in run.failed() if not r.cut_by_run_limit]
    cut = [r.name for r in run.cut_short()]
    parts = ([f"failing: {', '.join(failed)}"] if failed else []) + ([f"cut short: {', '.join(cut)}"] if cut else [])
    return summary_line(run) + (" — " + "; ".join(parts) if parts else "")
