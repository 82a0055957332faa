"""Backups of the files a session's context lives in, and putting them back (the runbook's state rollback).

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
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Final

from sfp.infra import paths
from sfp.errors import ConfigError, SfpError, StorageError, UsageError
from sfp.infra.storage import PRIVATE_DIR, PRIVATE_FILE, ensure_private_dir, write_atomic

ROOT_CLAUDE: Final = "claude"
ROOT_PROJECT: Final = "project"
METADATA: Final = "metadata.json"
FILES: Final = "files"
TMP_PREFIX: Final = ".tmp-"
FORMAT: Final = 1
STALE_AFTER_S: Final = 3600.0
FILTER_TIMEOUT_S: Final = 120.0
FSYNC_EACH_MAX: Final = 32
ID_PATTERN: Final = re.compile(r"(\d{8}-\d{6})(?:-([1-9]\d*))?")

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


@dataclass(frozen=True)
class BackupSettings:
    keep: int = 10
    keep_handoffs: int = 20
    extra_paths: tuple[str, ...] = ()
    encrypt_command: str | None = None
    decrypt_command: str | None = None


@dataclass(frozen=True)
class StoredFile:
    root: str  # ROOT_CLAUDE or ROOT_PROJECT
    relative_path: str  # POSIX, relative to the root
    path: str  # where it was, as recorded
    sha256: str  # of the original content, before any encryption
    size: int
    mode: int
    mtime_ns: int


@dataclass(frozen=True)
class BackupInfo:
    backup_id: str
    folder: Path
    timestamp: str
    reason: str
    roots: Mapping[str, str]
    files: tuple[StoredFile, ...]
    encrypted: bool
    restore_command: str
    warnings: tuple[str, ...] = ()  # files a new backup had to leave out, and why

    def stored_path(self, entry: StoredFile) -> Path:
        return self.folder / FILES / entry.root / entry.relative_path

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)


@dataclass(frozen=True)
class Source:
    root: str
    relative_path: str
    path: Path


@dataclass(frozen=True)
class FileChange:
    entry: StoredFile
    target: Path
    status: str  # NEW, CHANGED or UNCHANGED
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class RestorePlan:
    backup: BackupInfo
    changes: tuple[FileChange, ...]

    @property
    def pending(self) -> tuple[FileChange, ...]:
        return tuple(change for change in self.changes if change.status != UNCHANGED)


@dataclass(frozen=True)
class RestoreResult:
    pre_restore: BackupInfo | None
    written: tuple[Path, ...]


@dataclass(frozen=True)
class VerifyResult:
    backup_id: str
    files: int
    problems: tuple[str, ...]


# -- settings ---------------------------------------------------------------------------------------


def settings_or_defaults(claude_dir: Path, project: Path | None, event: str) -> BackupSettings:
    """The `backup:` settings, or the defaults (logged) when sfp.yaml can't be used: a typo in a
    setting must not block a compaction that the defaults can back up."""
    from sfp.config.layers import load_config
    from sfp.errors import ConfigError

    try:
        return settings_from_config(load_config("sfp", claude_dir, project).get("backup", default={}))
    except ConfigError as exc:
        from sfp.infra.log import write_log

        write_log(claude_dir, "warning", event, f"backup settings unusable, defaults used: {exc}")
        return BackupSettings()


def settings_from_config(section: Any) -> BackupSettings:
    """BackupSettings from the `backup:` mapping of sfp.yaml (None or missing keys: the defaults)."""
    if section is None:
        return BackupSettings()
    if not isinstance(section, Mapping):
        raise ConfigError("backup: expected a mapping of settings")
    default = BackupSettings()
    extra = section.get("extra_paths") or []
    if not isinstance(extra, list) or not all(isinstance(p, str) and p for p in extra):
        raise ConfigError("backup.extra_paths: expected a list of paths")
    return BackupSettings(
        keep=_count(section, "keep", default.keep),
        keep_handoffs=_count(section, "keep_handoffs", default.keep_handoffs),
        extra_paths=tuple(extra),
        encrypt_command=_command(section, "encrypt_command"),
        decrypt_command=_command(section, "decrypt_command"),
    )


def _count(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"backup.{key}: expected a whole number of at least 1, not {value!r}")
    return value


def _command(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"backup.{key}: expected a command line such as `gpg --encrypt -r KEY`, or null")
    return value


# -- what goes into a backup ------------------------------------------------------------------------


def backup_roots(claude_dir: Path, project: Path | None) -> dict[str, Path]:
    roots = {ROOT_CLAUDE: Path(os.path.abspath(claude_dir))}
    if project is not None:
        roots[ROOT_PROJECT] = Path(os.path.abspath(project))
    return roots


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
        if _inside(Path(os.path.abspath(path)), skip):
            warnings.append(f"extra path {raw}: inside the backups themselves, left out")
        elif path.is_dir() and not path.is_symlink():
            found += _walk_files(path, skip)
        elif path.exists():
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
        if path.parent not in real_folders:
            real_folders[path.parent] = path.parent.resolve()
        real = path.resolve() if is_link else real_folders[path.parent] / path.name
        if _inside(real, real_roots[placed[0]]):
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


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


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
    roots = backup_roots(claude_dir, project)
    extra, warnings = extra_paths(settings.extra_paths, claude_dir, project)
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
        command = [*(invocation if invocation is not None else default_invocation()), "--claude-dir", str(roots[ROOT_CLAUDE])]
        backup_id = publish(backups, tmp, base, meta, command)
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


def publish(backups: Path, tmp: Path, base: str, meta: dict[str, Any], command: Sequence[str]) -> str:
    """Rename the complete `tmp` to the first free id `base[-N]`; return the id taken.

    rename(2) refuses a non-empty target, and a published backup always holds
    metadata.json, so two backups racing for one id can't both get it.
    """
    import json
    import shlex

    for _ in range(10_000):
        backup_id = next_free_id(backups, base)
        meta = {**meta, "backup_id": backup_id, "restore_command": shlex.join([*command, "restore", backup_id])}
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


def default_invocation() -> tuple[str, ...]:
    """How a person runs this sfp again: `python3 /abs/sfp.pyz`, or `sfp` from a source checkout."""
    from sfp.infra.runtime import interpreter, running_zipapp

    pyz = running_zipapp()
    return (interpreter(), str(pyz)) if pyz is not None else ("sfp",)


def run_filter(command: str, data: bytes, what: str) -> bytes:
    """Pipe `data` through `command` (encrypt or decrypt: stdin to stdout), with no shell."""
    import shlex
    import subprocess

    args = shlex.split(command)
    try:
        done = subprocess.run(args, input=data, capture_output=True, timeout=FILTER_TIMEOUT_S, check=False)
    except (OSError, ValueError) as exc:
        raise StorageError(f"backup.{what}_command `{command}` cannot run: {getattr(exc, 'strerror', None) or exc}") from None
    except subprocess.TimeoutExpired:
        raise StorageError(f"backup.{what}_command `{command}` took more than {FILTER_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StorageError(f"backup.{what}_command `{command}` failed (exit {done.returncode})"
                           + (f": {detail[0]}" if detail else ""))
    return done.stdout


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


# -- reading backups --------------------------------------------------------------------------------


def list_backups(claude_dir: Path) -> list[BackupInfo]:
    """Complete backups, oldest first. Temporaries and damaged folders are not backups."""
    return scan_backups(claude_dir)[0]


def scan_backups(claude_dir: Path) -> tuple[list[BackupInfo], list[tuple[str, str]]]:
    """(complete backups oldest first, [(folder name, what is wrong)] for id-named folders that are not)."""
    good: list[BackupInfo] = []
    damaged: list[tuple[str, str]] = []
    try:
        names = os.listdir(paths.backups_dir(claude_dir))
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise StorageError(f"cannot read {paths.backups_dir(claude_dir)}: {exc.strerror}") from None
    for name in names:
        if ID_PATTERN.fullmatch(name):
            try:
                good.append(load_backup(claude_dir, name))
            except SfpError as exc:
                damaged.append((name, str(exc)))
    good.sort(key=lambda info: id_sort_key(info.backup_id))
    return good, sorted(damaged)


def id_sort_key(backup_id: str) -> tuple[str, int]:
    match = ID_PATTERN.fullmatch(backup_id)
    return (backup_id, 0) if match is None else (match.group(1), int(match.group(2) or 1))


def latest_backup(claude_dir: Path) -> BackupInfo:
    backups = list_backups(claude_dir)
    if not backups:
        raise UsageError(f"no backups in {paths.backups_dir(claude_dir)} yet (`sfp backup create` makes one)")
    return backups[-1]


def load_backup(claude_dir: Path, backup_id: str) -> BackupInfo:
    """The backup `backup_id`; UsageError when there is none, SfpError when it is damaged."""
    import json

    if not ID_PATTERN.fullmatch(backup_id):
        raise UsageError(f"`{backup_id}` is not a backup id (they look like 20260210-115952; `sfp backup list`)")
    folder = paths.backups_dir(claude_dir) / backup_id
    try:
        if stat.S_ISLNK(folder.lstat().st_mode):
            raise SfpError(f"backup {backup_id} is a symlink, not a backup folder sfp wrote")
        text = (folder / METADATA).read_text(encoding="utf-8")
    except FileNotFoundError:
        if folder.is_dir():
            raise SfpError(f"backup {backup_id} has no {METADATA}: it is incomplete or damaged") from None
        raise UsageError(f"no backup {backup_id} in {folder.parent} (`sfp backup list` shows them)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SfpError(f"cannot read backup {backup_id}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return parse_metadata(json.loads(text), folder)
    except (ValueError, KeyError, TypeError) as exc:
        raise SfpError(f"backup {backup_id}: {METADATA} is damaged ({exc})") from None


def parse_metadata(meta: Any, folder: Path) -> BackupInfo:
    """A BackupInfo from metadata.json's value; ValueError/KeyError/TypeError when its shape is wrong."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"not an sfp backup of format {FORMAT}")
    if meta["backup_id"] != folder.name:
        raise ValueError(f"it names backup {meta['backup_id']!r}, but lives in {folder.name}")
    roots = meta["roots"]
    if not isinstance(roots, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in roots.items()):
        raise ValueError("roots: expected names and paths")
    files = tuple(_parse_entry(item) for item in meta["files_backed_up"])
    return BackupInfo(meta["backup_id"], folder, _text(meta, "timestamp"), _text(meta, "reason"), roots, files,
                      meta["encrypted"] is True, _text(meta, "restore_command"))


