"""The backups kept in `<claude-dir>/backups/`: listing, loading, the encrypt/decrypt filter, retention."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any

from sfp.backup.model import (
    FILTER_TIMEOUT_S,
    FORMAT,
    ID_PATTERN,
    METADATA,
    METADATA_MAX,
    TMP_PREFIX,
    BackupInfo,
    StoredFile,
)
from sfp.errors import SfpError, StorageError, UsageError
from sfp.infra import paths


def run_filter(command: str, data: bytes, what: str) -> bytes:
    """Pipe `data` through `command` (encrypt or decrypt: stdin to stdout), with no shell."""
    import shlex

    from sfp.infra import proc

    args = shlex.split(command)
    try:
        done = proc.run(args, stdin=data, timeout_s=FILTER_TIMEOUT_S, keep_stdout=True)
    except (OSError, ValueError) as exc:
        raise StorageError(f"backup.{what}_command `{command}` cannot run: {getattr(exc, 'strerror', None) or exc}") from None
    if done.timed_out:
        raise StorageError(f"backup.{what}_command `{command}` took more than {FILTER_TIMEOUT_S:.0f} s")
    if done.returncode != 0:
        detail = done.output.strip().splitlines()
        raise StorageError(f"backup.{what}_command `{command}` failed (exit {done.returncode})"
                           + (f": {detail[0]}" if detail else ""))
    return done.stdout


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
        text = _read_metadata(folder / METADATA, backup_id)
    except FileNotFoundError:
        if folder.is_dir():
            raise SfpError(f"backup {backup_id} has no {METADATA}: it is incomplete or damaged") from None
        raise UsageError(f"no backup {backup_id} in {folder.parent} (`sfp backup list` shows them)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SfpError(f"cannot read backup {backup_id}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return parse_metadata(json.loads(text), folder)
    except RecursionError:
        raise SfpError(f"backup {backup_id}: {METADATA} is damaged (nested too deeply to read)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SfpError(f"backup {backup_id}: {METADATA} is damaged ({exc})") from None


def _read_metadata(path: Path, backup_id: str) -> str:
    """metadata.json's text: a plain file (no link), checked against METADATA_MAX before it is read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SfpError(f"backup {backup_id}: {METADATA} is not a plain file")
        if info.st_size > METADATA_MAX:
            raise SfpError(f"backup {backup_id}: {METADATA} is damaged ({info.st_size} bytes, more than any "
                           f"backup's {METADATA_MAX})")
        data = handle.read(info.st_size + 1)  # a read(n) reserves n bytes: ask for what is there
        while len(data) <= METADATA_MAX and (more := handle.read(1 << 20)):
            data += more  # it grew since the fstat
    if len(data) > METADATA_MAX:
        raise SfpError(f"backup {backup_id}: {METADATA} is damaged (more than {METADATA_MAX} bytes)")
    return data.decode("utf-8")


def parse_metadata(meta: Any, folder: Path) -> BackupInfo:
    """A BackupInfo from metadata.json's value; ValueError/KeyError/TypeError when its shape is wrong."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"not an sfp backup of format {FORMAT}")
    if meta["backup_id"] != folder.name:
        raise ValueError(f"it names backup {meta['backup_id']!r}, but lives in {folder.name}")
    roots = meta["roots"]
    if not isinstance(roots, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in roots.items()):
        raise ValueError("roots: expected names and paths")
    if any("\0" in k or "\0" in v for k, v in roots.items()):
        raise ValueError("roots: a NUL byte in a path")
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
    if "\0" in value:  # no file name holds one: not a path sfp wrote
        raise ValueError(f"{key}: a NUL byte in {value!r}")
    return value


def disk_usage(folder: Path) -> int:
    """Bytes of the files in `folder`, like `du` without block rounding."""
    total = 0
    for top, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(top, name)).st_size
    return total


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
