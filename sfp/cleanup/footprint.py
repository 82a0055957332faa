"""Every file and folder sfp made, as plain data: path, kind, size — and what sits in sfp's folders
that sfp didn't make, so nobody's own file is taken for sfp's.

A thing is sfp's only when it has the name sfp gives it and the type sfp makes (a regular file, a
real folder): a symlink is never sfp's, is never followed, and is only ever reported. The inventory
reads; `remove` and `retention` decide what goes.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Final

from sfp.infra.record import Record

# The kinds, in the order a person reads them.
KINDS: Final = {
    "settings-backup": "settings backups",
    "kept-build": "kept builds",
    "shiv": "shiv extractions",
    "backup": "backups",
    "handoff": "handoffs",
    "log": "logs",
    "kpi": "KPI events",
    "session-state": "session state",
    "trust": "trust records",
    "config": "your sfp config",
    "report": "reports",
    "record": "install records",
}
FILE, FOLDER = "file", "folder"

# name pattern, kind, what sfp makes there (a file or a folder), per folder sfp owns. Kind "": one of sfp's
# folders whose contents have rules of their own.
Rule = tuple[re.Pattern[str], str, str]
_CONFIGS: Final = r"(?:sfp|gates|alerts|evidence|fallback|auto_fix)\.yaml"
_TEMP: Final = r"\.{name}\.\d+\.\d+\.tmp"  # storage.write_atomic's temporary, left by a killed writer
SETTINGS_BACKUP: Final = re.compile(r"\.sfp-backup-\d{8}-\d{6}")
EXTRACTION: Final = re.compile(r"(sfp[\w.+-]*\.pyz)_([0-9a-f]{16,128})")
_EXTRACTION_PIECES: Final = re.compile(r"\.(sfp[\w.+-]*\.pyz_[0-9a-f]{16,128})_lock|(sfp[\w.+-]*\.pyz_[0-9a-f]{16,128})\.tmp")


def _rules(*rules: tuple[str, str, str]) -> tuple[Rule, ...]:
    return tuple((re.compile(pattern), kind, made) for pattern, kind, made in rules)


FOLDER_RULES: Final[Mapping[str, tuple[Rule, ...]]] = {
    "logs": _rules((r"\.?sfp\.log(?:\.\d+|\.lock)?", "log", FILE)),
    "kpis": _rules((r"\.?events\.jsonl(?:\.\d+|\.lock)?", "kpi", FILE)),
    "handoffs": _rules((r"\.?handoff-[\w.-]+\.(?:md|json|claim|tmp)", "handoff", FILE)),
    "backups": _rules((r"\d{8}-\d{6}(?:-[1-9]\d*)?|\.tmp-[\w.-]+", "backup", FOLDER)),
    "sfp/versions": _rules(
        (r"sfp-[\w.+-]+-[0-9a-f]{12}\.pyz", "kept-build", FILE),
        (r"installed\.json|" + _TEMP.format(name=r"(?:installed\.json|sfp-[\w.+-]+\.pyz)"), "record", FILE),
    ),
    "sfp": _rules(
        (r"versions", "", FOLDER), (r"state", "session-state", FOLDER),
        (r"trust\.json|" + _TEMP.format(name=r"trust\.json"), "trust", FILE),
        (_CONFIGS, "config", FILE), (r"report\.html", "report", FILE),
        (r"created\.json|" + _TEMP.format(name=r"created\.json"), "record", FILE),
    ),
}
# sfp's folders under the claude dir, deepest first: removed only once empty.
OWN_FOLDERS: Final = ("sfp/versions", "logs", "kpis", "handoffs", "backups", "sfp")


class Item(Record):
    path: str
    kind: str  # a key of KINDS, or "foreign" for what sfp didn't make
    size: int  # bytes; a folder's is everything in it
    is_folder: bool
    mtime: float


class Footprint(Record):
    items: list[Item]  # sfp's own
    foreign: list[Item]  # in sfp's folders, not made by sfp: never removed
    folders: list[str]  # sfp's folders themselves, to remove once empty (deepest first)

    def total(self) -> int:
        return sum(item.size for item in self.items)


class Where(Record):
    """Where sfp may have left things: the claude dir, the settings files it may have backed up, shiv's cache."""

    claude_dir: Path
    settings_files: tuple[Path, ...]
    shiv_root: Path


def shiv_root(environ: Mapping[str, str]) -> Path:
    """Where a shiv build unpacks itself: `$SHIV_ROOT`, else `~/.shiv`."""
    return Path(environ.get("SHIV_ROOT") or Path(environ.get("HOME") or Path.home()) / ".shiv")


