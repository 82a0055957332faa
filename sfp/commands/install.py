"""`sfp install` / `sfp uninstall`: sfp's hooks in a Claude Code settings file, merged, backed up, atomic."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import IO

from sfp.claude import settings as cc
from sfp.config.layers import load_config
from sfp.infra.runtime import interpreter, require_zipapp


def target_file(scope: str, settings_file: str | None, claude_dir: Path, project: Path) -> Path:
    return Path(settings_file).expanduser().absolute() if settings_file else cc.settings_path(scope, claude_dir, project)


def install(claude_dir: Path, project: Path, *, scope: str, settings_file: str | None, dry_run: bool, out: IO[str]) -> int:
    pyz = require_zipapp()
    path = target_file(scope, settings_file, claude_dir, project)
    before = cc.read_settings(path)
    timeouts = hook_timeouts(claude_dir, project)
    after = cc.with_sfp_hooks(before, cc.hook_entries(cc.hook_command(interpreter(), str(pyz)), timeouts))
    # A project's shared settings.json is meant to be committed: readable like the rest of the repo.
    mode = 0o644 if scope == "project" and not settings_file else 0o600
    code = _apply(path, before, after, dry_run, out, f"sfp hooks for {len(cc.EVENTS)} events → {pyz}", mode)
    if not dry_run:
        from sfp.infra.versions import keep_build

        kept = keep_build(claude_dir, pyz)
        if kept.previous is not None:
            out.write(f"previous sfp {kept.previous.version} is kept as {kept.previous.copy}\n"
                      f"to go back: {interpreter()} {kept.previous.copy} install\n")
    return code


def uninstall(claude_dir: Path, project: Path, *, scope: str, settings_file: str | None, dry_run: bool, out: IO[str]) -> int:
    path = target_file(scope, settings_file, claude_dir, project)
    before = cc.read_settings(path)
    after = cc.without_sfp_hooks(before)
    return _apply(path, before, after, dry_run, out, "sfp hooks removed")


def hook_timeouts(claude_dir: Path, project: Path) -> dict[str, float]:
    policies = load_config("fallback", claude_dir, project).get("policies", default={})
    return {event: float(p["timeout"]) for event, p in policies.items()
            if isinstance(p, dict) and isinstance(p.get("timeout"), (int, float))}


def _apply(path: Path, before: dict[str, object], after: dict[str, object], dry_run: bool, out: IO[str], what: str,
           mode: int = 0o600) -> int:
    if before == after:
        out.write(f"{path}: already up to date, nothing changed\n")
        return 0
    if dry_run:
        old = cc.render_settings(before).splitlines(keepends=True) if path.exists() else []
        new = cc.render_settings(after).splitlines(keepends=True)
        out.writelines(difflib.unified_diff(old, new, f"{path} (now)", f"{path} (after)"))
        out.write("dry run: nothing written\n")
        return 0
    backup = cc.save_settings(path, after, new_file_mode=mode)
    out.write(f"{path}: {what}\n")
    if backup is not None:
        out.write(f"previous file kept as {backup}\n")
    return 0
