"""`sfp install`: sfp's hooks in a Claude Code settings file, merged, backed up, atomic."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import IO, Any

from sfp.claude import settings as cc
from sfp.commands.options import add_json, add_project, project_dir
from sfp.errors import UsageError
from sfp.infra.runtime import interpreter, require_zipapp

SCHEMA = "sfp.install/1"


def target_file(scope: str, settings_file: str | None, claude_dir: Path, project: Path) -> Path:
    return Path(settings_file).expanduser().absolute() if settings_file else cc.settings_path(scope, claude_dir, project)


def install(claude_dir: Path, project: Path, *, scope: str, settings_file: str | None, dry_run: bool, out: IO[str],
            as_json: bool = False) -> int:
    from sfp.cleanup.created import remember_created

    pyz = require_zipapp()
    path = target_file(scope, settings_file, claude_dir, project)
    before = cc.read_settings(path)
    timeouts = hook_timeouts(claude_dir, project)
    shared = scope == "project" and not settings_file
    command = portable_command(project, pyz) if shared else cc.hook_command(interpreter(), str(pyz))
    after = cc.with_sfp_hooks(before, cc.hook_entries(command, timeouts))
    where = cc.command_parts(command)
    existed = path.exists()
    # A project's shared settings.json is meant to be committed: readable like the rest of the repo.
    backup = write_change(path, before, after, dry_run, mode=0o644 if shared else 0o600)
    kept = None
    if not dry_run:
        from sfp.infra.versions import keep_build

        if not existed and before != after:
            remember_created(claude_dir, path)  # so uninstall may delete it again rather than leave `{}`
        kept = keep_build(claude_dir, pyz)
    shown_pyz = where.pyz if where else str(pyz)
    if as_json:
        from sfp.infra.jsondoc import write_json

        write_json(out, install_json(path, scope, before, after, dry_run, backup, shown_pyz, kept))
        return 0
    report_change(path, before, after, dry_run, backup, f"sfp hooks for {len(cc.EVENTS)} events → {shown_pyz}", out)
    if kept is not None and kept.previous is not None:
        out.write(f"previous sfp {kept.previous.version} is kept as {kept.previous.copy}\n"
                  f"to go back: {interpreter()} {kept.previous.copy} install\n")
    return 0


def install_json(path: Path, scope: str, before: dict[str, Any], after: dict[str, Any], dry_run: bool,
                 backup: Path | None, pyz: str, kept: Any) -> dict[str, Any]:
    def build(value: Any) -> dict[str, str] | None:
        return None if value is None else {"version": value.version, "sha256": value.sha256, "path": value.copy}

    previous = kept.previous if kept is not None else None
    return {
        "schema": SCHEMA, "path": str(path), "scope": scope, "dry_run": dry_run, "changed": before != after,
        "events": list(cc.EVENTS), "pyz": pyz, "backup_path": str(backup) if backup else None,
        "diff": settings_diff(path, before, after) if dry_run and before != after else None,
        "kept_build": build(kept.current if kept is not None else None), "previous_build": build(previous),
        "rollback_command": f"{interpreter()} {previous.copy} install" if previous is not None else None,
    }


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


def write_change(path: Path, before: dict[str, object], after: dict[str, object], dry_run: bool,
                 mode: int = 0o600) -> Path | None:
    """Save `after` when it differs and this is no dry run; the backup of the old file, if one was made."""
    if before == after or dry_run:
        return None
    return cc.save_settings(path, after, new_file_mode=mode)


def report_change(path: Path, before: dict[str, object], after: dict[str, object], dry_run: bool,
                  backup: Path | None, what: str, out: IO[str]) -> None:
    if before == after:
        out.write(f"{path}: already up to date, nothing changed\n")
    elif dry_run:
        out.write(settings_diff(path, before, after))
        out.write("dry run: nothing written\n")
    else:
        out.write(f"{path}: {what}\n")
        if backup is not None:
            out.write(f"previous file kept as {backup}\n")


def settings_diff(path: Path, before: dict[str, object], after: dict[str, object], *, deleted: bool = False) -> str:
    try:
        indent = cc.indent_of(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        indent = 2
    old = cc.render_settings(before, indent).splitlines(keepends=True) if path.exists() else []
    new = [] if deleted else cc.render_settings(after, indent).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"{path} (now)", f"{path} (after)"))


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    add_json(parser, f"print what was done as JSON (schema {SCHEMA})")


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
                   dry_run=args.dry_run, out=out, as_json=args.json)
