"""A checkpoint: the handoff built from the transcript and written, a backup when asked, and retention.

PreCompact, SessionEnd and `sfp handoff` each run `checkpoint()`; only what they ask of it differs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sfp.handoff.record import Handoff, build_handoff
from sfp.handoff.store import (
    StoredHandoff,
    drop_superseded,
    prune_handoffs,
    write_handoff,
)
from sfp.infra.record import Record

if TYPE_CHECKING:
    from sfp.backup.model import BackupInfo
    from sfp.claude.transcript_summary import Task

MEMO_KEY: Final = "checkpoint.handoff"


def make_handoff(
    claude_dir: Path,
    *,
    transcript_path: str | None,
    session_id: str | None,
    cwd: str | None,
    trigger: str,
    notes: str | None = None,
) -> tuple[StoredHandoff, Handoff]:
    """Read the transcript and git, build the handoff, write it. An unreadable transcript gives a thinner
    handoff, not none; only a handoff that can't be written raises (StorageError)."""
    from sfp.claude.transcript import read_transcript
    from sfp.claude.transcript_summary import Transcript
    from sfp.errors import UsageError
    from sfp.infra import git

    transcript = Transcript()
    if transcript_path:
        try:
            transcript = read_transcript(Path(transcript_path))
        except UsageError:
            pass
    if not transcript.tasks and session_id:
        transcript = transcript._replace(tasks=tasks_from_events(claude_dir, session_id))
    folder = cwd or transcript.cwd
    state = git.state(Path(folder)) if folder and os.path.isdir(folder) else None  # isdir: never raises
    handoff = build_handoff(transcript, session_id=session_id, cwd=folder, git=state, trigger=trigger, notes=notes)
    return write_handoff(claude_dir, handoff), handoff


class Checkpoint(Record):
    handoff: StoredHandoff
    record: Handoff
    backup: BackupInfo | None  # None when the checkpoint was asked for no backup
    pruned_backups: int
    pruned_handoffs: int


def checkpoint(
    claude_dir: Path,
    project: Path | None,
    *,
    transcript_path: str | None,
    session_id: str | None,
    cwd: str | None,
    trigger: str,
    notes: str | None = None,
    backup_reason: str | None = None,
    supersede: bool = False,
    memo: dict[str, Any] | None = None,
) -> Checkpoint:
    """The one sequence: write the handoff, back up (when `backup_reason` is given), prune both.

    `supersede` drops this session's older SessionEnd handoffs. A handoff put in `memo` is reused
    instead of written again, so a retried PreCompact whose backup failed leaves one handoff, not two.
    """
    from sfp.backup.model import load_backup_settings

    settings = load_backup_settings(claude_dir, project)
    kept = memo.get(MEMO_KEY) if memo is not None else None
    if isinstance(kept, tuple) and kept[0].markdown.exists():
        stored, record = kept
    else:
        stored, record = make_handoff(claude_dir, transcript_path=transcript_path, session_id=session_id, cwd=cwd,
                                      trigger=trigger, notes=notes)
        if memo is not None:
            memo[MEMO_KEY] = (stored, record)
    if supersede:
        drop_superseded(claude_dir, stored, session_id)
    backup, pruned_backups = None, 0
    if backup_reason is not None:
        from sfp.backup.create import create_backup
        from sfp.backup.store import prune_backups

        backup = create_backup(claude_dir, project, settings,  # it leaves out a project it can't use, saying why
                               reason=backup_reason)
        pruned_backups = len(prune_backups(claude_dir, settings.keep))
    pruned_handoffs = len(prune_handoffs(claude_dir, settings.keep_handoffs))
    return Checkpoint(stored, record, backup, pruned_backups, pruned_handoffs)


def tasks_from_events(claude_dir: Path, session_id: str) -> tuple[Task, ...]:
    """The tasks TaskCreated/TaskCompleted reported for the session (the session state keeps them)."""
    from sfp.claude.transcript_summary import Task
    from sfp.infra.session_state import read_section

    items = read_section(claude_dir, session_id, "tasks").get("items")
    if not isinstance(items, dict):
        return ()
    return tuple(Task(str(task_id), str(item[0]), str(item[1])) for task_id, item in items.items()
                 if isinstance(item, list) and len(item) == 2)
