"""PostCompact: the model's own compaction summary (`compact_summary`) kept with the handoff PreCompact wrote."""

from __future__ import annotations

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    summary = event.text("compact_summary")
    if not summary or not event.session_id:
        return HookResult()
    from sfp.handoff.record import with_client_summary
    from sfp.handoff.store import newest_compaction_handoff, rewrite_handoff

    found = newest_compaction_handoff(ctx.claude_dir, event.session_id)
    if found is None:
        return HookResult(log_note="no handoff of this compaction to keep the summary with")
    stored, handoff = found
    rewrite_handoff(stored, with_client_summary(handoff, summary))
    return HookResult(log_note=f"client summary kept with {stored.id}")
