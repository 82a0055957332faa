"""PostToolUse: format the file Claude just wrote or edited, and say so when it changed.

This fires after every tool call, so anything that isn't a file edit
returns before a config file is opened or a module beyond this one loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult

# NotebookEdit is left out: the formatters auto_fix.yaml names don't read notebooks.
EDIT_TOOLS: Final = frozenset({"Write", "Edit", "MultiEdit"})
# Time kept back from the hook's budget to answer the client after the formatter.
ANSWER_MARGIN_S: Final = 0.5


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    file_path = edited_file(event)
    project = project_root(event, ctx)
    if file_path is None or project is None:
        return HookResult()
    from sfp.autofix.run import auto_fix
    from sfp.autofix.report import hook_message

    result = auto_fix(file_path, project, ctx.claude_dir, session=event.session_id, environ=ctx.environ,
                      time_limit_s=ctx.remaining() - ANSWER_MARGIN_S)
    if result.notes:
        from sfp.infra.log import write_notes

        write_notes(ctx.claude_dir, "auto_fix", result.notes, session=event.session_id)
    return HookResult(message=hook_message(result, project))


def edited_file(event: HookEvent) -> str | None:
    """The file a Write, Edit or MultiEdit call changed; None for any other tool."""
    if event.text("tool_name") not in EDIT_TOOLS:
        return None
    tool_input = event.payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    path = tool_input.get("file_path")
    return path if isinstance(path, str) and path else None


def project_root(event: HookEvent, ctx: HookContext) -> Path | None:
    """`$CLAUDE_PROJECT_DIR` (the session's root even after a `cd`), else the event's cwd."""
    chosen = ctx.environ.get("CLAUDE_PROJECT_DIR") or event.cwd
    return Path(chosen) if chosen else None
