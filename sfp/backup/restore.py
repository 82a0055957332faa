"""Putting a backup's files back, after checking each one is safe to write; and verifying backups."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from sfp.backup.create import create_backup
from sfp.backup.model import (
    CHANGED,
    NEW,
    ROOT_CLAUDE,
    ROOT_PROJECT,
    UNCHANGED,
    BackupInfo,
    BackupSettings,
    RestoreChange,
    RestorePlan,
    RestoreResult,
    StoredFile,
    VerifyResult,
    inside,
)
from sfp.backup.store import id_sort_key, run_filter, scan_backups
from sfp.errors import SfpError, UsageError
from sfp.infra import paths
from sfp.infra.storage import (
    PRIVATE_DIR,
    write_atomic,
)

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
    if not inside(target.resolve(), root.resolve()):
        return f"{target}: leads to {target.resolve()}, outside the {entry.root} folder {root}"
    stored = backup.stored_path(entry)
    try:
        info = stored.lstat()
    except OSError:
        return f"{stored}: missing from the backup"
    if not stat.S_ISREG(info.st_mode) or not inside(stored.resolve(), backup.folder.resolve()):
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
        RestoreChange(entry, target, _compare(target, content, entry.mode), content)
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
