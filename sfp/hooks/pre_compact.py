"""PreCompact: a handoff and a backup before the context is compacted, then retention.

When the backup can't be written the hook fails, and fallback.yaml's
`critical` policy turns that into exit 2: the client then blocks the
compaction, so nothing is compacted away unsaved.
"""

from __future__ import annotations

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    from sfp.handoff.checkpoint import checkpoint

    trigger = event.text("trigger") or "auto"
    done = checkpoint(ctx.claude_dir, ctx.project_dir(event.cwd), transcript_path=event.transcript_path,
                      session_id=event.session_id, cwd=event.cwd, trigger=trigger,
                      notes=event.text("custom_instructions"), backup_reason=f"pre-compact ({trigger})", memo=ctx.memo)
    backup_id = done.backup.backup_id if done.backup else "?"
    return HookResult(message=f"💾 sfp: handoff {done.handoff.id} and backup {backup_id} saved before compaction")
