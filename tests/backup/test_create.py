"""Making a backup: what it holds, its layout and modes, ids that never collide, whole or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shlex
import shutil
import signal
import stat
import time
from pathlib import Path

import pytest

from backup.common import FIXED, PYTHON, make, populate
from sfp.backup.create import create_backup
from sfp.backup.model import BackupSettings
from sfp.backup.restore import plan_restore, verify_backup
from sfp.backup.store import list_backups, load_backup, scan_backups
from sfp.errors import StorageError


# -- contents and layout ---------------------------------------------------------------------------


def test_backup_holds_context_user_and_project_claude_md_and_only_the_newest_handoff(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, project, reason="pre-compact")
    stored = sorted(str(p.relative_to(info.folder)) for p in info.folder.rglob("*") if p.is_file())
    assert stored == [
        "files/claude/.context/CLAUDE.md", "files/claude/.context/notes.md",
        "files/claude/CLAUDE.md",
        "files/claude/handoffs/handoff-20260102-000000.json", "files/claude/handoffs/handoff-20260102-000000.md",
        "files/project/.claude/CLAUDE.md", "files/project/CLAUDE.md",
        "metadata.json",
    ]
    assert (info.folder / "files/project/CLAUDE.md").read_text() == "project instructions\n"
    meta = json.loads((info.folder / "metadata.json").read_text())
    assert meta["backup_id"] == info.backup_id == info.folder.name
    assert meta["reason"] == "pre-compact" and meta["file_count"] == 7
    # Project files go back only to a project the person names: the command names this one.
    assert meta["restore_command"] == f"sfp --claude-dir {claude_dir} restore {info.backup_id} --project {project}"
    assert meta["timestamp"].startswith(time.strftime("%Y-%m-%dT"))
    [entry] = [e for e in meta["files_backed_up"] if e["root"] == "project" and e["relative_path"] == "CLAUDE.md"]
    assert entry["path"] == str(project / "CLAUDE.md") and entry["mode"] == "0644" and entry["size"] == 21
    assert entry["sha256"] == hashlib.sha256(b"project instructions\n").hexdigest()


def test_backup_without_a_project_holds_only_the_claude_dir(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, None)
    assert {e.root for e in info.files} == {"claude"} and "project" not in info.roots


def test_ids_are_the_runbook_timestamp_with_a_suffix_only_within_one_second(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    base = time.strftime("%Y%m%d-%H%M%S", time.localtime(FIXED))
    ids = [make(claude_dir, project, clock=FIXED).backup_id for _ in range(3)]
    later = make(claude_dir, project, clock=FIXED + 1).backup_id
    assert ids == [base, f"{base}-2", f"{base}-3"]
    assert later == time.strftime("%Y%m%d-%H%M%S", time.localtime(FIXED + 1))
    assert [b.backup_id for b in list_backups(claude_dir)] == [*ids, later]


def test_folders_are_0700_and_files_0600_whatever_the_sources_were(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    (claude_dir / "backups").mkdir(mode=0o755)
    os.chmod(claude_dir / "backups", 0o755)
    (project / "CLAUDE.md").chmod(0o664)
    info = make(claude_dir, project)
    assert stat.S_IMODE((claude_dir / "backups").stat().st_mode) == 0o700
    for path in [info.folder, *info.folder.rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_extra_paths_walk_folders_relative_to_the_project_and_warn_about_the_rest(claude_dir: Path, project: Path, tmp_path: Path) -> None:
    populate(claude_dir, project)
    (project / "docs" / "deep").mkdir(parents=True)
    (project / "docs" / "a.md").write_text("a")
    (project / "docs" / "deep" / "b.md").write_text("b")
    (tmp_path / "elsewhere.md").write_text("outside")
    (claude_dir / "settings.json").write_text("{}")
    settings = BackupSettings(extra_paths=("docs", str(tmp_path / "elsewhere.md"), "missing.md", str(claude_dir),
                                              str(claude_dir / "backups")))
    make(claude_dir, project)  # an earlier backup, which the claude dir entry must not swallow
    info = make(claude_dir, project, settings)
    places = {(e.root, e.relative_path) for e in info.files}
    assert {("project", "docs/a.md"), ("project", "docs/deep/b.md"), ("claude", "settings.json")} <= places
    assert not any(rel.startswith("backups/") for _, rel in places)
    assert any("elsewhere.md" in w and "outside" in w for w in info.warnings)
    assert any("missing.md" in w and "not found" in w for w in info.warnings)
    assert any("backups" in w and "inside the backups themselves" in w for w in info.warnings)


def test_a_file_linking_out_of_its_folder_is_left_out_with_a_warning(claude_dir: Path, project: Path, tmp_path: Path) -> None:
    populate(claude_dir, project)
    (tmp_path / "dotfiles").mkdir()
    (tmp_path / "dotfiles" / "CLAUDE.md").write_text("from dotfiles")
    (claude_dir / "CLAUDE.md").unlink()
    (claude_dir / "CLAUDE.md").symlink_to(tmp_path / "dotfiles" / "CLAUDE.md")
    info = make(claude_dir, project)
    assert ("claude", "CLAUDE.md") not in {(e.root, e.relative_path) for e in info.files}
    assert any("CLAUDE.md" in w and "link" in w for w in info.warnings)


def test_the_restore_command_names_the_interpreter_the_zipapp_and_the_claude_dir(claude_dir: Path, tmp_path: Path) -> None:
    pyz = tmp_path / "my dir" / "sfp.pyz"
    info = create_backup(claude_dir, None, BackupSettings(), reason="manual",
                            invocation=("/usr/bin/python3", str(pyz)))
    assert shlex.split(info.restore_command) == ["/usr/bin/python3", str(pyz), "--claude-dir", str(claude_dir),
                                                 "restore", info.backup_id]


# -- incomplete backups are invisible --------------------------------------------------------------


def test_stale_temporaries_go_on_the_next_backup_but_fresh_ones_stay(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    backups = claude_dir / "backups"
    backups.mkdir(mode=0o700)
    (backups / ".tmp-old-1-aa" / "files").mkdir(parents=True)
    os.utime(backups / ".tmp-old-1-aa", (time.time() - 7200, time.time() - 7200))
    (backups / ".tmp-new-2-bb").mkdir()
    make(claude_dir, project)
    assert not (backups / ".tmp-old-1-aa").exists() and (backups / ".tmp-new-2-bb").exists()


def test_a_failing_encrypt_command_leaves_no_backup_and_no_temporary(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    settings = BackupSettings(encrypt_command=f"{PYTHON} -c 'import sys; sys.exit(\"no key\")'")
    with pytest.raises(StorageError, match="encrypt_command .* failed.*no key"):
        make(claude_dir, project, settings)
    assert os.listdir(claude_dir / "backups") == []


def forked_backup(claude_dir: Path, project: Path, settings: BackupSettings) -> int:
    """A child process (fork: no interpreter start-up to wait for) that makes one backup and exits."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            create_backup(claude_dir, project, settings, reason="kill-test")
            code = 0
        finally:
            os._exit(code)
    return pid


