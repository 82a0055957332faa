"""Take away what the footprint listed, and nothing else: a thing that changed since it was listed
(now a symlink, now another type) is left, and sfp's folders go only once empty."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable

from sfp.cleanup.footprint import Item
from sfp.infra.record import Record


class Removal(Record):
    removed: list[Item]
    failed: list[tuple[Item, str]]  # what could not be removed, and why
    folders: list[str]  # sfp's folders removed because nothing was left in them


def remove_items(items: Iterable[Item], folders: Iterable[str] = ()) -> Removal:
    removed: list[Item] = []
    failed: list[tuple[Item, str]] = []
    for item in items:
        problem = _remove(item)
        if problem:
            failed.append((item, problem))
        else:
            removed.append(item)
    return Removal(removed, failed, [folder for folder in folders if _remove_if_empty(folder)])


def _remove(item: Item) -> str:
    """'' once `item` is gone (or was already), else why it stays."""
    parent, name = os.path.split(item.path)
    try:
        folder = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        # Everything below is relative to the folder held open: a link swapped in above it changes nothing.
        info = os.fstat(folder)
        if item.folder_id is not None and (info.st_dev, info.st_ino) != item.folder_id:
            return f"{parent} is not the folder it was listed in (a link or another folder now): left as it is"
        return _remove_in(folder, name, item.is_folder)
    finally:
        os.close(folder)


def _remove_in(folder: int, name: str, is_folder: bool) -> str:
    try:
        mode = os.lstat(name, dir_fd=folder).st_mode
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISLNK(mode) or stat.S_ISDIR(mode) != is_folder:
        return "it changed since it was listed (now a link or another type): left as it is"
    try:
        if is_folder:
            # rmtree never follows a link inside the folder, and on Linux resists one swapped in meanwhile.
            shutil.rmtree(name, dir_fd=folder)
        else:
            os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _remove_if_empty(folder: str) -> bool:
    try:
        if stat.S_ISLNK(os.lstat(folder).st_mode):
            return False
        os.rmdir(folder)
    except OSError:  # not empty, or not there: either way it stays as it is
        return False
    return True
