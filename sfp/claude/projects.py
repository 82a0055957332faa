"""Where Claude Code keeps each project's session transcripts: `<claude-dir>/projects/<cwd with - for others>/`."""

from __future__ import annotations

from pathlib import Path


def transcripts_folder(claude_dir: Path, cwd: str) -> Path:
    """Where Claude Code keeps a project's transcripts: every character but letters and digits becomes `-`."""
    import re

    return claude_dir / "projects" / re.sub(r"[^A-Za-z0-9]", "-", cwd)


def newest_transcript(claude_dir: Path, cwd: str) -> Path | None:
    try:
        candidates = list(transcripts_folder(claude_dir, cwd).glob("*.jsonl"))
    except OSError:
        return None
    return max(candidates, key=_mtime, default=None)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
