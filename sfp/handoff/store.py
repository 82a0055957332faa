"""Where handoffs are kept: `<claude-dir>/handoffs/handoff-*.md` beside its `.json`, and their retention."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Final

from sfp.handoff.markdown import render_markdown
from sfp.handoff.record import Handoff, from_json, to_json
from sfp.infra import paths
from sfp.infra.record import Record

CLAIM_SUFFIX: Final = ".claim"
STALE_AFTER_S: Final = 3600.0  # an unfinished handoff this old was killed, not still being written


class StoredHandoff(Record):
    markdown: Path
    json: Path

    @property
    def id(self) -> str:
        return self.markdown.stem


def write_handoff(claude_dir: Path, handoff: Handoff, *, now: float | None = None) -> StoredHandoff:
    """`handoffs/handoff-YYYYMMDD-HHMMSS-<session8>[-N].md` and `.json`, each written atomically.

    The name is held by a hidden claim file while the two are written, the `.md` last: a handoff
    appears under its name only when complete, and a killed one leaves nothing that counts.
    """
    from sfp.infra.storage import ensure_private_dir, write_atomic

    folder = ensure_private_dir(paths.handoffs_dir(claude_dir))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    markdown, claim = _claim(folder, f"handoff-{stamp}-{_name_part(handoff.session_id)}")
    stored = StoredHandoff(markdown, markdown.with_suffix(".json"))
    try:
        write_atomic(stored.json, json.dumps(to_json(handoff), indent=2, ensure_ascii=False) + "\n")
        write_atomic(stored.markdown, render_markdown(handoff))
    finally:
        with contextlib.suppress(OSError):
            claim.unlink()
    return stored


def _name_part(session_id: str | None) -> str:
    """The session id's first 8 characters, safe in a file name whatever the payload said."""
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "_", (session_id or "nosession")[:8]) or "nosession"


def _claim(folder: Path, base: str) -> tuple[Path, Path]:
    """A name no other hook holds (concurrent hooks of one session in one second get -2, -3, ...),
    and the hidden claim file that holds it."""
    from sfp.errors import StorageError

    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        claim = folder / f".{name}{CLAIM_SUFFIX}"
        if (folder / f"{name}.md").exists() or (folder / f"{name}.json").exists():
            continue
        try:
            os.close(os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot write a handoff in {folder}: {exc.strerror}") from None
        # Another hook may have finished this name between the look above and the claim: look again, holding it.
        if (folder / f"{name}.md").exists() or (folder / f"{name}.json").exists():
            with contextlib.suppress(OSError):
                claim.unlink()
            continue
        return folder / f"{name}.md", claim
    raise StorageError(f"cannot find a free handoff name for {base} in {folder}")


def list_handoffs(claude_dir: Path) -> list[StoredHandoff]:
    """Complete handoffs (both files present), newest first."""
    folder = paths.handoffs_dir(claude_dir)
    try:
        names = [p for p in folder.glob("handoff-*.md") if _complete(p)]
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


def _complete(markdown: Path) -> bool:
    """Both files there and the markdown not empty (an older sfp created it before writing it)."""
    try:
        return markdown.stat().st_size > 0 and markdown.with_suffix(".json").is_file()
    except OSError:
        return False


def handoff_groups(claude_dir: Path) -> list[list[Path]]:
    """Complete handoffs, `.md` with its `.json`, oldest first (by mtime like `ls -t`, then name)."""
    return [group for group in _all_groups(claude_dir) if _is_complete_group(group)]


def _is_complete_group(group: list[Path]) -> bool:
    return any(p.suffix == ".md" for p in group) and any(p.suffix == ".json" for p in group) and \
        _complete(next(p for p in group if p.suffix == ".md"))


def _all_groups(claude_dir: Path) -> list[list[Path]]:
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
    """The newest complete handoff's `.md` and `.json`."""
    groups = handoff_groups(claude_dir)
    return groups[-1] if groups else []


def prune_handoffs(claude_dir: Path, keep: int, *, dry_run: bool = False, now: float | None = None) -> list[Path]:
    """Remove the oldest complete handoffs beyond the newest `keep` (never the newest), and the pieces of
    handoffs that were never finished once they are an hour old; return the files removed."""
    groups = handoff_groups(claude_dir)
    doomed = [path for group in groups[: max(len(groups) - max(keep, 1), 0)] for path in group]
    doomed += _stale_pieces(claude_dir, time.time() if now is None else now)
    if not dry_run:
        for path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return doomed


def _stale_pieces(claude_dir: Path, now: float) -> list[Path]:
    """Claims and lone or empty files of handoffs that were killed while being written, an hour on."""
    folder = paths.handoffs_dir(claude_dir)
    pieces = [path for group in _all_groups(claude_dir) if not _is_complete_group(group) for path in group]
    with contextlib.suppress(OSError):
        pieces += [p for p in folder.glob(f".handoff-*{CLAIM_SUFFIX}")]
    stale = []
    for path in pieces:
        with contextlib.suppress(OSError):
            if now - os.lstat(path).st_mtime > STALE_AFTER_S:
                stale.append(path)
    return stale


def newest_compaction_handoff(claude_dir: Path, session_id: str, *, limit: int = 50) -> tuple[StoredHandoff, Handoff] | None:
    """The newest handoff this session's PreCompact wrote (a manual or auto compaction), if any."""
    for stored in list_handoffs(claude_dir)[:limit]:
        handoff = load_handoff(stored)
        if handoff is not None and handoff.session_id == session_id and handoff.trigger in ("manual", "auto"):
            return stored, handoff
    return None


def rewrite_handoff(stored: StoredHandoff, handoff: Handoff) -> None:
    """Replace a stored handoff's two files with `handoff`, each atomically (the `.md` last)."""
    from sfp.infra.storage import write_atomic

    write_atomic(stored.json, json.dumps(to_json(handoff), indent=2, ensure_ascii=False) + "\n")
    write_atomic(stored.markdown, render_markdown(handoff))