def test_a_backup_killed_at_any_moment_leaves_a_whole_backup_or_none(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    (project / "many").mkdir()
    for i in range(40):  # more than FSYNC_EACH_MAX: the syncfs path
        (project / "many" / f"f{i:03}.txt").write_text(f"file {i}\n" * (i % 7 + 1))
    settings = BackupSettings(extra_paths=("many",))
    backups = claude_dir / "backups"
    rng = random.Random(1234)
    known: set[str] = set()
    killed_partway = 0
    for trial in range(50):
        if trial % 10 == 0:  # how long a whole backup takes now: the machine's load changes
            started = time.perf_counter()
            assert os.waitpid(forked_backup(claude_dir, project, settings), 0)[1] == 0
            duration = time.perf_counter() - started
        pid = forked_backup(claude_dir, project, settings)
        time.sleep(rng.uniform(0, duration))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        names = set(os.listdir(backups))
        assert known <= names  # earlier backups untouched
        for name in sorted(names - known):
            if name.startswith(".tmp-"):
                killed_partway += 1
                shutil.rmtree(backups / name)  # keep the trials independent
                continue
            backup = load_backup(claude_dir, name)  # raises if a listed folder is incomplete
            assert len(backup.files) == 47
            assert verify_backup(claude_dir, backup, BackupSettings()).problems == ()
            known.add(name)
    assert killed_partway >= 10  # the kills did land inside backups
    assert scan_backups(claude_dir)[1] == []
    for backup in list_backups(claude_dir):
        assert verify_backup(claude_dir, backup, BackupSettings()).problems == ()
        assert plan_restore(claude_dir, backup, BackupSettings(), project=project).changes  # restorable


def test_ten_concurrent_backups_in_one_second_give_ten_distinct_complete_backups(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    gate_read, gate_write = os.pipe()
    children = []
    for _ in range(10):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                os.read(gate_read, 1)  # all ten start together
                create_backup(claude_dir, project, BackupSettings(), reason="race", clock=lambda: FIXED)
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    os.write(gate_write, b"go" * 5)
    assert [os.waitpid(pid, 0)[1] for pid in children] == [0] * 10
    os.close(gate_read)
    os.close(gate_write)
    base = time.strftime("%Y%m%d-%H%M%S", time.localtime(FIXED))
    backups = list_backups(claude_dir)
    assert [b.backup_id for b in backups] == [base] + [f"{base}-{n}" for n in range(2, 11)]
    for backup in backups:
        assert len(backup.files) == 7 and not verify_backup(claude_dir, backup, BackupSettings()).problems
    assert not [n for n in os.listdir(claude_dir / "backups") if n.startswith(".tmp-")]


def test_a_project_path_that_cannot_be_used_is_left_out_with_a_warning(claude_dir: Path, project: Path, tmp_path: Path) -> None:
    """A cwd with a component over 255 characters (ENAMETOOLONG) made every PreCompact exit 2."""
    populate(claude_dir, project)
    long = tmp_path / ("a" * 300) / "project"
    info = create_backup(claude_dir, long, BackupSettings(extra_paths=("docs", "notes.md")), reason="pre-compact",
                         invocation=("sfp",))
    assert "project" not in info.roots and {e.root for e in info.files} == {"claude"}
    assert len(info.files) == 5  # the claude dir's part is all there
    assert any(str(long) in w and "File name too long" in w for w in info.warnings), info.warnings
    assert "--project" not in info.restore_command
    as_file = tmp_path / "a-file"
    as_file.write_text("not a folder")
    info = create_backup(claude_dir, as_file, BackupSettings(), reason="manual", invocation=("sfp",))
    assert "project" not in info.roots and any("not a folder" in w for w in info.warnings)


def test_an_extra_path_that_cannot_be_used_is_a_warning(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, project, BackupSettings(extra_paths=("x" * 300, "docs\0")))
    assert len(info.files) == 7
    assert sum("cannot be used" in w for w in info.warnings) == 2, info.warnings