def footprint(where: Where) -> Footprint:
    items: list[Item] = []
    foreign: list[Item] = []
    for folder, rules in FOLDER_RULES.items():
        mine, theirs = _classify(where.claude_dir / folder, rules)
        items += mine
        foreign += theirs
    items += settings_backups(where.settings_files)
    items += shiv_extractions(where.shiv_root)
    order = list(KINDS)
    items.sort(key=lambda item: (order.index(item.kind), item.path))
    folders = [str(where.claude_dir / name) for name in OWN_FOLDERS if _is_real_folder(where.claude_dir / name)]
    return Footprint(items, foreign, folders)


def _classify(folder: Path, rules: tuple[Rule, ...]) -> tuple[list[Item], list[Item]]:
    mine: list[Item] = []
    theirs: list[Item] = []
    for entry in _entries(folder):
        made = _made_by_sfp(entry, rules)
        if made == "":
            continue
        (mine if made else theirs).append(_item(entry, made or "foreign"))
    return mine, theirs


def _made_by_sfp(entry: os.DirEntry[str], rules: tuple[Rule, ...]) -> str | None:
    """The kind of `entry` when sfp gives that name to that type of thing, else None."""
    for pattern, kind, made in rules:
        if pattern.fullmatch(entry.name):
            is_folder = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file(follow_symlinks=False)
            return kind if (is_folder if made == FOLDER else is_file) else None
    return None


def settings_backups(settings_files: Iterable[Path]) -> list[Item]:
    """`<settings>.sfp-backup-<time>` beside each settings file, and beside the file a symlinked one points to
    (where sfp wrote them)."""
    found: dict[str, Item] = {}
    for settings in settings_files:
        folders = {settings.parent, settings.resolve().parent}
        for folder in folders:
            for entry in _entries(folder):
                rest = entry.name[len(settings.name):]
                if entry.name.startswith(settings.name) and SETTINGS_BACKUP.fullmatch(rest) \
                        and entry.is_file(follow_symlinks=False):
                    found.setdefault(entry.path, _item(entry, "settings-backup"))
    return list(found.values())


def shiv_extractions(root: Path) -> list[Item]:
    """What a shiv build of sfp unpacked: `sfp….pyz_<build id>/`, its `.…_lock` and an unfinished `.tmp`."""
    found = []
    for entry in _entries(root):
        whole = EXTRACTION.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
        piece = _EXTRACTION_PIECES.fullmatch(entry.name) and not entry.is_symlink()
        if whole or piece:
            found.append(_item(entry, "shiv"))
    return found


def extraction_of(item: Item) -> str:
    """The extraction (`sfp.pyz_<build id>`) a shiv item belongs to."""
    name = Path(item.path).name
    match = _EXTRACTION_PIECES.fullmatch(name)
    return (match.group(1) or match.group(2)) if match else name


def settings_file_of(item: Item) -> str:
    """The settings file a settings backup was taken of."""
    match = SETTINGS_BACKUP.search(item.path)
    return item.path[: match.start()] if match else item.path


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    if not _is_real_folder(folder):
        return iter(())
    try:
        with os.scandir(folder) as scan:
            return iter(sorted(scan, key=lambda entry: entry.name))
    except OSError:
        return iter(())


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _item(entry: os.DirEntry[str], kind: str) -> Item:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return Item(entry.path, kind, 0, False, 0.0)
    is_folder = stat.S_ISDIR(info.st_mode)
    size = tree_size(entry.path) if is_folder else info.st_size
    when = last_used(entry.path, info.st_mtime) if kind == "shiv" and is_folder else info.st_mtime
    return Item(entry.path, kind, size, is_folder, when)


def last_used(extraction: str, since: float) -> float:
    """When a process last imported sfp from this extraction: the access time of its bytecode (a relatime
    mount updates it at least daily), else when it was unpacked."""
    cache = os.path.join(extraction, "site-packages", "sfp", "__pycache__")
    try:
        with os.scandir(cache) as scan:
            times = [e.stat(follow_symlinks=False).st_atime for e in scan if e.name.startswith("__init__.")]
    except OSError:
        times = []
    return max([since, *times])


def tree_size(folder: str) -> int:
    """The bytes of every file under `folder`, links not followed."""
    total = 0
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return total


class KindSummary(Record):
    kind: str
    label: str
    number: int
    size: int
    folders: tuple[str, ...]  # where they are, each once


def by_kind(items: Iterable[Item]) -> list[KindSummary]:
    """The items counted per kind, in KINDS order: what a person reads instead of a thousand paths."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.kind, []).append(item)
    order = [*KINDS, "foreign"]
    return [KindSummary(kind, KINDS.get(kind, "not sfp's"), len(group), sum(i.size for i in group),
                        tuple(dict.fromkeys(str(Path(i.path).parent) for i in group)))
            for kind, group in sorted(groups.items(), key=lambda pair: order.index(pair[0]) if pair[0] in order else 99)]
