"""Where handoffs are kept: `<claude-dir>/handoffs/handoff-*.md` beside its `.json`, and their retention."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import NamedTuple

from sfp.handoff.markdown import render_markdown
from sfp.handoff.record import Handoff, from_json, to_json
from sfp.infra import paths


class StoredHandoff(NamedTuple):
    markdown: Path
    json: Path

    @property
    def id(self) -> str:
        return self.markdown.stem


def write_handoff(claude_dir: Path, handoff: Handoff, *, now: float | None = None) -> StoredHandoff:
    """`handoffs/handoff-YYYYMMDD-HHMMSS-<session8>[-N].md` and `.json`, each written atomically."""
    from sfp.infra.storage import ensure_private_dir, write_atomic

    folder = ensure_private_dir(paths.handoffs_dir(claude_dir))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = f"handoff-{stamp}-{_name_part(handoff.session_id)}"
    markdown = _claim(folder, base)
    stored = StoredHandoff(markdown, markdown.with_suffix(".json"))
    write_atomic(stored.json, json.dumps(to_json(handoff), indent=2, ensure_ascii=False) + "\n")
    write_atomic(stored.markdown, render_markdown(handoff))
    return stored


def _name_part(session_id: str | None) -> str:
    """The session id's first 8 characters, safe in a file name whatever the payload said."""
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "_", (session_id or "nosession")[:8]) or "nosession"


def _claim(folder: Path, base: str) -> Path:
    """A name no other hook holds: concurrent hooks of one session in one second get -2, -3, ..."""
    from sfp.errors import StorageError

    for n in range(1, 1000):
        candidate = folder / (f"{base}.md" if n == 1 else f"{base}-{n}.md")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot write a handoff in {folder}: {exc.strerror}") from None
    raise StorageError(f"cannot find a free handoff name for {base} in {folder}")


def list_handoffs(claude_dir: Path) -> list[StoredHandoff]:
    """Complete handoffs (both files present), newest first."""
    folder = paths.handoffs_dir(claude_dir)
    try:
        names = [p for p in folder.glob("handoff-*.md") if p.with_suffix(".json").exists()]
    except OSError:
        return []
    names.sort(key=lambda p: (_mtime(p), p.name), reverse=True)
    return [StoredHandoff(p, p.with_suffix(".json")) for p in names]


def load_handoff(stored: StoredHandoff) -> Handoff | None:
    try:
        value = json.loads(stored.json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return from_json(value) if isinstance(value, dict) else None


def latest_for_project(claude_dir: Path, cwd: str | None, git_root: str | None, *, limit: int = 50) -> tuple[StoredHandoff, Handoff] | None:
    """The newest handoff of this project — same git root, or same cwd — never another project's."""
    for stored in list_handoffs(claude_dir)[:limit]:
        handoff = load_handoff(stored)
        if handoff is not None and same_project(handoff, cwd, git_root):
            return stored, handoff
    return None


def same_project(handoff: Handoff, cwd: str | None, git_root: str | None) -> bool:
    if git_root and handoff.git_root:
        return _norm(git_root) == _norm(handoff.git_root)
    return bool(cwd and handoff.cwd and _norm(cwd) == _norm(handoff.cwd))


def _norm(path: str) -> str:
    return os.path.normpath(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def drop_superseded(claude_dir: Path, keep: StoredHandoff, session_id: str | None) -> list[Path]:
    """Remove this session's older SessionEnd handoffs: each `claude -p` run ends the session once,
    and only the newest of those says anything the others don't. Compaction handoffs stay."""
    if not session_id:
        return []
    removed = []
    for stored in list_handoffs(claude_dir):
        if stored.markdown == keep.markdown or f"-{_name_part(session_id)}" not in stored.markdown.name:
            continue
        old = load_handoff(stored)
        if old is not None and old.session_id == session_id and old.trigger == "session_end":
            for path in (stored.json, stored.markdown):
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
    return removed


def handoff_groups(claude_dir: Path) -> list[list[Path]]:
    """`handoff-*.md` with its `.json`, grouped by name, oldest first (by mtime like `ls -t`, then name)."""
    groups: dict[str, list[Path]] = {}
    times: dict[str, int] = {}
    try:
        entries = list(os.scandir(paths.handoffs_dir(claude_dir)))
    except OSError:
        return []
    for entry in entries:
        stem, dot, suffix = entry.name.rpartition(".")
        if not (dot and suffix in ("md", "json") and stem.startswith("handoff-")):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                groups.setdefault(stem, []).append(Path(entry.path))
                times[stem] = max(times.get(stem, 0), entry.stat(follow_symlinks=False).st_mtime_ns)
    return [sorted(groups[stem]) for stem in sorted(groups, key=lambda s: (times[s], s))]


def newest_handoff(claude_dir: Path) -> list[Path]:
    """The newest handoff's `.md` and, when present, its `.json`."""
    with_markdown = [group for group in handoff_groups(claude_dir) if any(p.suffix == ".md" for p in group)]
    return with_markdown[-1] if with_markdown else []


def prune_handoffs(claude_dir: Path, keep: int, *, dry_run: bool = False) -> list[Path]:
    """Remove the oldest handoffs (`.md` with its `.json`) beyond the newest `keep`; return the files removed."""
    groups = handoff_groups(claude_dir)
    doomed = [path for group in groups[: max(len(groups) - max(keep, 0), 0)] for path in group]
    if not dry_run:
        for path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return doomed
