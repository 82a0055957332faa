"""A checkpoint: the handoff built from the transcript and written, then (before a compaction) a backup."""

from __future__ import annotations

from pathlib import Path

from sfp.handoff.record import Handoff, build_handoff
from sfp.handoff.store import StoredHandoff, write_handoff


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
    folder = cwd or transcript.cwd
    state = git.state(Path(folder)) if folder and Path(folder).is_dir() else None
    handoff = build_handoff(transcript, session_id=session_id, cwd=folder, git=state, trigger=trigger, notes=notes)
    return write_handoff(claude_dir, handoff), handoff
