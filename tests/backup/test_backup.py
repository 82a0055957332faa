"""Backups: what they hold, atomic and race-free ids, refusing unsafe or damaged backups, retention, encryption."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shlex
import shutil
import signal
import stat
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT
from sfp.backup.create import create_backup
from sfp.backup.model import BackupInfo, BackupSettings, METADATA, RestoreResult, load_backup_settings
from sfp.backup.restore import apply_restore, plan_restore, verify_all, verify_backup
from sfp.backup.store import latest_backup, list_backups, load_backup, prune_backups, scan_backups
from sfp.handoff.store import prune_handoffs
from sfp.errors import ConfigError, SfpError, StorageError, UsageError

FIXED = 1770721192.0  # a fixed clock: every backup lands in the same second
PYTHON = shlex.quote(sys.executable)
# coreutils base64 when there is one: a Python filter costs an interpreter start per file.
ENCODE = "base64 -w0" if shutil.which("base64") else \
    f"{PYTHON} -c 'import base64,sys; sys.stdout.buffer.write(base64.b64encode(sys.stdin.buffer.read()))'"
DECODE = "base64 -d" if shutil.which("base64") else \
    f"{PYTHON} -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.stdin.buffer.read()))'"


def populate(claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# context\n")
    (claude_dir / ".context" / "notes.md").write_text("notes\n")
    (claude_dir / ".context" / "ignored.txt").write_text("not markdown\n")
    (claude_dir / "CLAUDE.md").write_text("user instructions\n")
    handoffs = claude_dir / "handoffs"
    handoffs.mkdir()
    for n, name in enumerate(["handoff-20260101-000000", "handoff-20260102-000000"]):
        (handoffs / f"{name}.md").write_text(f"handoff {n}\n")
        (handoffs / f"{name}.json").write_text(json.dumps({"n": n}))
        os.utime(handoffs / f"{name}.md", (1000 + n, 1000 + n))
        os.utime(handoffs / f"{name}.json", (1000 + n, 1000 + n))
    (project / "CLAUDE.md").write_text("project instructions\n")
    (project / "CLAUDE.md").chmod(0o644)
    (project / ".claude").mkdir()
    (project / ".claude" / "CLAUDE.md").write_text("project local\n")


def make(claude_dir: Path, project: Path | None, settings: BackupSettings | None = None,
         reason: str = "manual", clock: float | None = None) -> BackupInfo:
    return create_backup(claude_dir, project, settings or BackupSettings(), reason=reason,
                            clock=(lambda: clock) if clock is not None else time.time, invocation=("sfp",))


def snapshot(*folders: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and folder under `folders`: content and mode, to prove that nothing was written."""
    seen: dict[str, tuple[bytes, int]] = {}
    for folder in folders:
        for top, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = Path(top) / name
                info = path.lstat()
                body = path.read_bytes() if stat.S_ISREG(info.st_mode) else b""
                seen[str(path)] = (body, info.st_mode)
    return seen


def rewrite_metadata(info: BackupInfo, change: dict[str, object], index: int = 0) -> None:
    path = info.folder / METADATA
    meta = json.loads(path.read_text())
    meta["files_backed_up"][index].update(change)
    path.write_text(json.dumps(meta))


# -- contents and layout ----------------------------------------------------------------------------


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
    assert meta["restore_command"] == f"sfp --claude-dir {claude_dir} restore {info.backup_id}"
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


