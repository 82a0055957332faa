"""Fake formatters and config for the auto-fix tests (import as `autofix.fakes`); the fixtures are in conftest.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from helpers import DATA

FAKE = DATA / "autofix" / "fake_formatter.py"
COMPAT = DATA / "compat" / "auto_fix.yaml"


def shim(folder: Path, name: str, mode: str) -> Path:
    """An executable `name` in `folder` that runs the fake formatter in `mode`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" {mode} "$@"\n')
    path.chmod(0o755)
    return path


def fake_npx(folder: Path, called: Path) -> None:
    """An `npx` that runs ./node_modules/.bin/<program> from its cwd, noting that it was called."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "npx"
    path.write_text(f'#!/bin/sh\necho "$@" >> "{called}"\nprogram=$1; shift\nexec "./node_modules/.bin/$program" "$@"\n')
    path.chmod(0o755)


def user_config(claude_dir: Path, text: str) -> None:
    folder = claude_dir / "sfp"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auto_fix.yaml").write_text(text)


def put(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path



def calls(env: dict[str, str]) -> list[dict[str, object]]:
    log = Path(env["FAKE_FORMATTER_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def python_formatter(claude_dir: Path, command: str, extra: str = "") -> None:
    user_config(claude_dir, f"timeout: 5\nformatters:\n  python:\n    command: '{command}'\n{extra}")


def log_records(claude_dir: Path) -> list[dict[str, object]]:
    path = claude_dir / "logs" / "sfp.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

