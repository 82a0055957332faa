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
from collections.abc import Callable, Iterable, Iterator, Mapping
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


# handoff.store's names: `handoff-YYYYMMDD-HHMMSS-<session, 8 safe characters or nosession>[-N]`.
_HANDOFF: Final = r"handoff-\d{8}-\d{6}-[A-Za-z0-9_-]{1,9}(?:-[1-9]\d{0,2})?"
_SESSION: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.json"  # session_state.state_path's names

FOLDER_RULES: Final[Mapping[str, tuple[Rule, ...]]] = {
    "logs": _rules((r"\.?sfp\.log(?:\.\d+|\.lock)?", "log", FILE)),
    "kpis": _rules((r"\.?events\.jsonl(?:\.\d+|\.lock)?", "kpi", FILE)),
    "handoffs": _rules((rf"{_HANDOFF}\.(?:md|json)|\.{_HANDOFF}\.claim|" + _TEMP.format(name=rf"{_HANDOFF}\.(?:md|json)"),
                        "handoff", FILE)),
    "backups": _rules((r"\d{8}-\d{6}(?:-[1-9]\d*)?|\.tmp-[\w.-]+", "backup", FOLDER)),
    "sfp/versions": _rules(
        (r"sfp-[\w.+-]+-[0-9a-f]{12}\.pyz", "kept-build", FILE),
        (r"installed\.json|" + _TEMP.format(name=r"(?:installed\.json|sfp-[\w.+-]+\.pyz)"), "record", FILE),
    ),
    "sfp/state/sessions": _rules((rf"{_SESSION}|\.lock|" + _TEMP.format(name=_SESSION), "session-state", FILE)),
    "sfp/state": _rules((r"sessions", "", FOLDER)),
    "sfp": _rules(
        (r"versions", "", FOLDER), (r"state", "", FOLDER),
        (r"trust\.json|" + _TEMP.format(name=r"trust\.json"), "trust", FILE),
        (_CONFIGS, "config", FILE), (r"report\.html", "report", FILE),
        (r"created\.json|" + _TEMP.format(name=r"created\.json"), "record", FILE),
    ),
}
# sfp's folders under the claude dir, deepest first: removed only once empty.
OWN_FOLDERS: Final = ("sfp/state/sessions", "sfp/state", "sfp/versions", "logs", "kpis", "handoffs", "backups", "sfp")
# Those right in the claude dir: a link or a file by one of these names is reported, never entered.
TOP_FOLDERS: Final = ("logs", "kpis", "handoffs", "backups", "sfp")


class Item(Record):
    path: str
    kind: str  # a key of KINDS, or "foreign" for what sfp didn't make
    size: int  # bytes; a folder's is everything in it
    is_folder: bool
    mtime: float
    # (st_dev, st_ino) of the folder it was listed in: it is removed only from that very folder.
    folder_id: tuple[int, int] | None = None


class Footprint(Record):
    items: list[Item]  # sfp's own
    foreign: list[Item]  # in sfp's folders, not made by sfp: never removed
    folders: list[str]  # sfp's folders themselves, to remove once empty (deepest first)
    unreadable: tuple[tuple[str, str], ...] = ()  # folders that could not be listed (path, why)

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


class _Scan:
    """Lists folders, remembering which could not be read and why."""

    def __init__(self) -> None:
        self.unreadable: list[tuple[str, str]] = []

    def entries(self, folder: Path) -> tuple[list[os.DirEntry[str]], tuple[int, int] | None]:
        """The entries of `folder` (a real folder, not a link) and its identity; none when it isn't one."""
        try:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode):
                return [], None
            with os.scandir(folder) as scan:
                return sorted(scan, key=lambda entry: entry.name), (info.st_dev, info.st_ino)
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            self.unreadable.append((str(folder), exc.strerror or str(exc)))
            return [], None


def footprint(where: Where) -> Footprint:
    scan = _Scan()
    items: list[Item] = []
    foreign: list[Item] = [*_linked_top_folders(where.claude_dir)]
    for folder, rules in FOLDER_RULES.items():
        if not _real_chain(where.claude_dir, folder):
            continue  # under a link (or a file) where sfp's folder should be: never entered
        mine, theirs = _classify(scan, where.claude_dir / folder, rules)
        items += mine
        foreign += theirs
    items += settings_backups(where.settings_files, scan)
    items += shiv_extractions(where.shiv_root, scan)
    order = list(KINDS)
    items.sort(key=lambda item: (order.index(item.kind), item.path))
    folders = [str(where.claude_dir / name) for name in OWN_FOLDERS if _real_chain(where.claude_dir, name)]
    return Footprint(items, foreign, folders, tuple(scan.unreadable))


def _linked_top_folders(claude_dir: Path) -> Iterator[Item]:
    """sfp's folder names in the claude dir held by something else (a link, a file): the person's."""
    for name in TOP_FOLDERS:
        path = claude_dir / name
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            yield Item(str(path), "foreign", 0 if stat.S_ISLNK(info.st_mode) else info.st_size, False, info.st_mtime)


