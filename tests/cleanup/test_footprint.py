"""The inventory of what sfp made: by the name sfp gives and the type sfp makes, never a link."""

from __future__ import annotations

import os
from pathlib import Path

from sfp.cleanup.footprint import Where, by_kind, footprint, shiv_root


def where(claude_dir: Path, tmp_path: Path, *settings: Path) -> Where:
    return Where(claude_dir, (claude_dir / "settings.json", *settings), tmp_path / "shiv")


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_sfps_names_are_sfps_other_names_and_other_types_are_not(claude_dir: Path, tmp_path: Path) -> None:
    mine = [touch(claude_dir / "logs" / "sfp.log", "12345"), touch(claude_dir / "logs" / "sfp.log.1"),
            touch(claude_dir / "kpis" / "events.jsonl"), touch(claude_dir / "handoffs" / "handoff-20260101-1-s.md"),
            touch(claude_dir / "sfp" / "trust.json"), touch(claude_dir / "sfp" / "gates.yaml"),
            touch(claude_dir / "sfp" / "versions" / "sfp-0.1.0-0123456789ab.pyz")]
    touch(claude_dir / "backups" / "20260101-120000" / "metadata.json", "abc")
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
