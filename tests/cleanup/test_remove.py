"""Removing what was listed: a thing that became a link since is left, and a folder goes only once empty."""

from __future__ import annotations

from pathlib import Path

from sfp.cleanup.footprint import Item
from sfp.cleanup.remove import remove_items


def test_files_and_folders_go_links_swapped_in_stay_and_folders_only_empty(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sfp.log").write_text("x")
    (folder / "sub" / "a").write_text("x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    swapped = tmp_path / "handoffs"
    swapped.symlink_to(outside)  # was listed as a folder of sfp's, is a link now
    items = [Item(str(folder / "sfp.log"), "log", 1, False, 0), Item(str(folder / "sub"), "log", 1, True, 0),
             Item(str(swapped), "handoff", 1, True, 0), Item(str(tmp_path / "gone"), "log", 1, False, 0)]
    done = remove_items(items, [str(folder), str(tmp_path)])
    assert [i.path for i in done.removed] == [items[0].path, items[1].path, items[3].path]
    assert [(i.path, "changed since it was listed" in why) for i, why in done.failed] == [(str(swapped), True)]
    assert done.folders == [str(folder)] and (outside / "keep").read_text() == "keep" and tmp_path.exists()


def test_nothing_goes_from_a_folder_swapped_for_a_link_after_listing(tmp_path: Path) -> None:
    folder = tmp_path / "sfp"
    folder.mkdir()
    (folder / "trust.json").write_text("x")
    info = folder.stat()
    listed = Item(str(folder / "trust.json"), "trust", 1, False, 0, (info.st_dev, info.st_ino))
    folder.rename(tmp_path / "moved")
    elsewhere = tmp_path / "dot"
    elsewhere.mkdir()
    (elsewhere / "trust.json").write_text("keep")
    folder.symlink_to(elsewhere)
    done = remove_items([listed])
    assert done.removed == [] and "not the folder it was listed in" in done.failed[0][1]
    assert (elsewhere / "trust.json").read_text() == "keep"
