"""`sfp prune`: the runbook's weekly clean-up: keep the newest backups and handoffs, remove the rest,
and sfp's own leftovers (old settings backups, old kept builds, shiv extractions no hook runs)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sfp.backup.model import BackupSettings, load_backup_settings
from sfp.backup.store import prune_backups
from sfp.cleanup.footprint import KINDS, Item
from sfp.cleanup.settings import PruneSettings, load_prune_settings
from sfp.commands.backup import check_keep, report_pruned_backups, summary_json
from sfp.commands.options import add_json, add_project, project_dir
from sfp.handoff.store import prune_handoffs

SCHEMA = "sfp.prune/1"


def prune(claude_dir: Path, project: Path | None, *, keep_backups: int | None, keep_handoffs: int | None,
          dry_run: bool, out: IO[str], environ: Mapping[str, str], settings: BackupSettings | None = None,
          keep_settings_backups: int | None = None, keep_builds: int | None = None,
          prune_settings: PruneSettings | None = None, as_json: bool = False) -> int:
    from sfp.cleanup.prune import leftovers
    from sfp.cleanup.remove import remove_items

    if keep_backups is None or keep_handoffs is None:
        settings = settings or load_backup_settings(claude_dir, project)
        keep_backups = settings.keep if keep_backups is None else keep_backups
        keep_handoffs = settings.keep_handoffs if keep_handoffs is None else keep_handoffs
    if keep_settings_backups is None or keep_builds is None:
        prune_settings = prune_settings or load_prune_settings(claude_dir, project)
        keep_settings_backups = prune_settings.keep_settings_backups if keep_settings_backups is None \
            else keep_settings_backups
        keep_builds = prune_settings.keep_builds if keep_builds is None else keep_builds
    for value, option in ((keep_backups, "--keep-backups"), (keep_handoffs, "--keep-handoffs"),
                          (keep_settings_backups, "--keep-settings-backups"), (keep_builds, "--keep-builds")):
        check_keep(value, option)
    backups = prune_backups(claude_dir, keep_backups, dry_run=dry_run)
    handoffs = prune_handoffs(claude_dir, keep_handoffs, dry_run=dry_run)
    found = leftovers(claude_dir, project, keep_settings_backups=keep_settings_backups, keep_builds=keep_builds,
                      environ=environ)
    doomed = found.items
    failed = [] if dry_run else remove_items(doomed).failed
    code = 1 if failed or found.unreadable else 0
    if as_json:
        from sfp.infra.jsondoc import write_json

        write_json(out, prune_json(dry_run, backups, handoffs, doomed, failed, found.blind, found.unreadable))
        return code
    report_pruned_backups(backups, dry_run, out)
    verb = "would remove" if dry_run else "removed"
    out.writelines(f"{verb} {path}\n" for path in handoffs)
    if not handoffs:
        out.write("no handoffs to remove\n")
    gone = [item for item in doomed if item not in {i for i, _ in failed}]
    out.writelines(f"{verb} {KINDS[item.kind].removesuffix('s')} {item.path}\n" for item in gone)
    out.writelines(f"could not remove {item.path}: {why}\n" for item, why in failed)
    if not doomed:
        out.write("no settings backups, kept builds or shiv extractions to remove\n")
    out.writelines(f"kept every build and shiv extraction: {why} (a hook in it may run any of them)\n"
                   for _, why in found.blind)
    out.writelines(f"cannot list {path}: {why}\n" for path, why in found.unreadable)
    if dry_run:
        out.write("dry run: nothing removed\n")
    return code


def prune_json(dry_run: bool, backups: list[Any], handoffs: list[Path], doomed: list[Item],
               failed: list[tuple[Item, str]], blind: Sequence[tuple[str, str]] = (),
               unreadable: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    why = {item.path: reason for item, reason in failed}
    return {
        "schema": SCHEMA, "dry_run": dry_run,
        "backups": [summary_json(info, measure=False) for info in backups],
        "handoffs": [{"path": str(path)} for path in handoffs],
        "leftovers": [{"path": item.path, "kind": item.kind, "size_bytes": item.size, "is_folder": item.is_folder,
                       "removed": not dry_run and item.path not in why, "message": why.get(item.path)}
                      for item in doomed],
        "unreadable_settings": [{"path": path, "message": reason} for path, reason in blind],
        "unlisted_folders": [{"path": path, "message": reason} for path, reason in unreadable],
    }


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-backups", type=int, metavar="N", help="default: backup.keep in sfp.yaml (10)")
    parser.add_argument("--keep-handoffs", type=int, metavar="N", help="default: backup.keep_handoffs in sfp.yaml (20)")
    parser.add_argument("--keep-settings-backups", type=int, metavar="N",
                        help="settings.json.sfp-backup-* to keep per settings file "
                             "(default: prune.keep_settings_backups in sfp.yaml, 5)")
    parser.add_argument("--keep-builds", type=int, metavar="N",
                        help="how many builds in <claude-dir>/sfp/versions/ to keep, besides those a hook runs "
                             "(default: prune.keep_builds in sfp.yaml, 3)")
    parser.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    add_json(parser, f"print what was (or would be) removed as JSON (schema {SCHEMA})")
    add_project(parser, "project whose sfp.yaml applies (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return prune(claude_dir, project_dir(args.project), keep_backups=args.keep_backups,
                 keep_handoffs=args.keep_handoffs, keep_settings_backups=args.keep_settings_backups,
                 keep_builds=args.keep_builds, dry_run=args.dry_run, out=out, environ=os.environ, as_json=args.json)