def _real_chain(claude_dir: Path, relative: str) -> bool:
    """Is every component of `relative` under the claude dir a real folder (no link anywhere)?"""
    path = claude_dir
    for part in relative.split("/"):
        path = path / part
        if not _is_real_folder(path):
            return False
    return True


def _classify(scan: _Scan, folder: Path, rules: tuple[Rule, ...]) -> tuple[list[Item], list[Item]]:
    mine: list[Item] = []
    theirs: list[Item] = []
    entries, folder_id = scan.entries(folder)
    for entry in entries:
        made = _made_by_sfp(entry, rules)
        if made == "":
            continue
        if made and not _VERIFY.get(made, _anything)(entry):
            made = None  # sfp's name, not what sfp writes there
        (mine if made else theirs).append(_item(entry, made or "foreign", folder_id))
    return mine, theirs
def _made_by_sfp(entry: os.DirEntry[str], rules: tuple[Rule, ...]) -> str | None:
    """The kind of `entry` when sfp gives that name to that type of thing, else None."""
    for pattern, kind, made in rules:
        if pattern.fullmatch(entry.name):
            is_folder = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file(follow_symlinks=False)
            return kind if (is_folder if made == FOLDER else is_file) else None
    return None


def settings_backups(settings_files: Iterable[Path], scan: _Scan | None = None) -> list[Item]:
    """`<settings>.sfp-backup-<time>` beside each settings file, and beside the file a symlinked one points to
    (where sfp wrote them, named after that file)."""
    scan = scan or _Scan()
    found: dict[str, Item] = {}
    for settings in settings_files:
        target = settings.resolve()
        for folder, name in dict.fromkeys([(settings.parent, settings.name), (target.parent, target.name)]):
            entries, folder_id = scan.entries(folder)
            for entry in entries:
                rest = entry.name[len(name):]
                if entry.name.startswith(name) and SETTINGS_BACKUP.fullmatch(rest) \
                        and entry.is_file(follow_symlinks=False):
                    found.setdefault(entry.path, _item(entry, "settings-backup", folder_id))
    return list(found.values())


def shiv_extractions(root: Path, scan: _Scan | None = None) -> list[Item]:
    """What a shiv build of sfp unpacked: `sfp….pyz_<build id>/`, its `.…_lock` and an unfinished `.tmp`."""
    found = []
    entries, folder_id = (scan or _Scan()).entries(root)
    for entry in entries:
        whole = EXTRACTION.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
        piece = _EXTRACTION_PIECES.fullmatch(entry.name) and not entry.is_symlink()
        if whole or piece:
            found.append(_item(entry, "shiv", folder_id))
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


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _item(entry: os.DirEntry[str], kind: str, folder_id: tuple[int, int] | None) -> Item:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return Item(entry.path, kind, 0, False, 0.0, folder_id)
    is_folder = stat.S_ISDIR(info.st_mode)
    size = tree_size(entry.path) if is_folder else info.st_size
    when = last_used(entry.path, info.st_mtime) if kind == "shiv" and is_folder else info.st_mtime
    return Item(entry.path, kind, size, is_folder, when, folder_id)


# --- what sfp writes under its names --------------------------------------------------------------------------


def _anything(entry: os.DirEntry[str]) -> bool:
    return True


def _is_default_config(entry: os.DirEntry[str]) -> bool:
    """A config file is sfp's only as `sfp config init` wrote it; edited (or hand-written), it is the person's."""
    from sfp.config.layers import default_text
    from sfp.errors import SfpError

    try:
        expected = default_text(entry.name.removesuffix(".yaml")).encode("utf-8", "replace")
        with open(entry.path, "rb", opener=_no_follow) as file:
            return file.read(len(expected) + 1) == expected
    except (OSError, SfpError):
        return False


def _is_backup(entry: os.DirEntry[str]) -> bool:
    """A backup folder holds metadata.json and files/ (one being written: part of that, or metadata's temporary)."""
    from sfp.backup.model import FILES, METADATA, TMP_PREFIX

    try:
        with os.scandir(entry.path) as scan:
            inside = {e.name: e.is_dir(follow_symlinks=False) if e.name == FILES else e.is_file(follow_symlinks=False)
                      for e in scan}
    except OSError:
        return False
    if not all(inside.values()):
        return False
    if not entry.name.startswith(TMP_PREFIX):
        return set(inside) == {METADATA, FILES}
    temporary = re.compile(_TEMP.format(name=re.escape(METADATA)))
    return all(name in (METADATA, FILES) or temporary.fullmatch(name) for name in inside)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


_VERIFY: Final[Mapping[str, Callable[[os.DirEntry[str]], bool]]] = {"config": _is_default_config, "backup": _is_backup}


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