def _parse_entry(item: Any) -> StoredFile:
    mode = _text(item, "mode")
    if not re.fullmatch(r"0[0-7]{3}", mode):
        raise ValueError(f"mode {mode!r}: expected octal like 0644")
    numbers = [item[k] for k in ("size", "mtime_ns")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        raise ValueError("size and mtime_ns must be whole numbers")
    return StoredFile(_text(item, "root"), _text(item, "relative_path"), _text(item, "path"), _text(item, "sha256"),
                      numbers[0], int(mode, 8), numbers[1])


def _text(mapping: Any, key: str) -> str:
    value = mapping[key]
    if not isinstance(value, str):
        raise TypeError(f"{key}: expected text")
    return value


def disk_usage(folder: Path) -> int:
    """Bytes of the files in `folder`, like `du` without block rounding."""
    total = 0
    for top, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(top, name)).st_size
    return total


# -- is it safe to restore? -------------------------------------------------------------------------


def restore_roots(backup: BackupInfo, claude_dir: Path) -> dict[str, Path]:
    """Where each root of `backup` goes back to: this claude dir, and the project the backup recorded."""
    roots = {ROOT_CLAUDE: Path(os.path.abspath(claude_dir))}
    if ROOT_PROJECT in backup.roots:
        roots[ROOT_PROJECT] = Path(backup.roots[ROOT_PROJECT])
    return roots