def test_backups_sort_by_number_not_by_text(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    ids = [make(claude_dir, project, clock=FIXED).backup_id for _ in range(11)]
    assert [b.backup_id for b in list_backups(claude_dir)] == ids  # -10 after -9, not after the bare id
    assert latest_backup(claude_dir).backup_id == ids[-1]


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


# -- incomplete backups are invisible ---------------------------------------------------------------


def test_temporaries_and_folders_without_metadata_are_never_listed(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    good = make(claude_dir, project)
    (claude_dir / "backups" / ".tmp-20260101-000000-1-ab").mkdir()
    (claude_dir / "backups" / "20260101-000000").mkdir()
    (claude_dir / "backups" / "20260101-000001").symlink_to(good.folder)
    backups, damaged = scan_backups(claude_dir)
    assert [b.backup_id for b in backups] == [good.backup_id]
    assert [name for name, _ in damaged] == ["20260101-000000", "20260101-000001"]
    with pytest.raises(UsageError):
        load_backup(claude_dir, ".tmp-20260101-000000-1-ab")
    with pytest.raises(SfpError, match="incomplete"):
        load_backup(claude_dir, "20260101-000000")


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
        assert plan_restore(claude_dir, backup, BackupSettings()).changes  # restorable


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


# -- restore ----------------------------------------------------------------------------------------


def test_restore_round_trip_brings_back_content_mode_and_time_after_saving_the_current_files(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    original = make(claude_dir, project, clock=FIXED)
    context = claude_dir / ".context" / "CLAUDE.md"
    context.write_text("# broken by a bad session\n")
    (project / "CLAUDE.md").chmod(0o600)
    (claude_dir / ".context" / "notes.md").unlink()
    plan = plan_restore(claude_dir, original, BackupSettings())
    status = {str(c.target.relative_to(c.target.parents[1])): c.status for c in plan.changes}
    assert status[".context/CLAUDE.md"] == "changed" and status[".context/notes.md"] == "new"
    assert status["project/CLAUDE.md"] == "changed" and status["claude/CLAUDE.md"] == "unchanged"
    result = apply_restore(claude_dir, plan, BackupSettings(), invocation=("sfp",))
    assert context.read_text() == "# context\n" and (claude_dir / ".context" / "notes.md").read_text() == "notes\n"
    assert stat.S_IMODE((project / "CLAUDE.md").stat().st_mode) == 0o644
    [entry] = [e for e in original.files if e.relative_path == ".context/CLAUDE.md"]
    assert context.stat().st_mtime_ns == entry.mtime_ns
    assert len(result.written) == 3
    undo = result.pre_restore
    assert undo is not None and undo.reason == "pre-restore"
    assert (undo.folder / "files/claude/.context/CLAUDE.md").read_text() == "# broken by a bad session\n"
    assert latest_backup(claude_dir).backup_id == undo.backup_id
    # ... and the undo really undoes
    apply_restore(claude_dir, plan_restore(claude_dir, undo, BackupSettings()), BackupSettings())
    assert context.read_text() == "# broken by a bad session\n"


def test_restore_saves_a_changed_file_even_when_it_is_no_longer_part_of_new_backups(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    original = make(claude_dir, project)
    old_handoff = claude_dir / "handoffs" / "handoff-20260102-000000.md"
    old_handoff.write_text("edited later\n")
    (claude_dir / "handoffs" / "handoff-20990101-000000.md").write_text("a newer handoff\n")
    result = apply_restore(claude_dir, plan_restore(claude_dir, original, BackupSettings()), BackupSettings())
    assert result.pre_restore is not None
    saved = result.pre_restore.folder / "files/claude/handoffs/handoff-20260102-000000.md"
    assert saved.read_text() == "edited later\n" and old_handoff.read_text() == "handoff 1\n"


def test_restore_writes_through_a_link_that_stays_inside_and_keeps_the_link(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    (project / "docs").mkdir()
    real = project / "docs" / "CLAUDE.md"
    (project / "CLAUDE.md").rename(real)
    (project / "CLAUDE.md").symlink_to(Path("docs") / "CLAUDE.md")
    info = make(claude_dir, project)
    real.write_text("changed\n")
    apply_restore(claude_dir, plan_restore(claude_dir, info, BackupSettings()), BackupSettings())
    assert (project / "CLAUDE.md").is_symlink() and real.read_text() == "project instructions\n"


def test_nothing_to_restore_writes_nothing_and_makes_no_pre_restore_backup(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    original = make(claude_dir, project)
    result = apply_restore(claude_dir, plan_restore(claude_dir, original, BackupSettings()), BackupSettings())
    assert result == RestoreResult(None, ())
    assert len(list_backups(claude_dir)) == 1


def refused(claude_dir: Path, backup: BackupInfo, *watch: Path, match: str) -> None:
    """Restoring `backup` raises SfpError matching `match`, and not one file anywhere changes."""
    before = snapshot(claude_dir, *watch)
    with pytest.raises(SfpError, match=match) as caught:
        apply_restore(claude_dir, plan_restore(claude_dir, backup, BackupSettings()), BackupSettings())
    assert "nothing was written" in str(caught.value)
    assert snapshot(claude_dir, *watch) == before


@pytest.fixture
def tampered(claude_dir: Path, project: Path) -> BackupInfo:
    populate(claude_dir, project)
    info = make(claude_dir, project)
    (claude_dir / ".context" / "CLAUDE.md").write_text("changed, so a restore would write\n")
    return info


def test_refuses_a_dot_dot_path(tampered: BackupInfo, claude_dir: Path, project: Path, tmp_path: Path) -> None:
    rewrite_metadata(tampered, {"relative_path": "../evil.md", "path": str(claude_dir / "../evil.md")})
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), tmp_path, match="not a plain path")
    assert not (tmp_path / "evil.md").exists()


@pytest.mark.parametrize("relative", ["", ".context//CLAUDE.md", "./CLAUDE.md", "CLAUDE.md\0.txt"])
def test_refuses_paths_that_are_not_plain(tampered: BackupInfo, claude_dir: Path, relative: str) -> None:
    rewrite_metadata(tampered, {"relative_path": relative, "path": str(claude_dir) + "/" + relative})
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), match="not a plain path")


def test_refuses_an_absolute_path_elsewhere(tampered: BackupInfo, claude_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "authorized_keys"
    rewrite_metadata(tampered, {"relative_path": str(elsewhere), "path": str(elsewhere)})
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), tmp_path, match="not a plain path")
    rewrite_metadata(tampered, {"relative_path": ".context/CLAUDE.md", "path": str(elsewhere)})
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), tmp_path, match="does not match its place")
    assert not elsewhere.exists()


