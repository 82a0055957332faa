"""Making a backup: which files go in, storing them, and publishing the folder whole or not at all.

A backup is a folder `<claude-dir>/backups/<YYYYMMDD-HHMMSS>[-N]/` (local time; `-N`, from 2, only
when several land in the same second):

    metadata.json                         what is stored, where it came from, sha256, size, mode
    files/claude/<path in the claude dir>  e.g. files/claude/.context/CLAUDE.md
    files/project/<path in the project>    e.g. files/project/CLAUDE.md

It is written as `backups/.tmp-*` and renamed to its id only when complete and fsynced, so a
killed backup leaves either a whole backup or nothing that is listed or restored. The rename is
also the claim on the id: it fails when a concurrent backup already took the name, and the loser
takes the next `-N`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sfp.backup.model import (
    FILES,
    FORMAT,
    FSYNC_EACH_MAX,
    ID_PATTERN,
    METADATA,
    ROOT_CLAUDE,
    ROOT_PROJECT,
    STALE_AFTER_S,
    TMP_PREFIX,
    BackupInfo,
    BackupSettings,
    Source,
    StoredFile,
    inside,
)
from sfp.backup.store import load_backup, run_filter
from sfp.errors import StorageError
from sfp.handoff.store import newest_handoff
from sfp.infra import paths
from sfp.infra.storage import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    ensure_private_dir,
    write_atomic,
)

# -- what goes into a backup ------------------------------------------------------------------------


def backup_roots(claude_dir: Path, project: Path | None) -> dict[str, Path]:
    roots = {ROOT_CLAUDE: Path(os.path.abspath(claude_dir))}
    if project is not None:
        roots[ROOT_PROJECT] = Path(os.path.abspath(project))
    return roots


def usable_project(project: Path | None) -> tuple[Path | None, list[str]]:
    """`project` when it is a folder sfp can use; else None and why (a name too long, a file, gone).

    The claude dir's part of a backup matters most: a project that can't be used is left out, with
    a warning, rather than failing the whole backup (and so blocking a compaction).
    """
    if project is None:
        return None, []
    try:
        if stat.S_ISDIR(os.stat(project).st_mode):
            return project, []
        problem = "not a folder"
    except (OSError, ValueError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
    return None, [f"project {project}: cannot be used ({problem}), its files are not backed up"]


def default_paths(claude_dir: Path, project: Path | None) -> list[Path]:
    """The files every backup holds, whether or not they exist yet."""
    context = paths.context_dir(claude_dir)
    found = sorted(context.glob("*.md")) if context.is_dir() else []
    found += [claude_dir / "CLAUDE.md", *newest_handoff(claude_dir)]
    if project is not None:
        found += [project / "CLAUDE.md", project / ".claude" / "CLAUDE.md"]
    return found


def extra_paths(setting: Sequence[str], claude_dir: Path, project: Path | None) -> tuple[list[Path], list[str]]:
    """Files named by `backup.extra_paths` (folders are walked), and warnings for ones that can't be used."""
    found: list[Path] = []
    warnings: list[str] = []
    skip = Path(os.path.abspath(paths.backups_dir(claude_dir)))
    for raw in setting:
        path = Path(raw).expanduser()
        if not path.is_absolute():
            if project is None:
                warnings.append(f"extra path {raw}: relative to the project, and there is no project")
                continue
            path = project / path
        try:
            kind = os.lstat(path).st_mode
            if stat.S_ISLNK(kind):
                kind = os.stat(path).st_mode
        except FileNotFoundError:
            kind = None
        except (OSError, ValueError) as exc:
            warnings.append(f"extra path {raw}: cannot be used ({getattr(exc, 'strerror', None) or exc})")
            continue
        if inside(Path(os.path.abspath(path)), skip):
            warnings.append(f"extra path {raw}: inside the backups themselves, left out")
        elif kind is not None and stat.S_ISDIR(kind) and not path.is_symlink():
            found += _walk_files(path, skip)
        elif kind is not None:
            found.append(path)
        else:
            warnings.append(f"extra path {raw}: not found")
    return found, warnings


def _walk_files(folder: Path, skip: Path) -> list[Path]:
    found: list[Path] = []
    for top, dirs, files in os.walk(folder):  # os.walk does not follow symlinked folders
        dirs[:] = sorted(d for d in dirs if Path(os.path.abspath(os.path.join(top, d))) != skip)
        found += [Path(top) / name for name in sorted(files)]
    return found