def restore_target(backup: BackupInfo, entry: StoredFile, roots: Mapping[str, Path]) -> Path:
    return roots[entry.root] / entry.relative_path


def unsafe_entries(backup: BackupInfo, claude_dir: Path) -> list[str]:
    """Why restoring `backup` could write outside the claude dir and its project: empty when it can't."""
    roots = restore_roots(backup, claude_dir)
    if ROOT_PROJECT in roots and not _plain_root(roots[ROOT_PROJECT]):
        return [f"project root {roots[ROOT_PROJECT]} is not a plain absolute folder path"]
    problems: list[str] = []
    seen: set[Path] = set()
    for entry in backup.files:
        problem = _entry_problem(backup, entry, roots)
        target = restore_target(backup, entry, roots) if problem is None else None
        if problem is None and target in seen:
            problem = f"{target} is listed twice"
        if problem is not None:
            problems.append(problem)
        elif target is not None:
            seen.add(target)
    return problems


def _plain_root(root: Path) -> bool:
    text = str(root)
    return root.is_absolute() and "\0" not in text and os.path.normpath(text) == text and root != Path(root.anchor)


def _entry_problem(backup: BackupInfo, entry: StoredFile, roots: Mapping[str, Path]) -> str | None:
    if entry.root not in roots:
        return f"{entry.path}: belongs to an unknown root {entry.root!r}"
    relative = PurePosixPath(entry.relative_path)
    if relative.is_absolute() or "\0" in entry.relative_path or \
            any(part in ("", ".", "..") for part in entry.relative_path.split("/")):
        return f"{entry.relative_path}: not a plain path inside the {entry.root} folder"
    if entry.root == ROOT_CLAUDE and relative.parts[0] == paths.backups_dir(Path()).name:
        return f"{entry.relative_path}: would write into the backups themselves"
    recorded = backup.roots.get(entry.root)
    if recorded is None or entry.path != str(Path(recorded) / entry.relative_path):
        return f"{entry.path}: does not match its place {entry.root}/{entry.relative_path}"
    root = roots[entry.root]
    target = root / entry.relative_path
    if not _inside(target.resolve(), root.resolve()):
        return f"{target}: leads to {target.resolve()}, outside the {entry.root} folder {root}"
    stored = backup.stored_path(entry)
    try:
        info = stored.lstat()
    except OSError:
        return f"{stored}: missing from the backup"
    if not stat.S_ISREG(info.st_mode) or not _inside(stored.resolve(), backup.folder.resolve()):
        return f"{stored}: not a plain file inside the backup (a symlink?)"
    return None


