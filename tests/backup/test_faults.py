"""Hostile backups and a hostile file system: nothing is ever written outside the roots, nothing listed is lost.

Each case puts one hostile backup (the newest) beside a good one, then lists, verifies and tries to
restore it as a person would. Whatever sfp decides, the folder outside the claude dir and the
project stays as it was, and the good backup is still listed, intact and restorable.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backup.common import FIXED, make, populate, snapshot
from conftest import SfpRunner
from sfp.backup.model import METADATA, BackupInfo, BackupSettings
from sfp.backup.restore import apply_restore, plan_restore, verify_all
from sfp.backup.store import list_backups, load_backup, scan_backups
from sfp.errors import SfpError

SETTINGS = BackupSettings()
PAYLOAD = b"written by a hostile backup\n"


def entry_for(path: Path, root: str, relative: str, data: bytes = PAYLOAD, mode: str = "0600") -> dict[str, object]:
    return {"path": str(path), "root": root, "relative_path": relative, "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data), "mode": mode, "mtime_ns": 0}


def edit(info: BackupInfo, change: Callable[[dict[str, Any]], None]) -> None:
    path = info.folder / METADATA
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))


def store(info: BackupInfo, relative: str, data: bytes = PAYLOAD) -> None:
    path = info.folder / "files" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def add(info: BackupInfo, entry: dict[str, object]) -> None:
    edit(info, lambda meta: meta["files_backed_up"].append(entry))


# Each takes (the hostile backup, the claude dir, the project, a folder outside both) and makes it hostile.
Hostile = Callable[[BackupInfo, Path, Path, Path], None]


def traversal(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    store(info, "claude/../../../outside/evil.md")
    add(info, entry_for(claude / "../outside/evil.md", "claude", "../outside/evil.md"))


def deep_traversal(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    add(info, entry_for(project / ".claude/../../outside/evil.md", "project", ".claude/../../outside/evil.md"))


def absolute(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    add(info, entry_for(outside / "evil.md", "claude", str(outside / "evil.md")))


def project_root_outside(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    store(info, "project/.ssh/authorized_keys")

    def change(meta: dict[str, Any]) -> None:
        meta["roots"] = {"claude": str(claude), "project": str(outside)}
        meta["files_backed_up"] = [entry_for(outside / ".ssh/authorized_keys", "project", ".ssh/authorized_keys")]
    edit(info, change)


def claude_root_outside(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    store(info, "claude/evil.md")

    def change(meta: dict[str, Any]) -> None:
        meta["roots"] = {"claude": str(outside), "project": str(project)}
        meta["files_backed_up"] = [entry_for(outside / "evil.md", "claude", "evil.md")]
    edit(info, change)


def unknown_root(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    store(info, "home/evil.md")
    edit(info, lambda meta: meta["roots"].update(home=str(outside)))
    add(info, entry_for(outside / "evil.md", "home", "evil.md"))


def stored_file_links_out(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    secret = outside / "secret.txt"
    secret.write_bytes(PAYLOAD)
    stored = info.folder / "files/claude/CLAUDE.md"
    stored.unlink()
    stored.symlink_to(secret)
    edit(info, lambda meta: meta["files_backed_up"][0].update(
        entry_for(claude / "CLAUDE.md", "claude", "CLAUDE.md")))


def files_folder_links_out(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    (outside / "files/claude").mkdir(parents=True)
    (outside / "files/claude/CLAUDE.md").write_bytes(PAYLOAD)
    os.rename(info.folder / "files", outside / "moved-files")
    (info.folder / "files").symlink_to(outside / "files", target_is_directory=True)


def stored_folder_links_out(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    os.rename(info.folder / "files/claude/.context", outside / "moved-context")
    (outside / "context").mkdir()
    (info.folder / "files/claude/.context").symlink_to(outside / "context", target_is_directory=True)


def stored_fifo(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    stored = info.folder / "files/claude/CLAUDE.md"
    stored.unlink()
    os.mkfifo(stored)


def tampered_checksum(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    edit(info, lambda meta: meta["files_backed_up"][0].update(sha256="0" * 64))


def tampered_size(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    edit(info, lambda meta: meta["files_backed_up"][0].update(size=1 << 40))


def tampered_modes(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    def change(meta: dict[str, Any]) -> None:
        for entry in meta["files_backed_up"]:
            entry["mode"] = "0777"
    edit(info, change)


def listed_twice(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    edit(info, lambda meta: meta["files_backed_up"].append(meta["files_backed_up"][0]))


def wrong_shapes(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    edit(info, lambda meta: meta.update(files_backed_up={"a": 1}, roots=["x"]))


def nested(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    (info.folder / METADATA).write_text('{"format": 1, "files_backed_up": ' + "[" * 200_000 + "]" * 200_000 + "}")


def nul_byte(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    edit(info, lambda meta: meta["files_backed_up"][0].update(path="/etc/passwd\0"))


def metadata_links_out(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    (outside / "meta.json").write_text((info.folder / METADATA).read_text())
    (info.folder / METADATA).unlink()
    (info.folder / METADATA).symlink_to(outside / "meta.json")


def backup_folder_links_out(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    os.rename(info.folder, outside / "backup")
    info.folder.symlink_to(outside / "backup", target_is_directory=True)


def target_folder_links_out(info: BackupInfo, claude: Path, project: Path, outside: Path) -> None:
    os.rename(claude / ".context", outside / "context-was-here")
    (outside / "context").mkdir()
    (claude / ".context").symlink_to(outside / "context", target_is_directory=True)


HOSTILE: dict[str, Hostile] = {f.__name__: f for f in (
    traversal, deep_traversal, absolute, project_root_outside, claude_root_outside, unknown_root,
    stored_file_links_out, files_folder_links_out, stored_folder_links_out, stored_fifo, tampered_checksum,
    tampered_size, tampered_modes, listed_twice, wrong_shapes, nested, nul_byte, metadata_links_out,
    backup_folder_links_out, target_folder_links_out)}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_backup_writes_nothing_outside_and_loses_nothing(name: str, claude_dir: Path, project: Path,
                                                                   tmp_path: Path) -> None:
    populate(claude_dir, project)
    good = make(claude_dir, project, clock=FIXED)
    hostile = make(claude_dir, project, clock=FIXED + 1)
    outside = tmp_path / "outside"
    outside.mkdir()
    HOSTILE[name](hostile, claude_dir, project, outside)
    (claude_dir / "CLAUDE.md").write_text("changed, so a restore has work to do\n")
    (project / "CLAUDE.md").write_text("changed too\n")
    before = snapshot(outside)

    # A hostile file system (a target folder linking out) is a problem for every backup; else only this one's.
    healthy = name != "target_folder_links_out"
    results = {r.backup_id: r for r in verify_all(claude_dir, SETTINGS, project=project)}  # never raises
    assert (results[good.backup_id].problems == ()) is healthy
    try:
        backup = load_backup(claude_dir, hostile.backup_id)
        apply_restore(claude_dir, plan_restore(claude_dir, backup, SETTINGS, project=project), SETTINGS)
    except SfpError:
        pass  # refused, or damaged: either is fine, a write outside is not
    assert snapshot(outside) == before, f"{name} wrote outside the roots"
    for path in (claude_dir / "CLAUDE.md", project / "CLAUDE.md"):
        assert path.stat().st_mode & 0o7022 == 0, oct(path.stat().st_mode)  # never opened up by a restore

    # Nothing listed is lost: the good backup is still there, intact, and brings the files back.
    assert good.backup_id in [b.backup_id for b in list_backups(claude_dir)]
    if healthy:
        assert {r.backup_id: r for r in verify_all(claude_dir, SETTINGS, project=project)}[good.backup_id].problems == ()
        apply_restore(claude_dir, plan_restore(claude_dir, good, SETTINGS, project=project), SETTINGS)
        assert (claude_dir / "CLAUDE.md").read_text() == "user instructions\n"
        assert (project / "CLAUDE.md").read_text() == "project instructions\n"
    assert snapshot(outside) == before


def test_every_hostile_backup_at_once_leaves_the_commands_working(sfp: SfpRunner, claude_dir: Path, project: Path,
                                                                  tmp_path: Path) -> None:
    populate(claude_dir, project)
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("backup:\n  keep: 50\n")  # the hook's retention keeps them all
    good = make(claude_dir, project, clock=FIXED)
    outside = tmp_path / "outside"
    outside.mkdir()
    for n, name in enumerate(sorted(set(HOSTILE) - {"target_folder_links_out"})):
        (outside / name).mkdir()
        HOSTILE[name](make(claude_dir, project, clock=FIXED + 1 + n), claude_dir, project, outside / name)
    before = snapshot(outside)
    assert len(scan_backups(claude_dir)[0]) + len(scan_backups(claude_dir)[1]) == len(HOSTILE)
    assert sfp("backup", "list", cwd=project).code == 0
    verified = sfp("backup", "verify", cwd=project)
    assert verified.code == 1 and f"ok   {good.backup_id}" in verified.out, verified.err
    hook = sfp("hook", input=json.dumps({"hook_event_name": "PreCompact", "session_id": "s", "cwd": str(project),
                                          "trigger": "manual"}), cwd=project)
    assert hook.code == 0, hook.err
    assert sfp("backup", "prune", "--keep", "30", cwd=project).code == 0
    assert snapshot(outside) == before
    assert good.backup_id in [b.backup_id for b in list_backups(claude_dir)]


# -- a folder swapped for a symlink while restores run ----------------------------------------------

RENAME_EXCHANGE = 2


def exchange(first: Path, second: Path) -> None:
    """Swap two names atomically (renameat2 RENAME_EXCHANGE), so there is never a moment without either."""
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd = -100
    if libc.renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def can_exchange(tmp_path: Path) -> bool:
    (tmp_path / "x1").mkdir()
    (tmp_path / "x2").symlink_to("x1")
    try:
        exchange(tmp_path / "x1", tmp_path / "x2")
    except (OSError, AttributeError):
        return False
    finally:
        for name in ("x1", "x2"):
            path = tmp_path / name
            path.unlink() if path.is_symlink() else path.rmdir()
    return True


def test_folders_swapped_for_symlinks_during_restores_never_send_a_write_outside(claude_dir: Path, project: Path,
                                                                                 tmp_path: Path) -> None:
    if not can_exchange(tmp_path):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here")
    populate(claude_dir, project)
    (claude_dir / ".context" / "deep").mkdir()
    (claude_dir / ".context" / "deep" / "more.md").write_text("deep\n")
    settings = BackupSettings(extra_paths=(str(claude_dir / ".context" / "deep"),))
    first = make(claude_dir, project, settings, clock=FIXED)
    for path in (claude_dir / ".context" / "CLAUDE.md", claude_dir / ".context" / "deep" / "more.md",
                 project / ".claude" / "CLAUDE.md"):
        path.write_text(path.read_text() + "second version\n")
    second = make(claude_dir, project, settings, clock=FIXED + 1)
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    swaps = [(claude_dir / ".context", claude_dir / ".context-link"),
             (claude_dir / ".context" / "deep", claude_dir / ".context" / "deep-link"),
             (project / ".claude", project / ".claude-link")]
    for real, link in swaps:
        link.symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    stop = threading.Event()
    swapped = [0]

    def swapper() -> None:
        while not stop.is_set():
            for real, link in swaps:
                try:
                    exchange(real, link)
                    swapped[0] += 1
                    time.sleep(0.0003)  # as long linked out as not: a check and the write see different things
                    exchange(real, link)
                    time.sleep(0.0003)
                except OSError as exc:
                    assert exc.errno in (errno.ENOENT, errno.ENOTDIR), exc

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    outcomes = {"restored": 0, "refused": 0}
    try:
        for trial in range(400):
            backup = (first, second)[trial % 2]
            try:
                plan = plan_restore(claude_dir, backup, settings, project=project)
                apply_restore(claude_dir, plan, settings, invocation=("sfp",))
                outcomes["restored"] += 1
            except SfpError:
                outcomes["refused"] += 1
            assert snapshot(outside) == before, f"trial {trial} wrote outside the roots"
    finally:
        stop.set()
        thread.join()
    assert swapped[0] > 100 and outcomes["refused"] > 0, (swapped, outcomes)
    assert snapshot(outside) == before
