"""TaskCreated / TaskCompleted: the session's tasks as the client reports them, kept in the session state,
so a handoff has them even when the transcript holds no task tool call (a subagent's, the client's own)."""

from __future__ import annotations

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult

STATE_KEY = "tasks"
MAX_TASKS = 200


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    task_id = event.text("task_id")
    if not task_id or not event.session_id:
        return HookResult()
    from sfp.infra.redact import redact
    from sfp.infra.session_state import read_section, write_section

    items = dict(read_section(ctx.claude_dir, event.session_id, STATE_KEY).get("items") or {})
    known = items.get(task_id) if isinstance(items.get(task_id), list) else None
    subject = event.text("task_subject") or (str(known[0]) if known else "")
    status = "completed" if event.name == "TaskCompleted" else (str(known[1]) if known else "pending")
    items[task_id] = [redact(subject)[:500], status]  # redacted before cut: a cut secret isn't recognised
    if len(items) > MAX_TASKS:
        items = dict(list(items.items())[-MAX_TASKS:])
    write_section(ctx.claude_dir, event.session_id, STATE_KEY, {"items": items})
    return HookResult()
