"""`sfp prune`: the runbook's weekly clean-up of backups and handoffs."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from conftest import SfpRunner
from sfp.backup.create import create_backup
from sfp.backup.model import BackupSettings
from sfp.backup.store import list_backups
from sfp.commands.prune import prune
from sfp.errors import UsageError


def handoffs(claude_dir: Path, count: int) -> None:
    folder = claude_dir / "handoffs"
    folder.mkdir()
    for n in range(count):
        for suffix in (".md", ".json"):
            (folder / f"handoff-{n:02}{suffix}").write_text("x")
            os.utime(folder / f"handoff-{n:02}{suffix}", (1000 + n, 1000 + n))


def backups(claude_dir: Path, count: int) -> list[str]:
    return [create_backup(claude_dir, None, BackupSettings(), reason="manual", clock=lambda: 1770721192.0 + n).backup_id
            for n in range(count)]


def call(claude_dir: Path, **kwargs: object) -> str:
    out = io.StringIO()
    assert prune(claude_dir, None, out=out, **kwargs) == 0  # type: ignore[arg-type]
    return out.getvalue()


def test_prune_uses_the_configured_numbers(claude_dir: Path) -> None:
    handoffs(claude_dir, 4)
    ids = backups(claude_dir, 3)
    out = call(claude_dir, keep_backups=None, keep_handoffs=None, dry_run=False,
               settings=BackupSettings(keep=2, keep_handoffs=3))
    assert f"removed backup {ids[0]}" in out and f"removed {claude_dir / 'handoffs' / 'handoff-00.md'}" in out
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[1:]
    assert sorted(os.listdir(claude_dir / "handoffs"))[0] == "handoff-01.json"


def test_options_override_and_dry_run_removes_nothing(claude_dir: Path) -> None:
    handoffs(claude_dir, 3)
    ids = backups(claude_dir, 3)
    out = call(claude_dir, keep_backups=1, keep_handoffs=1, dry_run=True, settings=BackupSettings())
    assert out.count("would remove backup") == 2 and out.count("would remove /") == 4 and "dry run" in out
    assert len(list_backups(claude_dir)) == 3 and len(os.listdir(claude_dir / "handoffs")) == 6
    call(claude_dir, keep_backups=1, keep_handoffs=1, dry_run=False, settings=BackupSettings())
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[-1:]
    assert sorted(os.listdir(claude_dir / "handoffs")) == ["handoff-02.json", "handoff-02.md"]


def test_nothing_to_prune_says_so(claude_dir: Path) -> None:
    out = call(claude_dir, keep_backups=5, keep_handoffs=5, dry_run=False, settings=BackupSettings())
    assert out == "no backups to remove\nno handoffs to remove\n"


def test_keep_below_one_is_a_usage_error(claude_dir: Path) -> None:
    with pytest.raises(UsageError, match="--keep-handoffs must be at least 1"):
        call(claude_dir, keep_backups=3, keep_handoffs=0, dry_run=False, settings=BackupSettings())


def test_cli_prune_and_backup_verify(sfp: SfpRunner, claude_dir: Path) -> None:
    handoffs(claude_dir, 3)
    backups(claude_dir, 2)
    run = sfp("prune", "--keep-backups", "1", "--keep-handoffs", "2", "--dry-run")
    assert run.code == 0 and run.out.count("would remove") == 3, run.err
    assert sfp("prune", "--keep-backups", "1", "--keep-handoffs", "2").code == 0
    assert len(list_backups(claude_dir)) == 1 and len(os.listdir(claude_dir / "handoffs")) == 4
    assert sfp("backup", "verify").code == 0
    [left] = list_backups(claude_dir)
    left.stored_path(left.files[0]).write_text("rot")
    failed = sfp("backup", "verify")
    assert failed.code == 1 and "does not match its checksum" in failed.out
    assert sfp("prune", "--keep-backups", "0").code == 2
