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


def self_command_environ() -> dict[str, str]:
    """Variables that let a gate call this same sfp: `eval "$SFP scan-secrets ."`.

    `SFP` is a shell-quoted command line (the zipapp, or `python -m sfp` from a checkout, for which
    PYTHONPATH is set too), so `eval` keeps paths with spaces whole.
    """
    import os
    import shlex

    pyz = running_zipapp()
    if pyz is not None:
        return {"SFP": shlex.join([interpreter(), str(pyz)])}
    import sfp

    source = os.path.dirname(os.path.dirname(os.path.abspath(sfp.__file__ or ".")))
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH", "")]))
    return {"SFP": shlex.join([interpreter(), "-m", "sfp"]), "PYTHONPATH": path}
