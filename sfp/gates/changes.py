"""Which files changed: git's view in a work tree, modification times elsewhere; and which of them a
Claude Code session changed (what it wrote, plus what its commands changed after it began)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
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


def session_files(project: Path, written: Iterable[str], *, ran_commands: bool, since: float | None) -> list[str]:
    """Project-relative files this session changed, for its gates to judge.

    `written`: the paths its Write/Edit/MultiEdit/NotebookEdit calls named (main transcript and
    subagents'), those inside `project` that still exist. When it ran commands (Bash), also the files
    they may have changed: git's dirty files modified after `since` (the session's first record), or
    outside git every file under the project modified after it. What the person or an earlier session
    changed before this one began is never judged.
    """
    found = set(_inside(project, written))
    in_git = _in_work_tree(project)
    if ran_commands and since is not None:
        dirty = git_changed_files(project) if in_git else None
        candidates = dirty if dirty is not None else list(recently_modified(project, since))
        found.update(n for n in candidates if _modified_after(project / n, since))
    if found and in_git:
        found -= set(git_ignored(project, sorted(found)))
    return sorted(found)


def _in_work_tree(project: Path) -> bool:
    inside = run_git(project, "rev-parse", "--is-inside-work-tree")
    return inside is not None and inside.strip() == "true"


def _inside(project: Path, paths: Iterable[str]) -> Iterator[str]:
    root = project.resolve()
    for name in paths:
        path = Path(name)
        path = path if path.is_absolute() else project / path
        try:
            relative = path.resolve().relative_to(root)
        except (ValueError, OSError, RuntimeError):
            continue  # outside the project (or a link loop)
        if relative.parts and path.is_file():
            yield relative.as_posix()


def _modified_after(path: Path, since: float) -> bool:
    try:
        return path.stat().st_mtime >= since
    except OSError:
        return False


def git_ignored(project: Path, names: list[str]) -> list[str]:
    """Which of `names` git ignores (a build folder, a virtualenv): those are nobody's code to judge."""
    import subprocess

    try:
        done = subprocess.run(["git", "-C", str(project), "check-ignore", "-z", "--stdin"],
                              input="\0".join(names).encode("utf-8", "surrogateescape"), capture_output=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode not in (0, 1):
        return []
    return [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]


def git_changed_files(project: Path) -> list[str] | None:
    """Modified (against HEAD), staged and untracked-not-ignored files; None when not a git work tree."""
    if not _in_work_tree(project):
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
