"""Putting a backup's files back, after checking each one is safe to write; and verifying backups.

Where a backup goes back to comes from this invocation, never from the backup alone: its claude
files go to this claude dir, its project files to the project the person names (`--project`, else
the current folder) and only when that is the project the backup was made of. Every file is read
and written through open folders (`beneath`), so a folder swapped for a symlink mid-restore can't
send a write outside the roots.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shlex
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from sfp.backup import beneath
from sfp.backup.create import create_backup
from sfp.backup.model import (
    CHANGED,
    FILES,
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
)
from sfp.backup.store import id_sort_key, run_filter, scan_backups
from sfp.errors import SfpError, UsageError
from sfp.infra import paths

KNOWN_ROOTS = (ROOT_CLAUDE, ROOT_PROJECT)
ENCRYPTED_SLACK = 1 << 16  # an encrypted copy may be larger than the original: headers, armour, base64
# A restored file is never more open than this: private under the claude dir; elsewhere no
# setuid/setgid/sticky bit and no write for group or others, whatever the metadata says.
MODE_CAP = {ROOT_CLAUDE: 0o600, ROOT_PROJECT: 0o755}

# -- where it goes, and is it safe? -----------------------------------------------------------------


def restore_roots(backup: BackupInfo, claude_dir: Path, project: Path | None) -> dict[str, Path]:
    """This claude dir, and the person's project when it is the project `backup` was made of."""
    roots = {ROOT_CLAUDE: Path(os.path.abspath(claude_dir))}
    recorded = backup.roots.get(ROOT_PROJECT)
    if project is not None and recorded is not None and _same_folder(recorded, project):
        roots[ROOT_PROJECT] = Path(os.path.abspath(project))
    return roots


def _same_folder(recorded: str, project: Path) -> bool:
    if os.path.abspath(project) == recorded:
        return True
    try:
        return os.path.samefile(recorded, project)
    except (OSError, ValueError):
        return False


def project_problem(backup: BackupInfo, roots: Mapping[str, Path], project: Path | None, *,
                    note: bool = False) -> str | None:
    """Why the backup's project files have nowhere to go now, with the option that names their project."""
    count = sum(1 for entry in backup.files if entry.root == ROOT_PROJECT)
    recorded = backup.roots.get(ROOT_PROJECT)
    if not count or ROOT_PROJECT in roots or recorded is None:
        return None
    files = "1 of its files belongs" if count == 1 else f"{count} of its files belong"
    option = f"--project {shlex.quote(recorded)}"
    if note:
        return f"{files} to the project {recorded}: they are restored only when that project is named ({option})"
    here = f"this is {project}" if project is not None else "no project was given"
    return f"{files} to the project {recorded} and {here}: to restore them there, name that project ({option})"


def restored_mode(entry: StoredFile) -> int:
    return entry.mode & MODE_CAP.get(entry.root, 0o600)


def unsafe_entries(backup: BackupInfo, roots: Mapping[str, Path]) -> list[str]:
    """Why restoring `backup` to `roots` could write outside them: empty when it can't.

    Files of a root missing from `roots` get their metadata checked, not their target.
    """
    for name, where in roots.items():
        if not _plain_root(where):
            return [f"{name} root {where} is not a plain absolute folder path"]
    recorded = backup.roots.get(ROOT_PROJECT)
    if recorded is not None and not _plain_root(Path(recorded)):
        return [f"project root {recorded} is not a plain absolute folder path"]
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    opened: dict[str, beneath.Root] = {}
    try:
        for entry in backup.files:
            problem = _entry_problem(backup, entry, roots, opened)
            if problem is None and (entry.root, entry.relative_path) in seen:
                problem = f"{roots.get(entry.root, Path(entry.root)) / entry.relative_path} is listed twice"
            if problem is not None:
                problems.append(problem)
            seen.add((entry.root, entry.relative_path))
    finally:
        for opened_root in opened.values():
            opened_root.close()
    return problems


def _plain_root(root: Path) -> bool:
    text = str(root)
    return root.is_absolute() and "\0" not in text and os.path.normpath(text) == text and root != Path(root.anchor)


def _entry_problem(backup: BackupInfo, entry: StoredFile, roots: Mapping[str, Path],
                   opened: dict[str, beneath.Root]) -> str | None:
    if entry.root not in KNOWN_ROOTS:
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
    stored = _stored_problem(backup, entry)
    if stored is not None:
        return stored
    if entry.root not in roots:
        return None
    return _target_problem(entry, roots[entry.root], opened)


def _target_problem(entry: StoredFile, root_path: Path, opened: dict[str, beneath.Root]) -> str | None:
    target = root_path / entry.relative_path
    try:
        if entry.root not in opened:
            opened[entry.root] = beneath.Root(root_path)
        found = beneath.locate(opened[entry.root], entry.relative_path, create=False)
    except FileNotFoundError:
        return None  # the root itself is missing: the restore makes it
    except beneath.Outside as exc:
        return f"{exc}, outside the {entry.root} folder {root_path}"
    except SfpError as exc:
        return f"{target}: {exc}"
    except OSError as exc:
        return f"{target}: {exc.strerror or exc}"
    if found is not None:
        os.close(found[0])
    return None


