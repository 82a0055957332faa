"""UserPromptSubmit: the TAGs (and any evidence problem) for the model, once per session — see sfp.context.prompt."""

from __future__ import annotations

from pathlib import Path

from sfp.hooks import HookContext
from sfp.context.prompt import prompt_context
from sfp.hooks.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    transcript = Path(event.transcript_path) if event.transcript_path else None
    injection = prompt_context(ctx.claude_dir, ctx.project_dir(event.cwd), event.session_id, transcript, ctx.environ)
    if injection.warnings:
        from sfp.infra.log import write_log

        for warning in injection.warnings:
            write_log(ctx.claude_dir, "warning", event.name, f"tags: {warning}", session=event.session_id)
    return HookResult(context=injection.context)
