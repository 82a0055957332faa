"""SessionEnd: a handoff, so a session that ends without compaction still leaves one (no backup)."""

from __future__ import annotations

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    from sfp.handoff.checkpoint import checkpoint

    checkpoint(ctx.claude_dir, ctx.project_dir(event.cwd), transcript_path=event.transcript_path,
               session_id=event.session_id, cwd=event.cwd, trigger="session_end", supersede=True)
    return HookResult()
