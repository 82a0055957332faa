"""The options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sfp.errors import UsageError

if TYPE_CHECKING:
    import argparse

PROJECT_HELP = "the project (default: current folder)"


def add_project(parser: argparse.ArgumentParser, help: str = PROJECT_HELP) -> None:
    parser.add_argument("--project", metavar="DIR", help=help)


def add_json(parser: argparse.ArgumentParser, help: str = "print as JSON") -> None:
    parser.add_argument("--json", action="store_true", help=help)


def project_dir(option: str | None, label: str = "--project") -> Path:
    """The folder `--project` names, else the current one; a folder that isn't there is a usage error,
    never an empty result that looks like "nothing to do"."""
    if not option:
        return Path.cwd()
    path = Path(option).expanduser()
    if not path.is_dir():
        why = "it is a file" if path.exists() else "nothing is there"
        raise UsageError(f"{label} {option} is not a folder ({why})")
    return path
