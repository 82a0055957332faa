"""`sfp restore ID|--latest`: show what would change, ask, save the current files, then put the backup back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, Any

from sfp.backup.model import (
    BackupInfo,
    BackupSettings,
    RestorePlan,
    RestoreResult,
    load_backup_settings,
)
from sfp.backup.restore import apply_restore, plan_restore
from sfp.backup.store import latest_backup, load_backup
from sfp.commands.backup import local_time, plural
from sfp.commands.options import add_json, add_project, confirmed, project_dir
from sfp.errors import UsageError
from sfp.infra.jsondoc import utc_moment, write_json

SCHEMA = "sfp.restore/1"


def restore(claude_dir: Path, project: Path | None, backup_id: str | None, *, latest: bool, dry_run: bool, yes: bool,
            out: IO[str], stdin: IO[str], settings: BackupSettings | None = None, as_json: bool = False) -> int:
    if (backup_id is None) == (not latest):
        raise UsageError("name one backup: an ID (`sfp backup list` shows them) or --latest")
    if as_json and not (yes or dry_run):
        raise UsageError("--json prints no question to answer: add --dry-run to see the plan, or --yes to restore")
    settings = settings or load_backup_settings(claude_dir, project)
    backup = latest_backup(claude_dir) if backup_id is None else load_backup(claude_dir, backup_id)
    plan = plan_restore(claude_dir, backup, settings, project=project)
    if as_json:
        done = apply_restore(claude_dir, plan, settings) if plan.pending and not dry_run else None
        write_json(out, restore_json(plan, done, dry_run=dry_run))
        return 0
    out.write(f"Backup {backup.backup_id} ({backup.reason}, {local_time(backup.timestamp)}), "
              f"{plural(len(plan.changes), 'file')}:\n")
    out.writelines(f"  {change.status:<9}  {change.target}\n" for change in plan.changes)
    if not plan.pending:
        out.write("nothing to restore: every file already matches the backup\n")
        return 0
    if dry_run:
        out.write(f"dry run: would write {plural(len(plan.pending), 'file')}; nothing written\n")
        return 0
    refusal = ("not restoring without a confirmation, and stdin is not a terminal to ask on: "
               "look at the list above, then run again with --yes (or --dry-run to only look)")
    if not yes and not confirmed(f"Restore {plural(len(plan.pending), 'file')}?", refusal, out, stdin):
        out.write("not restored: nothing written\n")
        return 1
    result = apply_restore(claude_dir, plan, settings)
    if result.pre_restore is not None:
        out.write(f"saved the files as they were to backup {result.pre_restore.backup_id} "
                  f"(undo: {result.pre_restore.restore_command})\n")
    out.write(f"restored {plural(len(result.written), 'file')} from backup {backup.backup_id}\n")
    return 0


def restore_json(plan: RestorePlan, done: RestoreResult | None, *, dry_run: bool) -> dict[str, Any]:
    """`sfp.restore/1`: the plan, file by file, and — unless it was a dry run — what was written."""
    saved = done.pre_restore if done is not None else None
    return {
        "schema": SCHEMA, "dry_run": dry_run, "backup": _backup_ref(plan.backup),
        "changes": [{"path": str(change.target), "status": change.status} for change in plan.changes],
        "pending_count": len(plan.pending),
        "written": [str(path) for path in done.written] if done is not None else [],
        "pre_restore_backup": _backup_ref(saved) if saved is not None else None,
    }


def _backup_ref(info: BackupInfo) -> dict[str, Any]:
    return {"id": info.backup_id, "created_at": utc_moment(info.timestamp), "reason": info.reason,
            "restore_command": info.restore_command}


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", nargs="?", help="a backup id (`sfp backup list`)")
    parser.add_argument("--latest", action="store_true", help="the newest backup")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    parser.add_argument("-y", "--yes", action="store_true", help="don't ask (needed when stdin is not a terminal)")
    add_project(parser, "project whose sfp.yaml applies (default: current folder)")
    add_json(parser, f"print the plan (with --dry-run) or what changed as JSON (schema {SCHEMA}); needs --dry-run or --yes")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return restore(claude_dir, project_dir(args.project), args.id, latest=args.latest, dry_run=args.dry_run,
                   yes=args.yes, out=out, stdin=sys.stdin, as_json=args.json)