def _stored_problem(backup: BackupInfo, entry: StoredFile) -> str | None:
    try:
        fd, _info = _open_stored(backup, entry)
    except SfpError as exc:
        return str(exc).removeprefix(f"backup {backup.backup_id}: ")
    os.close(fd)
    return None


# -- reading a stored file --------------------------------------------------------------------------


def _open_stored(backup: BackupInfo, entry: StoredFile) -> tuple[int, os.stat_result]:
    """The stored copy, reached through plain folders of the backup only (no link anywhere)."""
    stored = backup.stored_path(entry)
    try:
        with beneath.opened_root(backup.folder, follow=False) as folder:
            found = beneath.locate(folder, f"{FILES}/{entry.root}/{entry.relative_path}", create=False,
                                   follow_links=False)
            if found is None:
                raise FileNotFoundError
            fd, name = found
            try:
                return beneath.open_regular(fd, name)
            finally:
                os.close(fd)
    except FileNotFoundError:
        raise SfpError(f"backup {backup.backup_id}: {stored}: missing from the backup") from None
    except SfpError:
        raise SfpError(f"backup {backup.backup_id}: {stored}: not a plain file inside the backup (a symlink?)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link where a plain file or folder should be
            raise SfpError(f"backup {backup.backup_id}: {stored}: not a plain file inside the backup (a symlink?)") \
                from None
        raise SfpError(f"backup {backup.backup_id}: cannot read {stored}: {exc.strerror or exc}") from None


def read_entry(backup: BackupInfo, entry: StoredFile, decrypt_command: str | None,
               sink: Callable[[bytes], None] | None = None) -> None:
    """Check the stored copy of `entry` against its size and sha256, reading it in chunks; the original
    content (decrypted when the backup is encrypted) goes to `sink` as it is read.

    The size is checked first (fstat) and reading stops past it, so a huge file costs no memory.
    """
    damaged = f"backup {backup.backup_id}: {entry.path} does not match its checksum (the backup is damaged)"
    fd, info = _open_stored(backup, entry)
    try:
        if backup.encrypted:
            if not decrypt_command:
                raise UsageError(f"backup {backup.backup_id} is encrypted: set backup.decrypt_command in sfp.yaml "
                                 "(e.g. `gpg --decrypt`)")
            limit = 2 * entry.size + ENCRYPTED_SLACK
            if info.st_size > limit:
                raise SfpError(f"{damaged[:-1]}: its stored copy is {info.st_size} bytes for {entry.size})")
            chunks: list[bytes] = []
            _, read = beneath.stream(fd, limit, chunks.append)
            if read > limit:
                raise SfpError(damaged)
            data = run_filter(decrypt_command, b"".join(chunks), "decrypt")
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
            if sink is not None and digest == entry.sha256 and size == entry.size:
                sink(data)
        else:
            if info.st_size != entry.size:
                raise SfpError(f"{damaged[:-1]}: {info.st_size} bytes, its entry says {entry.size})")
            digest, size = beneath.stream(fd, entry.size, sink)
    except OSError as exc:
        raise SfpError(f"backup {backup.backup_id}: cannot read {backup.stored_path(entry)}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if digest != entry.sha256 or size != entry.size:
        raise SfpError(damaged)


# -- restore ----------------------------------------------------------------------------------------


def plan_restore(claude_dir: Path, backup: BackupInfo, settings: BackupSettings, *,
                 project: Path | None = None) -> RestorePlan:
    """Check the whole backup (where it goes, paths, then every checksum) and compare it with the files now.

    `project` is the person's project; the backup's project files go there only when it is theirs.
    Raises SfpError before anything is written when the backup is unsafe or damaged.
    """
    roots = restore_roots(backup, claude_dir, project)
    mismatch = project_problem(backup, roots, project)
    problems = [mismatch] if mismatch else unsafe_entries(backup, roots)
    if problems:
        more = f" (and {len(problems) - 1} more; `sfp backup verify {backup.backup_id}` lists them)" if len(problems) > 1 else ""
        raise SfpError(f"refusing to restore backup {backup.backup_id}: {problems[0]}{more}; nothing was written")
    try:
        for entry in backup.files:
            read_entry(backup, entry, settings.decrypt_command)
    except SfpError as exc:
        raise type(exc)(f"refusing to restore: {exc}; nothing was written") from None
    changes: list[RestoreChange] = []
    opened: dict[str, beneath.Root] = {}
    try:
        for entry in backup.files:
            target = roots[entry.root] / entry.relative_path
            changes.append(RestoreChange(entry, target, _compare(entry, target, roots[entry.root], opened)))
    finally:
        for root in opened.values():
            root.close()
    return RestorePlan(backup, tuple(changes), roots)


def _compare(entry: StoredFile, target: Path, root_path: Path, opened: dict[str, beneath.Root]) -> str:
    try:
        if entry.root not in opened:
            opened[entry.root] = beneath.Root(root_path)
        found = beneath.locate(opened[entry.root], entry.relative_path, create=False)
        if found is None:
            return NEW
        fd, name = found
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                raise SfpError(f"cannot restore {target}: a folder is in the way; move it and try again")
            if not stat.S_ISREG(info.st_mode) or info.st_size != entry.size:
                return CHANGED
            file_fd, info = beneath.open_regular(fd, name)
            try:
                digest, size = beneath.stream(file_fd, entry.size)
            finally:
                os.close(file_fd)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return NEW
    except OSError as exc:
        raise SfpError(f"cannot read {target}: {exc.strerror}") from None
    same = digest == entry.sha256 and size == entry.size
    return UNCHANGED if same and stat.S_IMODE(info.st_mode) in (entry.mode, restored_mode(entry)) else CHANGED


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
    roots = plan.roots or restore_roots(plan.backup, claude_dir, None)
    project = roots.get(ROOT_PROJECT)
    existing = [change.target for change in pending if change.status == CHANGED]
    before = create_backup(claude_dir, project, settings, reason="pre-restore", include=existing, clock=clock,
                           invocation=invocation)
    # The pre-restore backup took a moment; check the paths again right before writing.
    problems = unsafe_entries(plan.backup, roots)
    if problems:
        raise SfpError(f"refusing to restore backup {plan.backup.backup_id}: {problems[0]}; nothing was written")
    written: list[Path] = []
    opened: dict[str, beneath.Root] = {}
    try:
        for change in pending:
            try:
                if change.entry.root not in opened:
                    opened[change.entry.root] = beneath.Root(roots[change.entry.root])
                _write_change(plan.backup, change, opened[change.entry.root], settings.decrypt_command)
            except (SfpError, OSError) as exc:
                reason = str(exc) if isinstance(exc, SfpError) else f"{change.target}: {exc.strerror or exc}"
                done = "nothing was written" if not written else \
                    f"{len(written)} of {len(pending)} files were restored before it"
                raise SfpError(f"restore of backup {plan.backup.backup_id} stopped: {reason}; {done} "
                               f"(the files as they were are in backup {before.backup_id})") from None
            written.append(change.target)
    finally:
        for root in opened.values():
            root.close()
    return RestoreResult(before, tuple(written))


def _write_change(backup: BackupInfo, change: RestoreChange, root: beneath.Root, decrypt_command: str | None) -> None:
    """Write one file below `root`, through a link only when it stays inside (the link itself survives)."""
    entry = change.entry
    found = beneath.locate(root, entry.relative_path, create=True)
    if found is None:  # pragma: no cover - create=True makes every folder
        raise SfpError(f"{change.target}: its folder could not be made")
    fd, name = found
    try:
        try:
            if stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                raise SfpError(f"cannot restore {change.target}: a folder is in the way; move it and try again")
        except FileNotFoundError:
            pass
        beneath.write_file_at(
            fd, name, lambda out: read_entry(backup, entry, decrypt_command, lambda chunk: beneath.write_all(out, chunk)),
            mode=restored_mode(entry), mtime_ns=entry.mtime_ns)
    finally:
        os.close(fd)


# -- verify -----------------------------------------------------------------------------------------


def verify_backup(claude_dir: Path, backup: BackupInfo, settings: BackupSettings, *,
                  project: Path | None = None) -> VerifyResult:
    """Every problem of `backup`: unsafe paths, missing or changed files, a decrypt that fails."""
    roots = restore_roots(backup, claude_dir, project)
    problems = unsafe_entries(backup, roots)
    for entry in backup.files:
        try:
            read_entry(backup, entry, settings.decrypt_command)
        except SfpError as exc:
            problems.append(str(exc).removeprefix(f"backup {backup.backup_id}: "))
            if isinstance(exc, UsageError):
                break  # no decrypt command: every file would say the same
    mismatch = project_problem(backup, roots, project, note=True)
    notes = (mismatch,) if mismatch else ()
    return VerifyResult(backup.backup_id, len(backup.files), tuple(dict.fromkeys(problems)), notes)


def verify_all(claude_dir: Path, settings: BackupSettings, *, project: Path | None = None) -> list[VerifyResult]:
    good, damaged = scan_backups(claude_dir)
    results = [verify_backup(claude_dir, backup, settings, project=project) for backup in good]
    results += [VerifyResult(name, 0, (problem,)) for name, problem in damaged]
    return sorted(results, key=lambda r: id_sort_key(r.backup_id))