def sources_for(candidates: Iterable[Path], roots: Mapping[str, Path]) -> tuple[list[Source], list[str]]:
    """Place each file under the root it lives in; a file that leaves every root is left out.

    A restore writes only inside the roots, so a file whose real location is elsewhere (a
    symlink out) could never be put back: better to say so now than to refuse the restore later.
    """
    sources: list[Source] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    real_roots = {name: root.resolve() for name, root in roots.items()}
    real_folders: dict[Path, Path] = {}  # many files share a folder: resolve each folder once
    for candidate in candidates:
        path = Path(os.path.abspath(candidate))
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            continue
        if path in seen:
            continue
        seen.add(path)
        placed = _place(path, roots)
        if placed is None:
            warnings.append(f"{path}: outside the claude dir and the project, not backed up")
            continue
        try:
            if path.parent not in real_folders:
                real_folders[path.parent] = path.parent.resolve()
            real = path.resolve() if is_link else real_folders[path.parent] / path.name
        except (OSError, RuntimeError) as exc:  # a link changing while it is read; a loop
            warnings.append(f"{path}: cannot tell where it leads ({getattr(exc, 'strerror', None) or exc}), "
                            "not backed up")
            continue
        if inside(real, real_roots[placed[0]]):
            sources.append(Source(placed[0], placed[1], path))
        else:
            warnings.append(f"{path}: a link to {real}, outside the {placed[0]} folder, not backed up")
    return sources, warnings


def _place(path: Path, roots: Mapping[str, Path]) -> tuple[str, str] | None:
    """(root name, relative path) under the most specific root holding `path`."""
    best: tuple[str, str] | None = None
    text = str(path)
    for name, root in roots.items():
        prefix = os.path.join(str(root), "")
        if text.startswith(prefix) and (best is None or len(text) - len(prefix) < len(best[1])):
            best = (name, text[len(prefix):])  # POSIX only, like the rest of sfp: already a POSIX path
    return best




# -- writing a backup -------------------------------------------------------------------------------


def create_backup(
    claude_dir: Path,
    project: Path | None,
    settings: BackupSettings,
    *,
    reason: str,
    include: Sequence[Path] = (),
    clock: Callable[[], float] = time.time,
    invocation: Sequence[str] | None = None,
) -> BackupInfo:
    """Back up the context files, the newest handoff, the extra paths and `include`; return what was stored.

    Raises StorageError (one line) when the backup can't be written; nothing partial stays visible.
    """
    backups = ensure_private_dir(paths.backups_dir(claude_dir))
    remove_stale_temporaries(backups, now=time.time())  # file times are real time, whatever `clock` says
    project, warnings = usable_project(project)
    roots = backup_roots(claude_dir, project)
    extra, extra_warnings = extra_paths(settings.extra_paths, claude_dir, project)
    warnings += extra_warnings
    sources, skipped = sources_for([*default_paths(claude_dir, project), *extra, *include], roots)
    created = clock()
    base = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
    tmp = backups / f"{TMP_PREFIX}{base}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.mkdir(tmp, PRIVATE_DIR)
        entries = store_files(tmp, sources, settings.encrypt_command)
        meta = {
            "format": FORMAT,
            "timestamp": _iso(created),
            "reason": reason,
            "roots": {name: str(root) for name, root in roots.items()},
            "encrypted": settings.encrypt_command is not None,
            # Only the program: the rest of the command line may hold a passphrase.
            "encrypted_with": _program(settings.encrypt_command),
            "file_count": len(entries),
            "total_size": sum(e.size for e in entries),
            "files_backed_up": [_entry_json(e) for e in entries],
        }
        if invocation is None:
            from sfp.infra.runtime import standalone_self_command

            invocation = standalone_self_command()
        command = [*invocation, "--claude-dir", str(roots[ROOT_CLAUDE])]
        # Its project files go back only to a project the person names: the command names it.
        named = ["--project", str(roots[ROOT_PROJECT])] if any(e.root == ROOT_PROJECT for e in entries) else []
        backup_id = publish(backups, tmp, base, meta, command, named)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise StorageError(f"cannot write a backup in {backups}: {exc.strerror or exc}") from None
        raise
    return replace(load_backup(claude_dir, backup_id), warnings=tuple(warnings + skipped))


