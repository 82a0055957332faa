"""The builds of sfp that were installed, kept so an upgrade can be rolled back with one command.

`sfp install` copies the sfp.pyz it runs from into `<claude-dir>/sfp/versions/`
and records it; replacing sfp.pyz with a newer build and installing again
leaves the older copy there, runnable as it was.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sfp import __version__
from sfp.infra import paths
from sfp.infra.record import Record
from sfp.infra.storage import ensure_private_dir, write_atomic

RECORD = "installed.json"


class Build(Record):
    version: str
    sha256: str
    copy: str  # the kept copy of the file


class Kept(Record):
    current: Build
    previous: Build | None  # the build installed before, when it was a different one


def keep_build(claude_dir: Path, pyz: Path, version: str = __version__) -> Kept:
    folder = ensure_private_dir(paths.sfp_dir(claude_dir) / "versions")
    data = pyz.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    copy = folder / f"sfp-{version}-{digest[:12]}.pyz"
    if not copy.exists():
        write_atomic(copy, data, mode=0o700)
    current = Build(version, digest, str(copy))
    record = folder / RECORD
    before, earlier = _read(record, "current"), _read(record, "previous")
    changed = before is not None and before.sha256 != digest
    # Installing the same build again keeps the rollback pointer it had.
    previous = before if changed else earlier
    history = {"current": current._asdict(), "previous": previous._asdict() if previous else None}
    write_atomic(record, json.dumps(history, indent=2) + "\n")
    return Kept(current, before if changed else None)


def _read(record: Path, key: str) -> Build | None:
    try:
        value = json.loads(record.read_text(encoding="utf-8"))[key]
        return Build(str(value["version"]), str(value["sha256"]), str(value["copy"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
