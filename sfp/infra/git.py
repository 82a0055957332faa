"""What git knows about a project: read from .git files where that is enough (hot paths),
from `git` itself where it isn't (handoffs, gates)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from sfp.infra.record import Record

GIT_TIMEOUT_S = 10


class GitState(Record):
    root: str
    branch: str | None
    head: str | None
    status: tuple[str, ...] = ()  # `git status --short` lines
    numstat: Mapping[str, tuple[int | None, int | None]] = MappingProxyType({})  # path -> (+, -)


def find_root(start: Path) -> Path | None:
    """The work tree holding `start` (a folder with a `.git` entry), found without running git."""
    try:
        current = start.resolve()
    except OSError:
        return None
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None


def git_dir(root: Path) -> Path | None:
    entry = root / ".git"
    if entry.is_dir():
        return entry
    try:
        text = entry.read_text(encoding="utf-8").strip()  # a worktree or submodule: "gitdir: <path>"
    except OSError:
        return None
    if text.startswith("gitdir:"):
        target = Path(text.removeprefix("gitdir:").strip())
        return target if target.is_absolute() else (root / target).resolve()
    return None


def read_head(root: Path) -> tuple[str | None, str | None]:
    """(branch, sha) of HEAD from the files in .git, or Nones when they can't be read."""
    folder = git_dir(root)
    if folder is None:
        return None, None
    try:
        head = (folder / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None, None
    if not head.startswith("ref:"):
        return None, head or None  # detached
    ref = head.removeprefix("ref:").strip()
    branch = ref.removeprefix("refs/heads/")
    return branch, _resolve_ref(folder, ref)


def _resolve_ref(folder: Path, ref: str) -> str | None:
    common = folder
    commondir = folder / "commondir"
    if commondir.exists():  # a linked worktree keeps branches in the main repository
        try:
            common = (folder / commondir.read_text(encoding="utf-8").strip()).resolve()
        except OSError:
            pass
    for base in (folder, common):
        try:
            return (base / ref).read_text(encoding="utf-8").strip() or None
        except OSError:
            continue
    try:
        for line in (common / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    except OSError:
        pass
    return None


def state(project: Path) -> GitState | None:
    """Branch, HEAD, short status and +/- counts of `project`'s work tree (runs git); None outside git."""
    root = run_git(project, "rev-parse", "--show-toplevel")
    if root is None:
        return None
    top = Path(root.strip())
    branch = run_git(project, "symbolic-ref", "--short", "-q", "HEAD")
    head = run_git(project, "rev-parse", "-q", "--verify", "HEAD")
    status = run_git(project, "status", "--short", "--untracked-files=normal") or ""
    numstat = parse_numstat(run_git(top, "diff", "--numstat", "HEAD") or "") if head else {}
    return GitState(str(top), branch.strip() if branch else None, head.strip() if head else None,
                    tuple(line for line in status.splitlines() if line.strip()), numstat)


def parse_numstat(text: str) -> dict[str, tuple[int | None, int | None]]:
    counts: dict[str, tuple[int | None, int | None]] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            added, removed, path = parts
            counts[path] = (int(added) if added.isdigit() else None, int(removed) if removed.isdigit() else None)
    return counts


def run_git(cwd: Path, *args: str) -> str | None:
    """`git -C cwd ARGS`'s stdout, or None when git is missing, fails or hangs."""
    import subprocess  # only here: reading HEAD at SessionStart needs no process
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
