"""A handoff as markdown, for the person who opens `handoffs/handoff-*.md`."""

from __future__ import annotations

from sfp.handoff.record import FileChange, Handoff, earlier_requests, printable, subagent_line


def render_markdown(handoff: Handoff) -> str:
    lines = [f"# Handoff — {handoff.created}", ""]
    lines += [printable(f"- Session: `{handoff.session_id or 'unknown'}` (trigger: {handoff.trigger})"),
              printable(f"- Project: `{handoff.cwd or 'unknown'}`"
                        + (f" (git root `{handoff.git_root}`)" if handoff.git_root else "")),
              printable(f"- Branch: `{handoff.git_branch or '-'}` at `{(handoff.head or '-')[:12]}`"), ""]
    if handoff.goal and handoff.request_count > 1:
        lines += ["## Goal (the first request)", "", _quote(handoff.goal), ""]
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
        lines += _section("Earlier requests", earlier_requests(handoff))
    lines += _section("Still failing at the end", list(handoff.failed_commands))
    lines += _section("Failed, then fixed", list(handoff.fixed_failures))
    lines += _section("Refused (not done)", list(handoff.refused))
    if handoff.last_assistant_message:
        lines += ["## Last assistant message", "", _quote(handoff.last_assistant_message), ""]
    lines += _section("Subagents", [subagent_line(a) for a in handoff.subagents])
    lines += _section("Commits", list(handoff.commits) + [f"pushed {p}" for p in handoff.pushes])
    lines += _section(f"Commands run (the last {len(handoff.commands)})", [f"`{c}`" for c in handoff.commands])
    if handoff.notes:
        lines += ["## Notes (compaction instructions)", "", _quote(handoff.notes), ""]
    if handoff.client_summary:
        lines += ["## The client's own summary (PostCompact)", "", _quote(handoff.client_summary), ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    return [f"## {title}", "", *[f"- {printable(item)}" for item in items], ""] if items else []


def _change_line(change: FileChange) -> str:
    if change.added is None and change.removed is None:
        return f"`{change.path}`"
    return f"`{change.path}` (+{change.added if change.added is not None else '?'} -{change.removed if change.removed is not None else '?'})"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])
