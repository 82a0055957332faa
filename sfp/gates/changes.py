"""Which files the session changed: git's view in a work tree, modification times elsewhere."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Final

from sfp.infra.git import run_git

SKIP_DIRS: Final = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "dist", "build", "target", ".next", ".cache",
})
MAX_WALK_FILES: Final = 50_000


def changed_files(project: Path, *, since: float | None = None, now: float | None = None) -> list[str]:
    """Project-relative paths that changed: from git when `project` is in a work tree, else by mtime.

    Outside git, "changed" means modified after `since` (the session's first
    transcript timestamp), else within the last hour.
    """
    from_git = git_changed_files(project)
    if from_git is not None:
        return from_git
    cutoff = since if since is not None else (now if now is not None else time.time()) - 3600
    return sorted(recently_modified(project, cutoff))


def git_changed_files(project: Path) -> list[str] | None:
    """Modified (against HEAD), staged and untracked-not-ignored files; None when not a git work tree."""
    inside = run_git(project, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != "true":
        return None
    has_head = run_git(project, "rev-parse", "--verify", "--quiet", "HEAD") is not None
    names: set[str] = set()
    listings = [
        ("diff", "--name-only", "--relative", "-z", "HEAD") if has_head else ("diff", "--name-only", "--relative", "-z"),
        ("diff", "--name-only", "--relative", "-z", "--cached"),
        ("ls-files", "--others", "--exclude-standard", "-z"),
    ]
    for args in listings:
        output = run_git(project, *args)
        if output is None:
            return None
        names.update(n for n in output.split("\0") if n)
    # A deleted file can't be checked by a gate: keep what exists.
    return sorted(n for n in names if (project / n).is_file())


def recently_modified(project: Path, cutoff: float) -> Iterator[str]:
    seen = 0
    for folder, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in files:
            seen += 1
            if seen > MAX_WALK_FILES:
                return
            path = Path(folder) / name
            try:
                if path.stat().st_mtime >= cutoff:
                    yield path.relative_to(project).as_posix()
            except OSError:
                continue


def parse_timestamp(text: str | None) -> float | None:
    """A transcript timestamp (`2026-11-24T16:00:00.123Z`) as epoch seconds."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
