"""PreCompact: a handoff and a backup before the context is compacted, then retention.

When the backup can't be written the hook fails, and fallback.yaml's
`critical` policy turns that into exit 2: the client then blocks the
compaction, so nothing is compacted away unsaved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult

if TYPE_CHECKING:
    from sfp.handoff.store import StoredHandoff

# A retry (fallback.yaml: retry_once) runs `handle` again in the same process: the handoff
# already written stays the one, so a retried compaction doesn't leave two.
_written: dict[str | None, StoredHandoff] = {}


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    from sfp.backup.create import create_backup
    from sfp.backup.store import prune_backups
    from sfp.handoff.store import prune_handoffs
    from sfp.backup.model import settings_or_defaults
    from sfp.handoff.checkpoint import make_handoff

    project = ctx.project_dir(event.cwd)
    settings = settings_or_defaults(ctx.claude_dir, project, event.name)
    trigger = event.text("trigger") or "auto"
    stored = _written.get(event.session_id)
    if stored is None or not stored.markdown.exists():
        stored, _ = make_handoff(ctx.claude_dir, transcript_path=event.transcript_path, session_id=event.session_id,
                                 cwd=event.cwd, trigger=trigger, notes=event.text("custom_instructions"))
        _written[event.session_id] = stored
    backup = create_backup(ctx.claude_dir, project if project and project.is_dir() else None, settings,
                           reason=f"pre-compact ({trigger})")
    prune_backups(ctx.claude_dir, settings.keep)
    prune_handoffs(ctx.claude_dir, settings.keep_handoffs)
    return HookResult(message=f"💾 sfp: handoff {stored.id} and backup {backup.backup_id} saved before compaction")
