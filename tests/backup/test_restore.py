"""Restoring: the round trip, the undo backup, refusing unsafe or damaged backups; verify; encryption."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shlex
import stat
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from backup.common import DECODE, ENCODE, FIXED, make, populate, rewrite_metadata, snapshot
from sfp.backup.model import BackupInfo, BackupSettings, METADATA, RestoreResult, VerifyResult
from sfp.backup.restore import apply_restore, plan_restore, verify_all, verify_backup
from sfp.backup.store import latest_backup, list_backups, load_backup
from sfp.errors import SfpError, UsageError


# -- restore ---------------------------------------------------------------------------------------


def test_restore_round_trip_brings_back_content_mode_and_time_after_saving_the_current_files(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    original = make(claude_dir, project, clock=FIXED)
    context = claude_dir / ".context" / "CLAUDE.md"
    context.write_text("# broken by a bad session\n")
    (project / "CLAUDE.md").chmod(0o600)
    (claude_dir / ".context" / "notes.md").unlink()
    plan = plan_restore(claude_dir, original, BackupSettings(), project=project)
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
    apply_restore(claude_dir, plan_restore(claude_dir, undo, BackupSettings(), project=project), BackupSettings())
    assert context.read_text() == "# broken by a bad session\n"


def test_restore_saves_a_changed_file_even_when_it_is_no_longer_part_of_new_backups(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    original = make(claude_dir, project)
    old_handoff = claude_dir / "handoffs" / "handoff-20260102-000000.md"
    old_handoff.write_text("edited later\n")
    (claude_dir / "handoffs" / "handoff-20990101-000000.md").write_text("a newer handoff\n")
    result = apply_restore(claude_dir, plan_restore(claude_dir, original, BackupSettings(), project=project), BackupSettings())
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
    apply_restore(claude_dir, plan_restore(claude_dir, info, BackupSettings(), project=project), BackupSettings())
    assert (project / "CLAUDE.md").is_symlink() and real.read_text() == "project instructions\n"


def test_nothing_to_restore_writes_nothing_and_makes_no_pre_restore_backup(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    original = make(claude_dir, project)
    result = apply_restore(claude_dir, plan_restore(claude_dir, original, BackupSettings(), project=project), BackupSettings())
    assert result == RestoreResult(None, ())
    assert len(list_backups(claude_dir)) == 1


def refused(claude_dir: Path, backup: BackupInfo, *watch: Path, match: str, project: Path | None = None) -> None:
    """Restoring `backup` raises SfpError matching `match`, and not one file anywhere changes.

    The person names `project`, by default the one the backup says it was made of.
    """
    before = snapshot(claude_dir, *watch)
    if project is None and "project" in backup.roots:
        project = Path(backup.roots["project"])
    with pytest.raises(SfpError, match=match) as caught:
        apply_restore(claude_dir, plan_restore(claude_dir, backup, BackupSettings(), project=project), BackupSettings())
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


@pytest.mark.parametrize("relative", ["", ".context//CLAUDE.md", "./CLAUDE.md"])  # a NUL: test_store
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


# -- verify ----------------------------------------------------------------------------------------


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


# -- encryption ------------------------------------------------------------------------------------


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
    apply_restore(claude_dir, plan_restore(claude_dir, info, settings, project=project), settings)
    assert (claude_dir / "CLAUDE.md").read_text() == "user instructions\n"


def test_encrypted_backup_needs_the_right_decrypt_command(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, project, BackupSettings(encrypt_command=ENCODE))
    (claude_dir / "CLAUDE.md").write_text("lost\n")
    with pytest.raises(UsageError, match="encrypted: set backup.decrypt_command"):
        plan_restore(claude_dir, info, BackupSettings(), project=project)
    with pytest.raises(SfpError, match="does not match its checksum"):
        plan_restore(claude_dir, info, BackupSettings(decrypt_command="cat"), project=project)
    assert (claude_dir / "CLAUDE.md").read_text() == "lost\n"
    [result] = verify_all(claude_dir, BackupSettings())
    assert len(result.problems) == 1 and "decrypt_command" in result.problems[0]


# -- where a restore goes: what the person names now ------------------------------------------------

KEY = b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIattacker attacker@example\n"


def aimed_at_home(info: BackupInfo, home: Path) -> None:
    """Rewrite `info` as an attacker would: its project root is `home`, and it holds .ssh/authorized_keys."""
    stored = info.folder / "files/project/.ssh/authorized_keys"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(KEY)
    path = info.folder / METADATA
    meta = json.loads(path.read_text())
    meta["roots"]["project"] = str(home)
    meta["files_backed_up"] = [e for e in meta["files_backed_up"] if e["root"] == "claude"] + [{
        "path": str(home / ".ssh/authorized_keys"), "root": "project", "relative_path": ".ssh/authorized_keys",
        "sha256": hashlib.sha256(KEY).hexdigest(), "size": len(KEY), "mode": "0600", "mtime_ns": 0}]
    path.write_text(json.dumps(meta))


def test_project_files_go_back_only_to_the_project_the_person_names(claude_dir: Path, project: Path, tmp_path: Path) -> None:
    """A backup whose metadata said its project was $HOME wrote .ssh/authorized_keys there, and verify said intact."""
    populate(claude_dir, project)
    home = tmp_path / "home"
    home.mkdir()
    info = make(claude_dir, project)
    aimed_at_home(info, home)
    hostile = load_backup(claude_dir, info.backup_id)
    (claude_dir / "CLAUDE.md").write_text("changed\n")
    before = snapshot(claude_dir, home, project)
    for here, said in ((project, f"this is {project}"), (None, "no project was given")):
        with pytest.raises(SfpError, match=f"belongs to the project {home} and {said}: .*--project {home}"):
            plan_restore(claude_dir, hostile, BackupSettings(), project=here)
    assert snapshot(claude_dir, home, project) == before and not (home / ".ssh").exists()
    result = verify_backup(claude_dir, hostile, BackupSettings(), project=project)
    assert result.problems == () and result.notes == (
        f"1 of its files belongs to the project {home}: they are restored only when that project is named "
        f"(--project {home})",)
    # Named by the person, it is their call: the file goes there, and nowhere else.
    apply_restore(claude_dir, plan_restore(claude_dir, hostile, BackupSettings(), project=home), BackupSettings())
    assert (home / ".ssh/authorized_keys").read_bytes() == KEY and (claude_dir / "CLAUDE.md").read_text() == "user instructions\n"


def test_a_backup_goes_back_to_this_claude_dir_whatever_its_metadata_says(claude_dir: Path, project: Path, tmp_path: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = info.folder / METADATA
    meta = json.loads(path.read_text())
    meta["roots"]["claude"] = str(elsewhere)
    for entry in meta["files_backed_up"]:
        if entry["root"] == "claude":
            entry["path"] = str(elsewhere / entry["relative_path"])
    path.write_text(json.dumps(meta))
    (claude_dir / "CLAUDE.md").write_text("changed\n")
    plan = plan_restore(claude_dir, load_backup(claude_dir, info.backup_id), BackupSettings(), project=project)
    apply_restore(claude_dir, plan, BackupSettings())
    assert os.listdir(elsewhere) == [] and (claude_dir / "CLAUDE.md").read_text() == "user instructions\n"


def test_the_same_project_through_a_link_is_the_same_project(claude_dir: Path, project: Path, tmp_path: Path) -> None:
    populate(claude_dir, project)
    info = make(claude_dir, project)
    (project / "CLAUDE.md").write_text("changed\n")
    link = tmp_path / "link"
    link.symlink_to(project, target_is_directory=True)
    apply_restore(claude_dir, plan_restore(claude_dir, info, BackupSettings(), project=link), BackupSettings())
    assert (project / "CLAUDE.md").read_text() == "project instructions\n"


def test_a_tampered_mode_never_opens_a_restored_file(tampered: BackupInfo, claude_dir: Path, project: Path) -> None:
    """A mode of 0777 in the metadata was applied as it was."""
    (project / "CLAUDE.md").write_text("changed too\n")
    path = tampered.folder / METADATA
    meta = json.loads(path.read_text())
    for entry in meta["files_backed_up"]:
        entry["mode"] = "0777"
    path.write_text(json.dumps(meta))
    apply_restore(claude_dir, plan_restore(claude_dir, load_backup(claude_dir, tampered.backup_id), BackupSettings(),
                                           project=project), BackupSettings())
    assert stat.S_IMODE((claude_dir / ".context/CLAUDE.md").stat().st_mode) == 0o600
    assert stat.S_IMODE((project / "CLAUDE.md").stat().st_mode) == 0o755
    with pytest.raises(SfpError, match="mode '4755'"):
        rewrite_metadata(tampered, {"mode": "4755"})
        load_backup(claude_dir, tampered.backup_id)


def test_verify_and_restore_stream_a_huge_stored_file_and_check_its_size_first(claude_dir: Path, project: Path) -> None:
    """A 3 GB sparse stored file cost 3.1 GB of memory: each file was read whole before its size was checked."""
    populate(claude_dir, project)
    info = make(claude_dir, project)
    [entry] = [e for e in info.files if e.relative_path == "CLAUDE.md" and e.root == "claude"]
    stored = info.stored_path(entry)
    huge = 256 << 20
    os.truncate(stored, 0)
    os.truncate(stored, huge)  # sparse zeros: no disk used
    (claude_dir / "CLAUDE.md").write_text("changed\n")

    def peak_of(call: Callable[[], object]) -> tuple[object, int]:
        tracemalloc.start()
        try:
            try:
                value: object = call()
            except SfpError as exc:
                value = exc
            return value, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    result, peak = peak_of(lambda: verify_backup(claude_dir, info, BackupSettings(), project=project))
    assert isinstance(result, VerifyResult) and any(f"{huge} bytes, its entry says {entry.size}" in p
                                                    for p in result.problems), result
    assert peak < 8 << 20
    refusal, peak = peak_of(lambda: plan_restore(claude_dir, info, BackupSettings(), project=project))
    assert isinstance(refusal, SfpError) and "nothing was written" in str(refusal) and peak < 8 << 20
    # The metadata may claim the huge size, with a checksum to match: it is hashed in chunks.
    digest = hashlib.sha256()
    for _ in range(huge >> 20):
        digest.update(bytes(1 << 20))
    rewrite_metadata(info, {"size": huge, "sha256": digest.hexdigest()},
                     index=[e.relative_path for e in info.files].index("CLAUDE.md"))
    grown = load_backup(claude_dir, info.backup_id)
    result, peak = peak_of(lambda: verify_backup(claude_dir, grown, BackupSettings(), project=project))
    assert isinstance(result, VerifyResult) and result.problems == () and peak < 8 << 20
