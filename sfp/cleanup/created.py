"""The settings files sfp itself created (`<claude-dir>/sfp/created.json`): only such a file may be
deleted when removing sfp's hooks leaves it empty; any other file stays, whatever is left in it."""

from __future__ import annotations

import json
from pathlib import Path

from sfp.infra import paths

RECORD = "created.json"


def record_path(claude_dir: Path) -> Path:
    return paths.sfp_dir(claude_dir) / RECORD


def created_files(claude_dir: Path) -> list[str]:
    try:
        value = json.loads(record_path(claude_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = value.get("settings_files") if isinstance(value, dict) else None
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def created_by_sfp(claude_dir: Path, settings_file: Path) -> bool:
    return str(settings_file.absolute()) in created_files(claude_dir)


def remember_created(claude_dir: Path, settings_file: Path) -> None:
    _write(claude_dir, sorted({*created_files(claude_dir), str(settings_file.absolute())}))


def forget_created(claude_dir: Path, settings_file: Path) -> None:
    files = created_files(claude_dir)
    if str(settings_file.absolute()) in files:
        _write(claude_dir, [f for f in files if f != str(settings_file.absolute())])


def _write(claude_dir: Path, files: list[str]) -> None:
    from sfp.infra.storage import ensure_private_dir, write_atomic

    ensure_private_dir(paths.sfp_dir(claude_dir))
    write_atomic(record_path(claude_dir), json.dumps({"settings_files": files}, indent=2) + "\n")