def store_files(tmp: Path, sources: Sequence[Source], encrypt_command: str | None) -> list[StoredFile]:
    """Copy each source under `tmp/files/<root>/`, then make the copies and their folders durable."""
    entries: list[StoredFile] = []
    os.mkdir(tmp / FILES, PRIVATE_DIR)
    folders: set[Path] = {tmp, tmp / FILES}
    written: list[Path] = []
    for source in sources:
        read = _read_regular(source.path)
        if read is None:
            continue  # vanished, or not a plain file
        data, info = read
        target = tmp / FILES / source.root / source.relative_path
        _make_folders(target.parent, tmp, folders)
        stored = run_filter(encrypt_command, data, "encrypt") if encrypt_command else data
        _write_new(target, stored)
        written.append(target)
        entries.append(StoredFile(source.root, source.relative_path, str(source.path), hashlib.sha256(data).hexdigest(),
                                  len(data), stat.S_IMODE(info.st_mode), info.st_mtime_ns))
    make_durable(written, sorted(folders, key=lambda p: len(p.parts), reverse=True))
    return entries


def make_durable(files: Sequence[Path], folders: Sequence[Path]) -> None:
    """fsync the files, then their folders; for many files, one syncfs(2) of their file system instead.

    On ext4 each fsync commits the journal (about 4 ms): 1000 small files took 3.5 s one by one
    and 0.1 s with one syncfs. For a handful of files an fsync each is cheaper than flushing
    whatever else the file system holds.
    """
    if len(files) > FSYNC_EACH_MAX and folders and _syncfs(folders[-1]):
        return
    for path in [*files, *folders]:
        _fsync_path(path)


def _syncfs(anywhere: Path) -> bool:
    """syncfs(2) the file system holding `anywhere`; False where there is no such call (macOS)."""
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, AttributeError, OSError):
        return False
    fd = os.open(anywhere, os.O_RDONLY)
    try:
        return bool(syncfs(fd) == 0)
    finally:
        os.close(fd)


def publish(backups: Path, tmp: Path, base: str, meta: dict[str, Any], command: Sequence[str],
            options: Sequence[str] = ()) -> str:
    """Rename the complete `tmp` to the first free id `base[-N]`; return the id taken.

    rename(2) refuses a non-empty target, and a published backup always holds
    metadata.json, so two backups racing for one id can't both get it.
    """
    import json
    import shlex

    for _ in range(10_000):
        backup_id = next_free_id(backups, base)
        meta = {**meta, "backup_id": backup_id, "restore_command": shlex.join([*command, "restore", backup_id, *options])}
        write_atomic(tmp / METADATA, json.dumps(_ordered(meta), indent=2, ensure_ascii=False) + "\n")
        try:
            os.rename(tmp, backups / backup_id)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                continue
            raise
        _fsync_path(backups)
        return backup_id
    raise StorageError(f"cannot find a free backup id for {base} in {backups}")


def next_free_id(backups: Path, base: str) -> str:
    taken = [_id_number(name) for name in os.listdir(backups) if name.startswith(base)]
    numbers = [n for n in taken if n is not None]
    return base if not numbers else f"{base}-{max(max(numbers) + 1, 2)}"


def _id_number(name: str) -> int | None:
    match = ID_PATTERN.fullmatch(name)
    return None if match is None else int(match.group(2) or 1)


def remove_stale_temporaries(backups: Path, *, now: float, max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove `.tmp-*` left by backups or prunes that died more than `max_age_s` ago."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(backups):
            with contextlib.suppress(OSError):
                if entry.name.startswith(TMP_PREFIX) and now - entry.stat(follow_symlinks=False).st_mtime > max_age_s:
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _read_regular(path: Path) -> tuple[bytes, os.stat_result] | None:
    # O_NONBLOCK: opening a FIFO someone named in extra_paths must not hang a hook.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(), info
    finally:
        os.close(fd)


def _make_folders(folder: Path, top: Path, made: set[Path]) -> None:
    missing: list[Path] = []
    while folder not in made and folder != top:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        os.mkdir(path, PRIVATE_DIR)
        made.add(path)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # the umask may have taken bits, never added them; be exact anyway
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # some file systems can't fsync a folder; nothing more to do there
            raise
    finally:
        os.close(fd)


def _program(command: str | None) -> str | None:
    import shlex

    words = shlex.split(command) if command else []
    return os.path.basename(words[0]) if words else None


def _iso(moment: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(moment).astimezone().isoformat(timespec="seconds")


def _entry_json(entry: StoredFile) -> dict[str, Any]:
    return {"path": entry.path, "root": entry.root, "relative_path": entry.relative_path, "sha256": entry.sha256,
            "size": entry.size, "mode": f"{entry.mode:04o}", "mtime_ns": entry.mtime_ns}


def _ordered(meta: dict[str, Any]) -> dict[str, Any]:
    # The runbook's fields first, so `cat metadata.json` reads well.
    first = ("backup_id", "timestamp", "reason", "restore_command", "file_count", "total_size")
    return {**{k: meta[k] for k in first}, **{k: v for k, v in meta.items() if k not in first}}
