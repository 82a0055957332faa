"""The backups kept: listing (damaged folders apart), loading, retention."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from backup.common import FIXED, make, populate
from sfp.backup.model import BackupSettings
from sfp.backup.restore import verify_all
from sfp.backup.store import latest_backup, list_backups, load_backup, prune_backups, scan_backups
from sfp.errors import SfpError, UsageError
from sfp.handoff.store import prune_handoffs


# -- listing and loading ---------------------------------------------------------------------------


def test_backups_sort_by_number_not_by_text(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    ids = [make(claude_dir, project, clock=FIXED).backup_id for _ in range(11)]
    assert [b.backup_id for b in list_backups(claude_dir)] == ids  # -10 after -9, not after the bare id
    assert latest_backup(claude_dir).backup_id == ids[-1]


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


# -- retention -------------------------------------------------------------------------------------


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


# -- damaged metadata -------------------------------------------------------------------------------


def hostile_metadata(claude_dir: Path, name: str, text: str | bytes) -> None:
    folder = claude_dir / "backups" / name
    (folder / "files").mkdir(parents=True)
    (folder / "metadata.json").write_bytes(text.encode() if isinstance(text, str) else text)


def test_a_deeply_nested_metadata_is_a_damaged_backup_and_the_others_go_on(claude_dir: Path, project: Path) -> None:
    """100,000 nested arrays raised RecursionError from every listing: every PreCompact exited 2."""
    populate(claude_dir, project)
    good = [make(claude_dir, project, clock=FIXED + n).backup_id for n in range(3)]
    hostile_metadata(claude_dir, "20991231-235959", "[" * 100_000 + "]" * 100_000)
    hostile_metadata(claude_dir, "20991231-235958", '{"format": 1, "roots": ' * 50_000)
    backups, damaged = scan_backups(claude_dir)
    assert [b.backup_id for b in backups] == good
    assert [name for name, _ in damaged] == ["20991231-235958", "20991231-235959"]
    assert all("damaged" in why for _, why in damaged), damaged
    assert latest_backup(claude_dir).backup_id == good[-1]
    assert [b.backup_id for b in prune_backups(claude_dir, 2)] == good[:1]
    assert sorted(os.listdir(claude_dir / "backups"))[-2:] == ["20991231-235958", "20991231-235959"]


@pytest.mark.parametrize("where", ["path", "relative_path", "root", "sha256", "roots.claude", "roots.project",
                                   "roots.key"])
def test_a_nul_byte_in_metadata_is_a_damaged_backup(claude_dir: Path, project: Path, where: str) -> None:
    """`backup verify` exited 3 (ValueError: embedded null byte) on such a backup."""
    populate(claude_dir, project)
    good = make(claude_dir, project, clock=FIXED)
    bad = make(claude_dir, project, clock=FIXED + 1)
    path = bad.folder / "metadata.json"
    meta = json.loads(path.read_text())
    if where == "roots.key":
        meta["roots"]["pro\0ject"] = meta["roots"].pop("project")
    elif where.startswith("roots."):
        meta["roots"][where[6:]] += "\0/x"
    else:
        meta["files_backed_up"][0][where] += "\0.txt"
    path.write_text(json.dumps(meta))
    with pytest.raises(SfpError, match="damaged .*NUL"):
        load_backup(claude_dir, bad.backup_id)
    backups, damaged = scan_backups(claude_dir)
    assert [b.backup_id for b in backups] == [good.backup_id] and [n for n, _ in damaged] == [bad.backup_id]
    results = {r.backup_id: r for r in verify_all(claude_dir, BackupSettings(), project=project)}
    assert results[good.backup_id].problems == () and "NUL" in results[bad.backup_id].problems[0]


def test_a_huge_metadata_is_damaged_without_being_read(claude_dir: Path, project: Path) -> None:
    populate(claude_dir, project)
    good = make(claude_dir, project)
    hostile_metadata(claude_dir, "20991231-235959", "")
    os.truncate(claude_dir / "backups/20991231-235959/metadata.json", 3 << 30)  # sparse: 3 GB, no disk used
    tracemalloc.start()
    try:
        backups, damaged = scan_backups(claude_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [b.backup_id for b in backups] == [good.backup_id] and "damaged" in damaged[0][1]
    assert peak < 16 << 20
