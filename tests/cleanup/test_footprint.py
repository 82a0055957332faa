"""The inventory of what sfp made: by the name sfp gives and the type sfp makes, never a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import unlistable

from sfp.cleanup.footprint import Where, by_kind, footprint, shiv_root
from sfp.config.layers import default_text


def where(claude_dir: Path, tmp_path: Path, *settings: Path) -> Where:
    return Where(claude_dir, (claude_dir / "settings.json", *settings), tmp_path / "shiv")


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_sfps_names_are_sfps_other_names_and_other_types_are_not(claude_dir: Path, tmp_path: Path) -> None:
    mine = [touch(claude_dir / "logs" / "sfp.log", "12345"), touch(claude_dir / "logs" / "sfp.log.1"),
            touch(claude_dir / "kpis" / "events.jsonl"), touch(claude_dir / "handoffs" / "handoff-20260101-120000-s.md"),
            touch(claude_dir / "sfp" / "trust.json"), touch(claude_dir / "sfp" / "gates.yaml", default_text("gates")),
            touch(claude_dir / "sfp" / "versions" / "sfp-0.1.0-0123456789ab.pyz")]
    touch(claude_dir / "backups" / "20260101-120000" / "metadata.json", "abc")
    (claude_dir / "backups" / "20260101-120000" / "files").mkdir()
    theirs = [touch(claude_dir / "logs" / "claude.log"), touch(claude_dir / "sfp" / "notes.md"),
              touch(claude_dir / "backups" / "20260101-130000")]  # an id's name, but a file: not a backup sfp made
    (claude_dir / "handoffs" / "handoff-x.md").symlink_to(tmp_path)  # sfp's name, but a link
    found = footprint(where(claude_dir, tmp_path))
    paths = {item.path for item in found.items}
    assert {str(p) for p in mine} | {str(claude_dir / "backups" / "20260101-120000")} == paths
    assert {item.path for item in found.foreign} == {str(p) for p in theirs} | {str(claude_dir / "handoffs" / "handoff-x.md")}
    sizes = {Path(item.path).name: item.size for item in found.items}
    assert sizes["sfp.log"] == 5 and sizes["20260101-120000"] == 3  # a folder: what is in it


def test_settings_backups_beside_the_file_and_beside_what_its_link_points_to(claude_dir: Path, tmp_path: Path) -> None:
    dotfiles = touch(tmp_path / "dotfiles" / "settings.json", "{}")
    (claude_dir / "settings.json").symlink_to(dotfiles)
    there = touch(tmp_path / "dotfiles" / "settings.json.sfp-backup-20260101-120000")
    here = touch(claude_dir / "settings.json.sfp-backup-20260102-120000")
    touch(claude_dir / "settings.json.sfp-backup-old")  # not sfp's pattern
    found = footprint(where(claude_dir, tmp_path))
    assert sorted(i.path for i in found.items if i.kind == "settings-backup") == sorted([str(there), str(here)])


def test_kinds_are_counted_in_reading_order(claude_dir: Path, tmp_path: Path) -> None:
    touch(claude_dir / "logs" / "sfp.log", "1234")
    touch(claude_dir / "logs" / "sfp.log.1", "12")
    touch(claude_dir / "settings.json.sfp-backup-20260102-120000", "1")
    summary = by_kind(footprint(where(claude_dir, tmp_path)).items)
    assert [(s.label, s.number, s.size, s.folders) for s in summary] == [
        ("settings backups", 1, 1, (str(claude_dir),)), ("logs", 2, 6, (str(claude_dir / "logs"),))]


def test_the_shiv_root_is_shivs_own_choice() -> None:
    assert shiv_root({"SHIV_ROOT": "/x", "HOME": "/h"}) == Path("/x")
    assert shiv_root({"HOME": "/h"}) == Path("/h/.shiv")
    assert os.sep in str(shiv_root({}))


def test_a_linked_folder_of_sfps_is_named_and_nothing_beneath_it_is_listed(claude_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "dot" / "sfp"
    keep = [touch(target / "versions" / "installed.json", "keep"),
            touch(target / "versions" / "sfp-my-0123456789ab.pyz", "keep"), touch(target / "trust.json", "keep")]
    (claude_dir / "sfp").symlink_to(target)
    (claude_dir / "logs").symlink_to(tmp_path / "dot")
    touch(claude_dir / "kpis", "a file where sfp's folder goes")
    found = footprint(where(claude_dir, tmp_path))
    assert found.items == [] and found.folders == []
    assert sorted(i.path for i in found.foreign) == sorted(str(claude_dir / n) for n in ("sfp", "logs", "kpis"))
    assert all(path.read_text() == "keep" for path in keep)


def test_the_persons_files_in_sfps_folders_are_theirs(claude_dir: Path, tmp_path: Path) -> None:
    sessions = claude_dir / "sfp" / "state" / "sessions"
    mine = [touch(sessions / "0b7c-session.json"), touch(sessions / ".lock"),
            touch(sessions / ".0b7c-session.json.12.345.tmp"),
            touch(claude_dir / "handoffs" / "handoff-20260101-120000-ab_cd-ef-2.json"),
            touch(claude_dir / "handoffs" / ".handoff-20260101-120000-nosession.claim"),
            touch(claude_dir / "handoffs" / ".handoff-20260101-120000-s1.md.12.345.tmp"),
            touch(claude_dir / "sfp" / "sfp.yaml", default_text("sfp"))]
    theirs = [touch(claude_dir / "sfp" / "state" / "mine.txt"), touch(sessions / "notes.txt"),
              touch(claude_dir / "handoffs" / "handoff-my-notes.md"),
              touch(claude_dir / "sfp" / "gates.yaml", "gates: []\n"),  # hand-written: the person's
              touch(claude_dir / "sfp" / "alerts.yaml", default_text("alerts") + "# mine\n")]
    backup = claude_dir / "backups" / "20260101-120000"
    touch(backup / "metadata.json")
    touch(backup / "files" / "claude" / "CLAUDE.md")
    touch(backup / "mine.txt")  # not what sfp writes in a backup: the whole folder is left
    found = footprint(where(claude_dir, tmp_path))
    assert sorted(i.path for i in found.items) == sorted(map(str, mine))
    assert sorted(i.path for i in found.foreign) == sorted(map(str, [*theirs, backup]))
    assert found.folders[:2] == [str(sessions), str(sessions.parent)]


def test_a_folder_that_cannot_be_listed_is_said(claude_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(claude_dir / "logs" / "sfp.log")
    unlistable(monkeypatch, claude_dir / "logs")
    found = footprint(where(claude_dir, tmp_path))
    assert found.unreadable == ((str(claude_dir / "logs"), "Permission denied"),) and found.items == []


def test_backups_of_a_linked_settings_file_are_named_after_its_target(claude_dir: Path, tmp_path: Path) -> None:
    dotfiles = touch(tmp_path / "dot" / "claude-settings.json", "{}")
    (claude_dir / "settings.json").symlink_to(dotfiles)
    backup = touch(tmp_path / "dot" / "claude-settings.json.sfp-backup-20260101-120000")
    found = footprint(where(claude_dir, tmp_path))
    assert [i.path for i in found.items if i.kind == "settings-backup"] == [str(backup)]
