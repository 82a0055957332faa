"""`sfp plugin DIR`: a Claude Code plugin folder holding sfp — manifest, hooks.json, and sfp.pyz itself."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import IO

from sfp import __version__
from sfp.claude import settings as cc
from sfp.commands.install import hook_timeouts
from sfp.errors import UsageError
from sfp.infra.runtime import interpreter, require_zipapp
from sfp.infra.storage import write_atomic

PLUGIN_NAME = "sfp"
DESCRIPTION = "Skills-Fabrik Patterns: session health, context tags, auto-format, quality gates, handoff and backup"


def plugin(claude_dir: Path, project: Path, target: str, *, force: bool, out: IO[str]) -> int:
    pyz = require_zipapp()
    folder = Path(target).expanduser().absolute()
    _check_target(folder, force)
    (folder / ".claude-plugin").mkdir(parents=True, exist_ok=True)
    (folder / "hooks").mkdir(exist_ok=True)
    write_atomic(folder / ".claude-plugin" / "plugin.json", _json(manifest()), mode=0o644)
    write_atomic(folder / "hooks" / "hooks.json", _json(hooks_file(hook_timeouts(claude_dir, project))), mode=0o644)
    copy = folder / "sfp.pyz"
    partial = folder / ".sfp.pyz.partial"
    shutil.copyfile(pyz, partial)
    partial.chmod(0o755)
    partial.replace(copy)
    out.write(f"wrote a Claude Code plugin to {folder}\n"
              f"  check it:  claude plugin validate {shlex.quote(str(folder))}\n"
              f"  try it:    claude --plugin-dir {shlex.quote(str(folder))}\n")
    return 0


def manifest() -> dict[str, object]:
    return {
        "name": PLUGIN_NAME,
        "version": __version__,
        "description": DESCRIPTION,
        "author": {"name": "sfp"},
    }


def hooks_file(timeouts: dict[str, float]) -> dict[str, object]:
    # The client expands ${CLAUDE_PLUGIN_ROOT}; double quotes keep a folder with spaces one word.
    command = f'{shlex.quote(interpreter())} "${{CLAUDE_PLUGIN_ROOT}}/sfp.pyz" hook'
    settings = cc.with_sfp_hooks({}, cc.hook_entries(command, timeouts))
    return {"description": DESCRIPTION, "hooks": settings["hooks"]}


def _check_target(folder: Path, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; give a folder for the plugin")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / ".claude-plugin").is_dir() and not force:
        raise UsageError(f"{folder} is not empty and holds no plugin; choose an empty folder or pass --force")


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