def test_refuses_a_project_root_that_is_the_whole_disk(tampered: BackupInfo, claude_dir: Path, tmp_path: Path) -> None:
    path = tampered.folder / METADATA
    meta = json.loads(path.read_text())
    meta["roots"]["project"] = "/"
    path.write_text(json.dumps(meta))
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), tmp_path, match="project root / is not")


def test_refuses_a_target_whose_folder_became_a_symlink_out(tampered: BackupInfo, claude_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (claude_dir / ".context").rename(tmp_path / "moved")
    (claude_dir / ".context").symlink_to(outside, target_is_directory=True)
    refused(claude_dir, tampered, tmp_path, match="outside the claude folder")
    assert os.listdir(outside) == []


def test_refuses_a_stored_file_that_is_a_symlink(tampered: BackupInfo, claude_dir: Path, tmp_path: Path) -> None:
    stored = tampered.folder / "files/claude/CLAUDE.md"
    (tmp_path / "same.md").write_bytes(stored.read_bytes())  # same content: the checksum alone would pass
    stored.unlink()
    stored.symlink_to(tmp_path / "same.md")
    refused(claude_dir, tampered, tmp_path, match="not a plain file inside the backup")


def test_refuses_writing_into_the_backups_and_unknown_roots(tampered: BackupInfo, claude_dir: Path, tmp_path: Path) -> None:
    rewrite_metadata(tampered, {"relative_path": "backups/x/metadata.json", "path": str(claude_dir / "backups/x/metadata.json")})
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), tmp_path, match="backups themselves")
    rewrite_metadata(tampered, {"root": "home", "relative_path": "CLAUDE.md"})
    refused(claude_dir, load_backup(claude_dir, tampered.backup_id), tmp_path, match="unknown root")


def test_refuses_a_backup_with_a_wrong_checksum_before_writing_any_file(tampered: BackupInfo, claude_dir: Path, project: Path) -> None:
    last = tampered.files[-1]
    tampered.stored_path(last).write_text("silently corrupted\n")
    refused(claude_dir, tampered, project, match=f"{last.path} does not match its checksum")
    assert len(list_backups(claude_dir)) == 1  # no pre-restore backup either


# -- verify -----------------------------------------------------------------------------------------


