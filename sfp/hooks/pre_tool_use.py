"""PreToolUse: the secrets guard. A Write or Edit that would put a secret into a file is denied, with a reason
the model can act on, before the file is touched. Anything else returns before a module beyond this one loads."""

from __future__ import annotations

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult

GUARDED: frozenset[str] = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    tool_input = event.payload.get("tool_input")
    tool_name = event.text("tool_name") or ""
    if tool_name not in GUARDED or not isinstance(tool_input, dict):
        return HookResult()
    from sfp.gates.secret_guard import judge, person_line, reason

    verdict = judge(tool_name, tool_input)
    if verdict is None:
        return HookResult()
    mode = guard_mode(ctx, event)
    if mode == "off":
        return HookResult()
    if mode == "warn":
        return HookResult(message=person_line(verdict).replace("refused a write of", "let through a write of"))
    return HookResult(deny_reason=reason(verdict), message=person_line(verdict))


def guard_mode(ctx: HookContext, event: HookEvent) -> str:
    from sfp.config.layers import load_config

    mode = load_config("sfp", ctx.claude_dir, ctx.project_dir(event.cwd)).get("secrets", "guard", default="deny")
    return "off" if mode is False else str(mode)  # YAML reads a bare `off` as false
