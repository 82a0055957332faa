"""Facts about the sfp that is running: which file, which interpreter."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from sfp.errors import UsageError


def running_zipapp(argv0: str | None = None) -> Path | None:
    """The sfp.pyz this process runs from, or None when it runs from a source checkout."""
    entry = Path(argv0 if argv0 is not None else sys.argv[0])
    try:
        if entry.is_file() and zipfile.is_zipfile(entry):
            return entry.resolve()
    except OSError:
        pass
    return None


def require_zipapp() -> Path:
    pyz = running_zipapp()
    if pyz is None:
        raise UsageError("run this from the sfp.pyz Claude Code should use (`make` builds dist/sfp.pyz), "
                         "not from a source checkout")
    return pyz


def interpreter() -> str:
    return sys.executable or "python3"