def test_verify_reports_changed_missing_and_damaged(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    good, bad = make(claude_dir, project), make(claude_dir, project)
    bad.stored_path(bad.files[0]).write_text("bit rot")
    bad.stored_path(bad.files[1]).unlink()
    (claude_dir / "backups" / "20200101-000000").mkdir()
    results = {r.backup_id: r for r in verify_all(claude_dir, BackupSettings())}
    assert results[good.backup_id].problems == ()
    problems = results[bad.backup_id].problems
    assert any("does not match its checksum" in p for p in problems) and any("missing" in p for p in problems)
    assert results["20200101-000000"].problems and "incomplete" in results["20200101-000000"].problems[0]


# -- encryption -------------------------------------------------------------------------------------


def test_encrypted_backup_round_trip(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    settings = BackupSettings(encrypt_command=ENCODE, decrypt_command=DECODE)
    info = make(claude_dir, project, settings)
    meta = json.loads((info.folder / METADATA).read_text())
    assert meta["encrypted"] is True and meta["encrypted_with"] == os.path.basename(shlex.split(ENCODE)[0])
    stored = (info.folder / "files/claude/CLAUDE.md").read_bytes()
    assert stored != b"user instructions\n" and stored == base64.b64encode(b"user instructions\n")
    assert verify_backup(claude_dir, info, settings).problems == ()
    (claude_dir / "CLAUDE.md").write_text("lost\n")
    apply_restore(claude_dir, plan_restore(claude_dir, info, settings), settings)
    assert (claude_dir / "CLAUDE.md").read_text() == "user instructions\n"


def test_encrypted_backup_needs_the_right_decrypt_command(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, project, BackupSettings(encrypt_command=ENCODE))
    (claude_dir / "CLAUDE.md").write_text("lost\n")
    with pytest.raises(UsageError, match="encrypted: set backup.decrypt_command"):
        plan_restore(claude_dir, info, BackupSettings())
    with pytest.raises(SfpError, match="does not match its checksum"):
        plan_restore(claude_dir, info, BackupSettings(decrypt_command="cat"))
    assert (claude_dir / "CLAUDE.md").read_text() == "lost\n"
    [result] = verify_all(claude_dir, BackupSettings())
    assert len(result.problems) == 1 and "decrypt_command" in result.problems[0]


# -- retention --------------------------------------------------------------------------------------


def test_prune_keeps_the_newest_n_and_always_the_newest_one(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    ids = [make(claude_dir, project, clock=FIXED + n).backup_id for n in range(5)]
    (claude_dir / "backups" / "20000101-000000").mkdir()  # damaged: not a backup, not pruned as one
    assert [b.backup_id for b in prune_backups(claude_dir, 3, dry_run=True)] == ids[:2]
    assert len(list_backups(claude_dir)) == 5
    assert [b.backup_id for b in prune_backups(claude_dir, 3)] == ids[:2]
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[2:]
    prune_backups(claude_dir, 0)
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[-1:]
    assert sorted(os.listdir(claude_dir / "backups")) == ["20000101-000000", ids[-1]]


def test_prune_handoffs_removes_the_oldest_pairs(claude_dir: Path) -> None:
    handoffs = claude_dir / "handoffs"
    handoffs.mkdir()
    for n in range(5):
        for suffix in (".md", ".json"):
            (handoffs / f"handoff-{n}{suffix}").write_text("x")
            os.utime(handoffs / f"handoff-{n}{suffix}", (100 + n, 100 + n))
    (handoffs / "notes.md").write_text("not a handoff")
    os.utime(handoffs / "handoff-0.md", (500, 500))  # touched later, like `ls -t` sees it
    removed = prune_handoffs(claude_dir, 2)
    assert sorted(p.name for p in removed) == ["handoff-1.json", "handoff-1.md", "handoff-2.json", "handoff-2.md",
                                               "handoff-3.json", "handoff-3.md"]
    assert sorted(os.listdir(handoffs)) == ["handoff-0.json", "handoff-0.md", "handoff-4.json", "handoff-4.md", "notes.md"]


# -- settings ---------------------------------------------------------------------------------------


def test_backup_settings_come_from_sfp_yaml_and_bad_values_name_their_line(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    (claude / "sfp").mkdir(parents=True)
    assert load_backup_settings(claude, None) == BackupSettings(10, 20, (), None, None)
    config = claude / "sfp" / "sfp.yaml"
    config.write_text("backup:\n  keep: 3\n  extra_paths: [a]\n  encrypt_command: gpg -e\n")
    assert load_backup_settings(claude, None) == BackupSettings(3, 20, ("a",), "gpg -e", None)
    for bad in ("keep: 0", "keep: true", "keep_handoffs: '5'", "extra_paths: a", "keep: -1"):
        config.write_text(f"backup:\n  {bad}\n")
        with pytest.raises(ConfigError, match=r"sfp\.yaml:2:\d+: `backup\."):
            load_backup_settings(claude, None)
