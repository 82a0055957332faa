"""`sfp install`: sfp's hooks in a Claude Code settings file, merged, backed up, atomic."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import IO

from sfp.claude import settings as cc
from sfp.commands.options import add_project, project_dir
from sfp.errors import UsageError
from sfp.infra.runtime import interpreter, require_zipapp


def target_file(scope: str, settings_file: str | None, claude_dir: Path, project: Path) -> Path:
    return Path(settings_file).expanduser().absolute() if settings_file else cc.settings_path(scope, claude_dir, project)


def install(claude_dir: Path, project: Path, *, scope: str, settings_file: str | None, dry_run: bool, out: IO[str]) -> int:
    pyz = require_zipapp()
    path = target_file(scope, settings_file, claude_dir, project)
    before = cc.read_settings(path)
    timeouts = hook_timeouts(claude_dir, project)
    shared = scope == "project" and not settings_file
    command = portable_command(project, pyz) if shared else cc.hook_command(interpreter(), str(pyz))
    after = cc.with_sfp_hooks(before, cc.hook_entries(command, timeouts))
    # A project's shared settings.json is meant to be committed: readable like the rest of the repo.
    mode = 0o644 if shared else 0o600
    where = cc.command_parts(command)
    code = apply_change(path, before, after, dry_run, out,
                  f"sfp hooks for {len(cc.EVENTS)} events → {where.pyz if where else pyz}", mode)
    if not dry_run:
        from sfp.infra.versions import keep_build

        kept = keep_build(claude_dir, pyz)
        if kept.previous is not None:
            out.write(f"previous sfp {kept.previous.version} is kept as {kept.previous.copy}\n"
                      f"to go back: {interpreter()} {kept.previous.copy} install\n")
    return code


def hook_timeouts(claude_dir: Path, project: Path) -> dict[str, float]:
    """fallback.yaml's `timeout` per event: the one source of what install and plugin write."""
    from sfp.health.installed import expected_timeouts

    return {event: float(seconds) for event, seconds in expected_timeouts(claude_dir, project).items()}


def portable_command(project: Path, pyz: Path) -> str:
    """A hook command for a settings.json a team commits: no path of this machine in it.

    sfp.pyz inside the project: `python3 … "$CLAUDE_PROJECT_DIR"/<its path> hook`; else the
    sfp.pyz on PATH, found there by name on each machine. Otherwise refuse, saying what works.
    """
    import shlex
    import shutil

    root = project.resolve()
    if pyz.is_relative_to(root):
        relative = pyz.relative_to(root).as_posix()
        return cc.hook_command("python3", f'"$CLAUDE_PROJECT_DIR"/{shlex.quote(relative)}', pyz_is_shell=True)
    on_path = shutil.which(pyz.name)
    if on_path is not None and Path(on_path).resolve() == pyz:
        return cc.hook_command("python3", pyz.name)
    raise UsageError(
        f"--scope project writes .claude/settings.json for your team, but {pyz} is neither inside the project "
        f"({root}) nor the {pyz.name} on your PATH, so the command would only work on this machine. "
        f"Either copy it into the project (`cp {shlex.quote(str(pyz))} {shlex.quote(str(root))}/tools/sfp.pyz`, commit it, "
        "and run `python3 tools/sfp.pyz install --scope project`), or put it on PATH as sfp.pyz on every machine, "
        "or use `--scope local` (.claude/settings.local.json, not committed)")


def apply_change(path: Path, before: dict[str, object], after: dict[str, object], dry_run: bool, out: IO[str],
                 what: str, mode: int = 0o600) -> int:
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


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Which settings file: shared by install and uninstall."""
    parser.add_argument("--scope", choices=("user", "project", "local"), default="user",
                        help="user: <claude-dir>/settings.json (default); project: .claude/settings.json; "
                             "local: .claude/settings.local.json")
    parser.add_argument("--settings", metavar="FILE", help="this settings file instead of the scope's")
    add_project(parser, "the project for --scope project|local (default: current folder)")
    parser.add_argument("--dry-run", action="store_true", help="print the change as a diff, write nothing")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return install(claude_dir, project_dir(args.project), scope=args.scope, settings_file=args.settings,
                   dry_run=args.dry_run, out=out)
