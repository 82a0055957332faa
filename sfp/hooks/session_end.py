"""SessionEnd: a handoff, so a session that ends without compaction still leaves one (no backup)."""

from __future__ import annotations

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    from sfp.handoff.store import prune_handoffs
    from sfp.backup.model import settings_or_defaults
    from sfp.handoff.checkpoint import make_handoff
    from sfp.handoff.store import drop_superseded

    stored, _ = make_handoff(ctx.claude_dir, transcript_path=event.transcript_path, session_id=event.session_id,
                             cwd=event.cwd, trigger="session_end")
    drop_superseded(ctx.claude_dir, stored, event.session_id)
    settings = settings_or_defaults(ctx.claude_dir, ctx.project_dir(event.cwd), event.name)
    prune_handoffs(ctx.claude_dir, settings.keep_handoffs)
    return HookResult()
