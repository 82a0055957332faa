"""A handoff as markdown, for the person who opens `handoffs/handoff-*.md`."""

from __future__ import annotations

from sfp.handoff.record import FileChange, Handoff, printable


def render_markdown(handoff: Handoff) -> str:
    lines = [f"# Handoff — {handoff.created}", ""]
    lines += [printable(f"- Session: `{handoff.session_id or 'unknown'}` (trigger: {handoff.trigger})"),
              printable(f"- Project: `{handoff.cwd or 'unknown'}`"
                        + (f" (git root `{handoff.git_root}`)" if handoff.git_root else "")),
              printable(f"- Branch: `{handoff.git_branch or '-'}` at `{(handoff.head or '-')[:12]}`"), ""]
    lines += _section("Open tasks (next steps)", [f"[{t.status}] #{t.id} {t.subject}" for t in handoff.open_tasks])
    lines += _section("Completed tasks", [f"#{t.id} {t.subject}" for t in handoff.completed_tasks])
    lines += _section("Files changed", [_change_line(c) for c in handoff.files_changed]
                      + ([f"(+ {handoff.secret_files_changed} secret-looking file(s), not named)"]
                         if handoff.secret_files_changed else []))
    lines += _section("Files read", list(handoff.files_read)
                      + ([f"(+ {handoff.secret_files_read} secret-looking file(s), not named)"] if handoff.secret_files_read else []))
    lines += _section("git status --short", [f"`{s}`" for s in handoff.git_status])
    if handoff.prompts:
        lines += ["## Last request (word for word)", "", _quote(handoff.prompts[-1]), ""]
        lines += _section("Earlier requests", list(handoff.prompts[:-1]))
    lines += _section("Failed commands", list(handoff.failed_commands))
    if handoff.last_assistant_message:
        lines += ["## Last assistant message", "", _quote(handoff.last_assistant_message), ""]
    if handoff.notes:
        lines += ["## Notes (compaction instructions)", "", _quote(handoff.notes), ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    return [f"## {title}", "", *[f"- {printable(item)}" for item in items], ""] if items else []


def _change_line(change: FileChange) -> str:
    if change.added is None and change.removed is None:
        return f"`{change.path}`"
    return f"`{change.path}` (+{change.added if change.added is not None else '?'} -{change.removed if change.removed is not None else '?'})"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])
