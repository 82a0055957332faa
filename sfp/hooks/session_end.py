"""SessionEnd: a handoff, so a session that ends without compaction still leaves one (no backup)."""

from __future__ import annotations

from sfp.handoff import make_handoff
from sfp.hooks import HookContext
from sfp.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    make_handoff(ctx.claude_dir, transcript_path=event.transcript_path, session_id=event.session_id,
                 cwd=event.cwd, trigger="session_end")
    return HookResult()
