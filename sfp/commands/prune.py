"""`sfp prune`: the runbook's weekly clean-up: keep the newest backups and handoffs, remove the rest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from sfp.backup.model import BackupSettings, load_backup_settings
from sfp.backup.store import prune_backups
from sfp.commands.backup import check_keep, report_pruned_backups
from sfp.commands.options import add_project, project_dir
from sfp.handoff.store import prune_handoffs


def prune(claude_dir: Path, project: Path | None, *, keep_backups: int | None, keep_handoffs: int | None,
          dry_run: bool, out: IO[str], settings: BackupSettings | None = None) -> int:
    if keep_backups is None or keep_handoffs is None:
        settings = settings or load_backup_settings(claude_dir, project)
        keep_backups = settings.keep if keep_backups is None else keep_backups
        keep_handoffs = settings.keep_handoffs if keep_handoffs is None else keep_handoffs
    check_keep(keep_backups, "--keep-backups")
    check_keep(keep_handoffs, "--keep-handoffs")
    report_pruned_backups(prune_backups(claude_dir, keep_backups, dry_run=dry_run), dry_run, out)
    removed = prune_handoffs(claude_dir, keep_handoffs, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    out.writelines(f"{verb} {path}\n" for path in removed)
    if not removed:
        out.write("no handoffs to remove\n")
    if dry_run:
        out.write("dry run: nothing removed\n")
    return 0


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-backups", type=int, metavar="N", help="default: backup.keep in sfp.yaml (10)")
    parser.add_argument("--keep-handoffs", type=int, metavar="N", help="default: backup.keep_handoffs in sfp.yaml (20)")
    parser.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    add_project(parser, "project whose sfp.yaml applies (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return prune(claude_dir, project_dir(args.project), keep_backups=args.keep_backups,
                 keep_handoffs=args.keep_handoffs, dry_run=args.dry_run, out=out)
