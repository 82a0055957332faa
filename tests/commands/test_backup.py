"""`sfp backup create|list|show|verify|prune` as functions: what a person reads, and the exit codes."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from conftest import SfpRunner
from helpers import trust_project

from sfp.backup.create import create_backup
from sfp.backup.model import BackupSettings
from sfp.backup.store import list_backups
from sfp.backup.model import load_backup_settings
from sfp.commands.backup import (backup_create, backup_list, backup_prune, backup_show, backup_verify, human_size)
from sfp.errors import UsageError

SETTINGS = BackupSettings()


def populate(claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# context\n")
    (project / "CLAUDE.md").write_text("project instructions\n")


def run(function, *args, **kwargs) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    code = function(*args, out=out, **kwargs)
    return code, out.getvalue()


def test_create_prints_where_and_how_to_restore(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    code, out = run(backup_create, claude_dir, project, settings=SETTINGS)
    [info] = list_backups(claude_dir)
    assert code == 0 and info.reason == "manual"
    assert f"Backed up 2 files (31 B) to {info.folder}\n" in out and f"restore with: {info.restore_command}\n" in out


def test_create_json_carries_the_warnings(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    code, out = run(backup_create, claude_dir, project, as_json=True, reason="pre-compact",
                    settings=BackupSettings(extra_paths=("nope.md",)))
    data = json.loads(out)
    assert code == 0 and data["schema"] == "sfp.backup/1" and data["reason"] == "pre-compact"
    assert data["file_count"] == 2 and len(data["files"]) == 2 and data["created_at"].endswith("Z")
    assert data["warnings"] == ["extra path nope.md: not found"]


def test_list_shows_newest_first_with_time_reason_count_and_size(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    first = create_backup(claude_dir, project, SETTINGS, reason="manual", clock=lambda: 1770721192.0)
    second = create_backup(claude_dir, None, SETTINGS, reason="pre-compact", clock=lambda: 1770721252.0)
    (claude_dir / "backups" / "20200101-000000").mkdir()
    code, out = run(backup_list, claude_dir, as_json=False)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "TIME", "REASON", "FILES", "SIZE"]
    assert lines[1].startswith(second.backup_id) and lines[2].startswith(first.backup_id)
    assert time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1770721192.0)) in lines[2]
    assert lines[2].split()[3:5] == ["manual", "2"] and lines[1].split()[3:5] == ["pre-compact", "1"]
    assert "1 damaged backup folder not listed: 20200101-000000" in lines[3]
    code, out = run(backup_list, claude_dir, as_json=True)
    listed = json.loads(out)
    assert listed["schema"] == "sfp.backup-list/1"
    assert [b["id"] for b in listed["backups"]] == [second.backup_id, first.backup_id]
    assert listed["backups"][1]["created_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1770721192.0))
    assert [d["id"] for d in listed["damaged"]] == ["20200101-000000"]


def test_list_with_no_backups_says_how_to_make_one(claude_dir: Path) -> None:
    assert "sfp backup create" in run(backup_list, claude_dir, as_json=False)[1]


def test_show_lists_every_file_and_json_too(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    info = create_backup(claude_dir, project, SETTINGS, reason="manual")
    code, out = run(backup_show, claude_dir, info.backup_id, as_json=False)
    assert code == 0 and str(project / "CLAUDE.md") in out and info.files[0].sha256[:12] in out
    code, out = run(backup_show, claude_dir, info.backup_id, as_json=True)
    shown = json.loads(out)
    assert shown["schema"] == "sfp.backup/1" and shown["id"] == info.backup_id
    assert sorted(f["sha256"] for f in shown["files"]) == sorted(f.sha256 for f in info.files)
    with pytest.raises(UsageError, match="no backup 20200101-000000"):
        run(backup_show, claude_dir, "20200101-000000", as_json=False)
    with pytest.raises(UsageError, match="not a backup id"):
        run(backup_show, claude_dir, "../../etc", as_json=False)


def test_verify_exits_1_when_a_stored_file_changed(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    good = create_backup(claude_dir, project, SETTINGS, reason="manual")
    assert run(backup_verify, claude_dir, project, None, settings=SETTINGS) == (0, f"ok   {good.backup_id}: 2 files intact\n")
    bad = create_backup(claude_dir, project, SETTINGS, reason="manual")
    bad.stored_path(bad.files[0]).write_text("bit rot")
    code, out = run(backup_verify, claude_dir, project, None, settings=SETTINGS)
    assert code == 1 and f"FAIL {bad.backup_id}: 1 problem" in out and "does not match its checksum" in out
    assert run(backup_verify, claude_dir, project, good.backup_id, settings=SETTINGS)[0] == 0


def test_prune_keeps_the_configured_number(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    ids = [create_backup(claude_dir, project, SETTINGS, reason="manual", clock=lambda: 1770721192.0).backup_id
           for _ in range(4)]
    code, out = run(backup_prune, claude_dir, project, keep=None, dry_run=False, settings=BackupSettings(keep=3))
    assert code == 0 and out == f"removed backup {ids[0]} (manual, {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(1770721192.0))})\n"
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[1:]
    with pytest.raises(UsageError, match="at least 1"):
        run(backup_prune, claude_dir, project, keep=0, dry_run=False, settings=SETTINGS)


def test_human_size() -> None:
    assert [human_size(n) for n in (0, 1023, 1024, 1536, 5 * 1024**2, 3 * 1024**3)] == \
        ["0 B", "1023 B", "1.0 KB", "1.5 KB", "5.0 MB", "3.0 GB"]


def test_settings_come_from_sfp_yaml_layers(claude_dir: Path, project: Path) -> None:
    pytest.importorskip("sfp.config.miniyaml")
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("backup:\n  keep: 4\n  extra_paths: [docs]\n")
    (project / ".sfp").mkdir()
    (project / ".sfp" / "sfp.yaml").write_text("backup:\n  keep_handoffs: 7\n")
    trust_project(claude_dir, project)
    assert load_backup_settings(claude_dir, project) == BackupSettings(keep=4, keep_handoffs=7, extra_paths=("docs",))


def test_hostile_backups_are_reported_damaged_and_every_command_goes_on(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    """One deeply nested metadata.json made list/verify/prune/restore/handoff exit 3; a NUL byte made verify exit 3."""
    populate(claude_dir, project)
    good = create_backup(claude_dir, project, SETTINGS, reason="manual", invocation=("sfp",))
    nested = claude_dir / "backups" / "20991231-235959"
    nested.mkdir()
    (nested / "metadata.json").write_text("[" * 100_000 + "]" * 100_000)
    nul = create_backup(claude_dir, project, SETTINGS, reason="manual", clock=lambda: 4102444700.0, invocation=("sfp",))
    meta = json.loads((nul.folder / "metadata.json").read_text())
    meta["files_backed_up"][0]["relative_path"] += "\0"
    (nul.folder / "metadata.json").write_text(json.dumps(meta))
    listed = sfp("backup", "list", cwd=project)
    assert listed.code == 0 and good.backup_id in listed.out
    assert f"2 damaged backup folders not listed: {nul.backup_id}, 20991231-235959" in listed.out
    verified = sfp("backup", "verify", cwd=project)
    assert verified.code == 1, verified.err
    assert f"ok   {good.backup_id}: 2 files intact" in verified.out and "nested too deeply" in verified.out
    assert f"FAIL {nul.backup_id}: 1 problem" in verified.out and "NUL" in verified.out
    (claude_dir / ".context" / "CLAUDE.md").write_text("changed\n")
    restored = sfp("restore", "--latest", "--yes", cwd=project)
    assert restored.code == 0, restored.err
    assert (claude_dir / ".context" / "CLAUDE.md").read_text() == "# context\n"
    handoff = sfp("handoff", "--project", str(project), cwd=project)
    assert handoff.code == 0, handoff.err
    pruned = sfp("backup", "prune", "--keep", "1", cwd=project)
    assert pruned.code == 0 and f"removed backup {good.backup_id}" in pruned.out
    assert nested.is_dir() and nul.folder.is_dir()  # a damaged folder is reported, never removed as a backup


def test_verify_and_prune_json(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    good = create_backup(claude_dir, project, SETTINGS, reason="manual", clock=lambda: 1770721192.0)
    bad = create_backup(claude_dir, project, SETTINGS, reason="manual", clock=lambda: 1770721252.0)
    bad.stored_path(bad.files[0]).write_text("bit rot")
    code, out = run(backup_verify, claude_dir, project, None, as_json=True, settings=SETTINGS)
    verified = json.loads(out)
    assert code == 1 and verified["schema"] == "sfp.backup-verify/1" and verified["ok"] is False
    assert [(b["id"], b["ok"], b["file_count"]) for b in verified["backups"]] == [
        (good.backup_id, True, 2), (bad.backup_id, False, 2)]
    assert "does not match its checksum" in verified["backups"][1]["problems"][0]
    code, out = run(backup_prune, claude_dir, project, keep=1, dry_run=True, as_json=True, settings=SETTINGS)
    planned = json.loads(out)
    assert code == 0 and planned["schema"] == "sfp.backup-prune/1" and planned["dry_run"] is True
    assert [b["id"] for b in planned["removed"]] == [good.backup_id] and planned["keep"] == 1
    assert len(list_backups(claude_dir)) == 2
