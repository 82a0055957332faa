"""What a backup is, as data: its settings, its stored files, its metadata, a restore plan."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from sfp.infra.record import Record

ROOT_CLAUDE: Final = "claude"
ROOT_PROJECT: Final = "project"
METADATA: Final = "metadata.json"
METADATA_MAX: Final = 64 << 20  # bytes: some 200,000 files' entries
FILES: Final = "files"
TMP_PREFIX: Final = ".tmp-"
FORMAT: Final = 1
STALE_AFTER_S: Final = 3600.0
FILTER_TIMEOUT_S: Final = 120.0
FSYNC_EACH_MAX: Final = 32
ID_PATTERN: Final = re.compile(r"(\d{8}-\d{6})(?:-([1-9]\d*))?")

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


class BackupSettings(Record):
    keep: int = 10
    keep_handoffs: int = 20
    extra_paths: tuple[str, ...] = ()
    encrypt_command: str | None = None
    decrypt_command: str | None = None


@dataclass(frozen=True)
class StoredFile:
    root: str  # ROOT_CLAUDE or ROOT_PROJECT
    relative_path: str  # POSIX, relative to the root
    path: str  # where it was, as recorded
    sha256: str  # of the original content, before any encryption
    size: int
    mode: int
    mtime_ns: int


@dataclass(frozen=True)
class BackupInfo:
    backup_id: str
    folder: Path
    timestamp: str
    reason: str
    roots: Mapping[str, str]
    files: tuple[StoredFile, ...]
    encrypted: bool
    restore_command: str
    warnings: tuple[str, ...] = ()  # files a new backup had to leave out, and why

    def stored_path(self, entry: StoredFile) -> Path:
        return self.folder / FILES / entry.root / entry.relative_path

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)


@dataclass(frozen=True)
class Source:
    root: str
    relative_path: str
    path: Path


@dataclass(frozen=True)
class RestoreChange:
    entry: StoredFile
    target: Path
    status: str  # NEW, CHANGED or UNCHANGED


@dataclass(frozen=True)
class RestorePlan:
    backup: BackupInfo
    changes: tuple[RestoreChange, ...]
    # Where each root goes: this claude dir, and the project the person named (never the backup's word alone).
    roots: Mapping[str, Path] = field(default_factory=dict)

    @property
    def pending(self) -> tuple[RestoreChange, ...]:
        return tuple(change for change in self.changes if change.status != UNCHANGED)


@dataclass(frozen=True)
class RestoreResult:
    pre_restore: BackupInfo | None
    written: tuple[Path, ...]


@dataclass(frozen=True)
class VerifyResult:
    backup_id: str
    files: int
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()  # not problems: e.g. project files that restore only when their project is named


# -- settings ---------------------------------------------------------------------------------------


def load_backup_settings(claude_dir: Path, project: Path | None) -> BackupSettings:
    """The `backup:` section of sfp.yaml for this project."""
    from sfp.config.layers import load_config
    from sfp.config.typed import record

    return record(load_config("sfp", claude_dir, project).get("backup"), BackupSettings)


def inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)