# -- restore ----------------------------------------------------------------------------------------


def read_entry(backup: BackupInfo, entry: StoredFile, decrypt_command: str | None) -> bytes:
    """The original content of `entry`, decrypted when the backup is encrypted; checksum checked."""
    stored = backup.stored_path(entry)
    try:
        fd = os.open(stored, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SfpError(f"backup {backup.backup_id}: cannot read {stored}: {exc.strerror}") from None
    if backup.encrypted:
        if not decrypt_command:
            raise UsageError(f"backup {backup.backup_id} is encrypted: set backup.decrypt_command in sfp.yaml "
                             "(e.g. `gpg --decrypt`)")
        data = run_filter(decrypt_command, data, "decrypt")
    if hashlib.sha256(data).hexdigest() != entry.sha256 or len(data) != entry.size:
        raise SfpError(f"backup {backup.backup_id}: {entry.path} does not match its checksum (the backup is damaged)")
    return data


def plan_restore(claude_dir: Path, backup: BackupInfo, settings: BackupSettings) -> RestorePlan:
    """Check the whole backup (paths, then every checksum) and compare it with the files as they are now.

    Raises SfpError before anything is written when the backup is unsafe or damaged.
    """
    problems = unsafe_entries(backup, claude_dir)
    if problems:
        more = f" (and {len(problems) - 1} more; `sfp backup verify {backup.backup_id}` lists them)" if len(problems) > 1 else ""
        raise SfpError(f"refusing to restore backup {backup.backup_id}: {problems[0]}{more}; nothing was written")
    roots = restore_roots(backup, claude_dir)
    try:
        contents = [read_entry(backup, entry, settings.decrypt_command) for entry in backup.files]
    except SfpError as exc:
        raise type(exc)(f"refusing to restore: {exc}; nothing was written") from None
    changes = tuple(
        FileChange(entry, target, _compare(target, content, entry.mode), content)
        for entry, content in zip(backup.files, contents)
        for target in [restore_target(backup, entry, roots)]
    )
    return RestorePlan(backup, changes)


def _compare(target: Path, content: bytes, mode: int) -> str:
    try:
        info = target.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SfpError(f"cannot restore {target}: a folder is in the way; move it and try again")
        current = target.read_bytes()
    except FileNotFoundError:
        return NEW
    except OSError as exc:
        raise SfpError(f"cannot read {target}: {exc.strerror}") from None
    return UNCHANGED if current == content and stat.S_IMODE(info.st_mode) == mode else CHANGED


def apply_restore(
    claude_dir: Path,
    plan: RestorePlan,
    settings: BackupSettings,
    *,
    clock: Callable[[], float] = time.time,
    invocation: Sequence[str] | None = None,
) -> RestoreResult:
    """Back up the files as they are now (reason `pre-restore`), then write the plan's changes."""
    pending = plan.pending
    if not pending:
        return RestoreResult(None, ())
    project_root = plan.backup.roots.get(ROOT_PROJECT)
    project = Path(project_root) if project_root and Path(project_root).is_dir() else None
    existing = [change.target for change in pending if change.status == CHANGED]
    before = create_backup(claude_dir, project, settings, reason="pre-restore", include=existing, clock=clock,
                           invocation=invocation)
    # The pre-restore backup took a moment; check the paths again right before writing.
    problems = unsafe_entries(plan.backup, claude_dir)
    if problems:
        raise SfpError(f"refusing to restore backup {plan.backup.backup_id}: {problems[0]}; nothing was written")
    for change in pending:
        # Through a link that stays inside the root (checked above), so the link itself survives.
        destination = change.target.resolve()
        destination.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        write_atomic(destination, change.content, mode=change.entry.mode)
        with contextlib.suppress(OSError):
            os.utime(destination, ns=(change.entry.mtime_ns, change.entry.mtime_ns))
    return RestoreResult(before, tuple(change.target for change in pending))


# -- verify -----------------------------------------------------------------------------------------


def verify_backup(claude_dir: Path, backup: BackupInfo, settings: BackupSettings) -> VerifyResult:
    """Every problem of `backup`: unsafe paths, missing or changed files, a decrypt that fails."""
    problems = unsafe_entries(backup, claude_dir)
    for entry in backup.files:
        try:
            read_entry(backup, entry, settings.decrypt_command)
        except SfpError as exc:
            problems.append(str(exc).removeprefix(f"backup {backup.backup_id}: "))
            if isinstance(exc, UsageError):
                break  # no decrypt command: every file would say the same
    return VerifyResult(backup.backup_id, len(backup.files), tuple(dict.fromkeys(problems)))


def verify_all(claude_dir: Path, settings: BackupSettings) -> list[VerifyResult]:
    good, damaged = scan_backups(claude_dir)
    results = [verify_backup(claude_dir, backup, settings) for backup in good]
    results += [VerifyResult(name, 0, (problem,)) for name, problem in damaged]
    return sorted(results, key=lambda r: id_sort_key(r.backup_id))


# -- retention --------------------------------------------------------------------------------------


def prune_backups(claude_dir: Path, keep: int, *, dry_run: bool = False) -> list[BackupInfo]:
    """Remove all but the newest `keep` complete backups (never the newest one); return those removed."""
    backups = list_backups(claude_dir)
    doomed = backups[: max(len(backups) - max(keep, 1), 0)]
    if not dry_run:
        for backup in doomed:
            remove_backup(backup.folder)
    return doomed


def remove_backup(folder: Path) -> None:
    """Rename the backup out of the listing first, so a prune killed halfway leaves no half backup."""
    trash = folder.with_name(f"{TMP_PREFIX}removed-{folder.name}-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(folder, trash)
    except FileNotFoundError:
        return  # a concurrent prune got there first
    except OSError as exc:
        raise StorageError(f"cannot remove backup {folder}: {exc.strerror}") from None
    shutil.rmtree(trash, ignore_errors=True)


def prune_handoffs(claude_dir: Path, keep: int, *, dry_run: bool = False) -> list[Path]:
    """Remove the oldest handoffs (`.md` with its `.json`) beyond the newest `keep`; return the files removed."""
    groups = handoff_groups(claude_dir)
    doomed = [path for group in groups[: max(len(groups) - max(keep, 0), 0)] for path in group]
    if not dry_run:
        for path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return doomed
