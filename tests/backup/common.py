"""What the backup tests share: a populated claude dir and project, a backup made, proof nothing changed."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import sys
import time
from pathlib import Path

from sfp.backup.create import create_backup
from sfp.backup.model import BackupInfo, BackupSettings, METADATA

FIXED = 1770721192.0  # a fixed clock: every backup lands in the same second
PYTHON = shlex.quote(sys.executable)
# coreutils base64 when there is one: a Python filter costs an interpreter start per file.
ENCODE = "base64 -w0" if shutil.which("base64") else \
    f"{PYTHON} -c 'import base64,sys; sys.stdout.buffer.write(base64.b64encode(sys.stdin.buffer.read()))'"
DECODE = "base64 -d" if shutil.which("base64") else \
    f"{PYTHON} -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.stdin.buffer.read()))'"


def populate(claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# context\n")
    (claude_dir / ".context" / "notes.md").write_text("notes\n")
    (claude_dir / ".context" / "ignored.txt").write_text("not markdown\n")
    (claude_dir / "CLAUDE.md").write_text("user instructions\n")
    handoffs = claude_dir / "handoffs"
    handoffs.mkdir()
    for n, name in enumerate(["handoff-20260101-000000", "handoff-20260102-000000"]):
        (handoffs / f"{name}.md").write_text(f"handoff {n}\n")
        (handoffs / f"{name}.json").write_text(json.dumps({"n": n}))
        os.utime(handoffs / f"{name}.md", (1000 + n, 1000 + n))
        os.utime(handoffs / f"{name}.json", (1000 + n, 1000 + n))
    (project / "CLAUDE.md").write_text("project instructions\n")
    (project / "CLAUDE.md").chmod(0o644)
    (project / ".claude").mkdir()
    (project / ".claude" / "CLAUDE.md").write_text("project local\n")


def make(claude_dir: Path, project: Path | None, settings: BackupSettings | None = None,
         reason: str = "manual", clock: float | None = None) -> BackupInfo:
    return create_backup(claude_dir, project, settings or BackupSettings(), reason=reason,
                            clock=(lambda: clock) if clock is not None else time.time, invocation=("sfp",))


def snapshot(*folders: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and folder under `folders`: content and mode, to prove that nothing was written."""
    seen: dict[str, tuple[bytes, int]] = {}
    for folder in folders:
        for top, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = Path(top) / name
                info = path.lstat()
                body = path.read_bytes() if stat.S_ISREG(info.st_mode) else b""
                seen[str(path)] = (body, info.st_mode)
    return seen


def rewrite_metadata(info: BackupInfo, change: dict[str, object], index: int = 0) -> None:
    path = info.folder / METADATA
    meta = json.loads(path.read_text())
    meta["files_backed_up"][index].update(change)
    path.write_text(json.dumps(meta))
