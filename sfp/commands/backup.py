"""`sfp backup create|list|show|verify|prune`: the runbook's backup checks (`ls -lt`, `du -sh`, metadata.json)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from sfp.backup.create import create_backup
from sfp.backup.model import BackupInfo, BackupSettings, VerifyResult, load_backup_settings
from sfp.backup.restore import verify_all, verify_backup
from sfp.backup.store import disk_usage, load_backup, prune_backups, scan_backups
from sfp.commands.options import add_actions, add_json, add_project, project_dir
from sfp.errors import UsageError
from sfp.infra.jsondoc import utc_moment, write_json
from sfp.infra.terminal import terminal_for

SCHEMA = "sfp.backup/1"
LIST_SCHEMA = "sfp.backup-list/1"
VERIFY_SCHEMA = "sfp.backup-verify/1"
PRUNE_SCHEMA = "sfp.backup-prune/1"


def backup_create(claude_dir: Path, project: Path | None, *, reason: str = "manual", as_json: bool = False,
                  out: IO[str], settings: BackupSettings | None = None) -> int:
    info = create_backup(claude_dir, project, settings or load_backup_settings(claude_dir, project), reason=reason)
    if as_json:
        write_json(out, backup_json(info))
        return 0
    for warning in info.warnings:
        out.write(f"warning: {warning}\n")
    out.write(f"Backed up {plural(len(info.files), 'file')} ({human_size(info.total_size)}) to {info.folder}\n")
    out.write(f"restore with: {info.restore_command}\n")
    return 0


def backup_list(claude_dir: Path, *, as_json: bool, out: IO[str]) -> int:
    backups, damaged = scan_backups(claude_dir)
    newest_first = list(reversed(backups))
    if as_json:
        write_json(out, {"schema": LIST_SCHEMA, "backups": [summary_json(info) for info in newest_first],
                         "damaged": [{"id": name, "message": why} for name, why in damaged]})
        return 0
    if not backups:
        out.write(f"no backups in {claude_dir / 'backups'} yet (`sfp backup create` makes one)\n")
    else:
        width = max(len("REASON"), *(len(info.reason) for info in newest_first))  # the column fits the longest reason
        out.write(f"{'ID':<19} {'TIME':<19}  {'REASON':<{width}} {'FILES':>5} {'SIZE':>9}\n")
        for info in newest_first:
            out.write(f"{info.backup_id:<19} {local_time(info.timestamp):<19}  {info.reason:<{width}} {len(info.files):>5} "
                      f"{human_size(disk_usage(info.folder)):>9}\n")
    if damaged:
        out.write(f"{plural(len(damaged), 'damaged backup folder')} not listed: {', '.join(n for n, _ in damaged)} "
                  "(`sfp backup verify` says what is wrong)\n")
    return 0


def backup_show(claude_dir: Path, backup_id: str, *, as_json: bool, out: IO[str]) -> int:
    info = load_backup(claude_dir, backup_id)
    if as_json:
        write_json(out, backup_json(info))
        return 0
    out.write(f"backup   {info.backup_id}  ({info.folder})\n")
    out.write(f"time     {local_time(info.timestamp)}\nreason   {info.reason}\n")
    out.write(f"files    {len(info.files)}, {human_size(info.total_size)}{', encrypted' if info.encrypted else ''}\n")
    out.write(f"restore  {info.restore_command}\n")
    for entry in info.files:
        out.write(f"  {entry.mode:04o} {human_size(entry.size):>9}  {entry.sha256[:12]}  {entry.path}\n")
    return 0


def backup_verify(claude_dir: Path, project: Path | None, backup_id: str | None, *, out: IO[str],
                  as_json: bool = False, settings: BackupSettings | None = None) -> int:
    """Re-hash every stored file (decrypting when needed); exit 1 when any backup has a problem."""
    settings = settings or load_backup_settings(claude_dir, project)
    if backup_id is None:
        results = verify_all(claude_dir, settings, project=project)
    else:
        results = [verify_backup(claude_dir, load_backup(claude_dir, backup_id), settings, project=project)]
    failed = any(result.problems for result in results)
    if as_json:
        write_json(out, {"schema": VERIFY_SCHEMA, "ok": not failed, "backups": [verify_json(r) for r in results]})
        return 1 if failed else 0
    if not results:
        out.write(f"no backups in {claude_dir / 'backups'} to verify\n")
    term = terminal_for(out)
    for result in results:
        if result.problems:
            out.write(f"{term.mark('fail')} {result.backup_id}: {plural(len(result.problems), 'problem')}\n")
            out.writelines(f"     {problem}\n" for problem in result.problems)
        else:
            out.write(f"{term.mark('ok')} {result.backup_id}: {plural(result.files, 'file')} intact\n")
        out.writelines(f"     note: {note}\n" for note in result.notes)
    return 1 if failed else 0


def verify_json(result: VerifyResult) -> dict[str, Any]:
    return {"id": result.backup_id, "ok": not result.problems, "file_count": result.files,
            "problems": list(result.problems), "notes": list(result.notes)}


def backup_prune(claude_dir: Path, project: Path | None, *, keep: int | None, dry_run: bool, out: IO[str],
                 as_json: bool = False, settings: BackupSettings | None = None) -> int:
    """Keep the newest `keep` backups (default: backup.keep)."""
    if keep is None:
        keep = (settings or load_backup_settings(claude_dir, project)).keep
    removed = prune_backups(claude_dir, check_keep(keep, "--keep"), dry_run=dry_run)
    if as_json:
        write_json(out, {"schema": PRUNE_SCHEMA, "dry_run": dry_run, "keep": keep,
                         "removed": [summary_json(info, measure=False) for info in removed]})
    else:
        report_pruned_backups(removed, dry_run, out)
    return 0


def report_pruned_backups(removed: list[BackupInfo], dry_run: bool, out: IO[str]) -> None:
    verb = "would remove" if dry_run else "removed"
    for info in removed:
        out.write(f"{verb} backup {info.backup_id} ({info.reason}, {local_time(info.timestamp)})\n")
    if not removed:
        out.write("no backups to remove\n")


def check_keep(value: int, option: str) -> int:
    if value < 1:
        raise UsageError(f"{option} must be at least 1: the newest one is always kept")
    return value


def summary_json(info: BackupInfo, *, measure: bool = True) -> dict[str, Any]:
    """One backup in `sfp.backup-list/1` and `sfp.backup-prune/1` (a removed one has no size on disk left)."""
    return {
        "id": info.backup_id, "created_at": utc_moment(info.timestamp), "reason": info.reason,
        "file_count": len(info.files), "size_bytes": info.total_size,
        "disk_bytes": disk_usage(info.folder) if measure else None, "encrypted": info.encrypted,
        "path": str(info.folder), "restore_command": info.restore_command,
    }


def backup_json(info: BackupInfo) -> dict[str, Any]:
    """`sfp.backup/1`: one backup, every file in it, and what a new one had to leave out."""
    files = [{"path": entry.path, "size_bytes": entry.size, "sha256": entry.sha256, "mode": f"{entry.mode:04o}"}
             for entry in info.files]
    return {"schema": SCHEMA, **summary_json(info), "files": files, "warnings": list(info.warnings)}


def local_time(timestamp: str) -> str:
    """`2026-02-10T11:59:52+01:00` as `2026-02-10 11:59:52` (the id's clock: local time when written)."""
    return timestamp[:19].replace("T", " ")


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    amount = size / 1024
    for unit in ("KB", "MB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = add_actions(parser, "backup_command")
    create = actions.add_parser("create", help="back up the context files, CLAUDE.md files and newest handoff now")
    create.add_argument("--reason", default="manual", help="why, recorded in metadata.json (default: manual)")
    add_json(create, f"print what was stored as JSON (schema {SCHEMA})")
    listing = actions.add_parser("list", help="the backups, newest first: id, time, reason, files, size")
    add_json(listing, f"print as JSON (schema {LIST_SCHEMA})")
    show = actions.add_parser("show", help="one backup: its metadata and every file in it")
    show.add_argument("id", help="a backup id (`sfp backup list`)")
    add_json(show, f"print it as JSON (schema {SCHEMA})")
    verify = actions.add_parser("verify", help="re-hash every stored file; exit 1 on any problem")
    verify.add_argument("id", nargs="?", help="one backup (default: all of them)")
    add_json(verify, f"print the result as JSON (schema {VERIFY_SCHEMA})")
    prune = actions.add_parser("prune", help="remove all but the newest backups")
    prune.add_argument("--keep", type=int, metavar="N", help="how many to keep (default: backup.keep in sfp.yaml, 10)")
    prune.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    add_json(prune, f"print what was (or would be) removed as JSON (schema {PRUNE_SCHEMA})")
    for sub in (create, verify, prune):
        add_project(sub)


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    action = args.backup_command
    if action == "list":
        return backup_list(claude_dir, as_json=args.json, out=out)
    if action == "show":
        return backup_show(claude_dir, args.id, as_json=args.json, out=out)
    project = project_dir(args.project)
    if action == "create":
        return backup_create(claude_dir, project, reason=args.reason, as_json=args.json, out=out)
    if action == "verify":
        return backup_verify(claude_dir, project, args.id, as_json=args.json, out=out)
    return backup_prune(claude_dir, project, keep=args.keep, dry_run=args.dry_run, as_json=args.json, out=out)
