"""Facts about the sfp that is running: which file, which interpreter, and the command that runs it again."""

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


def source_root() -> str:
    """The folder holding the `sfp` package this process imported: a checkout's top folder."""
    import os

    import sfp

    return os.path.dirname(os.path.dirname(os.path.abspath(sfp.__file__ or ".")))


def self_command() -> tuple[str, ...]:
    """The argv prefix that runs this same sfp: `(python, /abs/sfp.pyz)`, or `(python, -m, sfp)` from a checkout.

    From a checkout the package must be importable too: see self_command_environ.
    """
    return _command_for(running_zipapp())


def self_command_environ() -> dict[str, str]:
    """Variables that let a gate call this same sfp: `eval "$SFP scan-secrets ."`.

    `SFP` is self_command() as one shell-quoted line, so `eval` keeps paths with
    spaces whole; from a checkout PYTHONPATH leads with the checkout, so
    `python -m sfp` finds this package from any folder.
    """
    import os
    import shlex

    pyz = running_zipapp()
    environ = {"SFP": shlex.join(_command_for(pyz))}
    if pyz is None:
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root(), os.environ.get("PYTHONPATH", "")]))
    return environ


def standalone_self_command() -> tuple[str, ...]:
    """self_command() with the variables it needs as an `env` prefix: words a person can paste into any shell."""
    needs = {name: value for name, value in self_command_environ().items() if name != "SFP"}
    prefix = ("env", *(f"{name}={value}" for name, value in needs.items())) if needs else ()
    return (*prefix, *self_command())


def _command_for(pyz: Path | None) -> tuple[str, ...]:
    return (interpreter(), str(pyz)) if pyz is not None else (interpreter(), "-m", "sfp")
