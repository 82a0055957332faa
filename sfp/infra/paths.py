"""Where sfp keeps things: the claude dir and the folders under it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def claude_dir(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--claude-dir`, else `$CLAUDE_CONFIG_DIR` (Claude Code honours it too), else `~/.claude`."""
    if explicit:
        return Path(explicit).expanduser()
    configured = environ.get("CLAUDE_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(environ.get("HOME") or Path.home()) / ".claude"


def logs_dir(root: Path) -> Path:
    return root / "logs"


def sfp_dir(root: Path) -> Path:
    """User-level sfp config and state: `<claude-dir>/sfp`."""
    return root / "sfp"


def state_dir(root: Path) -> Path:
    return root / "sfp" / "state"


def handoffs_dir(root: Path) -> Path:
    return root / "handoffs"


def backups_dir(root: Path) -> Path:
    return root / "backups"


def context_dir(root: Path) -> Path:
    return root / ".context"


def kpis_dir(root: Path) -> Path:
    return root / "kpis"


def project_config_dir(project: Path) -> Path:
    return project / ".sfp"
