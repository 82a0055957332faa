"""`sfp uninstall`: remove exactly sfp's hooks from a settings file and say what sfp left behind;
`--purge`: sfp's hooks from every scope and every file and folder sfp made, asking first."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sfp.cleanup.footprint import Item, by_kind
from sfp.cleanup.purge import (
    Plan,
    apply_purge,
    hooked_files,
    plan_purge,
    settings_files,
    where_for,
)
from sfp.cleanup.unhook import Unhook, apply_unhook, plan_unhook
from sfp.commands.backup import human_size, plural
from sfp.commands.install import (
    add_target_arguments,
    report_change,
    settings_diff,
    target_file,
)
from sfp.commands.options import add_json, confirmed, project_dir
from sfp.errors import UsageError

SCHEMA = "sfp.uninstall/1"
PURGE = "sfp uninstall --purge"


def uninstall(claude_dir: Path, project: Path, *, scope: str, settings_file: str | None, dry_run: bool,
              out: IO[str], as_json: bool = False) -> int:
    from sfp.cleanup.footprint import footprint

    path = target_file(scope, settings_file, claude_dir, project)
    plan = plan_unhook(claude_dir, path)
    backup = None if dry_run else apply_unhook(claude_dir, plan)
    extra = [path] if settings_file else []
    left = footprint(where_for(claude_dir, project, extra))
    others, _ = hooked_files(claude_dir, [p for p in settings_files(claude_dir, project, extra) if p != path])
    if as_json:
        document = uninstall_json(False, dry_run, [(plan, backup)], removed=[], left=left.items + left.foreign)
        write(out, {**document, "hooks_remaining": [{"path": str(u.path), "message": None} for u in others],
                    "unlisted_folders": unlisted_json(left.unreadable)})
        return 0
    report_unhook(plan, backup, dry_run, out)
    out.writelines(f"sfp hooks are still in {u.path} (`sfp uninstall --settings {u.path}`)\n" for u in others)
    out.writelines(unlisted_lines(left.unreadable))
    if left.items:
        out.write(f"sfp left these behind ({human_size(left.total())}):\n")
        out.writelines(summary_lines(left.items))
        out.write(f"to remove them too, and sfp's hooks in every scope: {PURGE} (--dry-run lists them first)\n")
    else:
        out.write("sfp left nothing else behind\n")
    return 0


def report_unhook(plan: Unhook, backup: Path | None, dry_run: bool, out: IO[str]) -> None:
    if plan.delete_file and plan.changed:
        verb = "would remove it" if dry_run else "removed it"
        out.write(f"{plan.path}: held only sfp's hooks, in a file sfp created: {verb}\n")
        if dry_run:
            out.write(settings_diff(plan.path, plan.before, plan.after, deleted=True) + "dry run: nothing written\n")
        return
    report_change(plan.path, plan.before, plan.after, dry_run, backup, "sfp hooks removed", out)


def summary_lines(items: Sequence[Item]) -> list[str]:
    return [f"  {s.label:<18} {plural(s.number, 'item'):>10} {human_size(s.size):>9}  {', '.join(s.folders)}\n"
            for s in by_kind(items)]


def purge(claude_dir: Path, project: Path, *, settings_file: str | None, dry_run: bool, yes: bool, out: IO[str],
          stdin: IO[str], as_json: bool = False) -> int:
    extra = [target_file("user", settings_file, claude_dir, project)] if settings_file else []
    plan = plan_purge(claude_dir, project, extra)
    items = plan.items()
    blind = 1 if plan.found.unreadable else 0  # a folder sfp can't list may hold what it made
    if not plan.unhooks and not items:
        if as_json:
            write(out, {**uninstall_json(True, dry_run, [], removed=[], left=plan.found.foreign + plan.running),
                        "unlisted_folders": unlisted_json(plan.found.unreadable), "hooks_remaining": []})
        else:
            out.write("sfp has no hooks and no files here: nothing to remove\n" if not blind else
                      "sfp has no hooks and no files it could list here: nothing removed\n")
            out.writelines(left_alone_lines(plan))
        return blind
    if dry_run:
        if as_json:
            write(out, {**uninstall_json(True, True, [(u, None) for u in plan.unhooks], removed=items,
                                         left=plan.found.foreign + plan.running),
                        "unlisted_folders": unlisted_json(plan.found.unreadable), "hooks_remaining": []})
        else:
            show_plan(plan, out)
            out.write("dry run: nothing removed\n")
        return blind
    if as_json and not yes:
        raise UsageError("--purge --json removes without asking only with --yes (--dry-run --json lists what would go)")
    if not as_json:
        show_plan(plan, out)
    if not yes and not confirmed(purge_question(plan), PURGE_REFUSAL, out, stdin):
        out.write("nothing removed\n")
        return 1
    done = apply_purge(claude_dir, plan)
    failed = {item.path: why for item, why in done.removal.failed}
    code = 1 if failed or done.not_unhooked or blind else 0
    if as_json:
        left = [*plan.found.foreign, *plan.running, *(item for item, _ in done.removal.failed)]
        document = uninstall_json(True, False, done.unhooked, removed=done.removal.removed, left=left, why=failed)
        write(out, {**document, "unlisted_folders": unlisted_json(plan.found.unreadable),
                    "hooks_remaining": [{"path": str(u.path), "message": why} for u, why in done.not_unhooked]})
        return code
    out.writelines(f"removed sfp's hooks from {u.path}\n" for u, _ in done.unhooked)
    out.writelines(f"could not remove sfp's hooks from {u.path}: {why}\n" for u, why in done.not_unhooked)
    if done.not_unhooked:
        out.write("removed no file or folder of sfp's: its hooks still run them; fix the above and run "
                  f"`{PURGE}` again\n")
        return code
    removed = done.removal.removed
    out.write(f"removed {plural(len(removed), 'item')} ({human_size(sum(i.size for i in removed))})\n")
    out.writelines(f"could not remove {path}: {why}\n" for path, why in failed.items())
    out.writelines(running_lines(plan) + [after_purge_note()])
    return code


def show_plan(plan: Plan, out: IO[str]) -> None:
    out.write(f"{PURGE} removes:\n")
    out.writelines(f"  sfp's hooks from {u.path}{' (then the file: sfp created it)' if u.delete_file else ''}\n"
                   for u in plan.unhooks)
    out.writelines(summary_lines(plan.items()))
    out.writelines(left_alone_lines(plan))


def unlisted_lines(unreadable: Sequence[tuple[str, str]]) -> list[str]:
    return [f"cannot list {path}: {why}\n" for path, why in unreadable]


def unlisted_json(unreadable: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"path": path, "message": why} for path, why in unreadable]


def left_alone_lines(plan: Plan) -> list[str]:
    return [*unlisted_lines(plan.found.unreadable), *(f"left alone, not made by sfp: {item.path}\n" for item in plan.found.foreign),
            *(f"left alone, not valid JSON: {why}\n" for _, why in plan.unreadable), *running_lines(plan)]


def running_lines(plan: Plan) -> list[str]:
    import shlex

    if not plan.running:
        return []
    doomed = " ".join(shlex.quote(item.path) for item in plan.running)
    return [f"left alone, the shiv extraction this sfp runs from; once it exits: rm -rf {doomed}\n"]


def after_purge_note() -> str:
    from sfp.infra.runtime import running_zipapp

    pyz = running_zipapp()
    where = f" ({pyz})" if pyz else ""
    return (f"sfp.pyz itself{where} stays where you put it; your context files, CLAUDE.md and other settings were "
            "not touched. A plugin folder or marketplace install goes with `rm -r DIR` or `claude plugin uninstall`.\n")


def purge_question(plan: Plan) -> str:
    items = plan.items()
    return (f"Remove sfp's hooks from {plural(len(plan.unhooks), 'file')} and "
            f"{plural(len(items), 'file or folder')} ({human_size(sum(i.size for i in items))})?")


PURGE_REFUSAL = ("not purging without a confirmation, and stdin is not a terminal to ask on: look at the "
                 "list above (or `sfp uninstall --purge --dry-run`), then run again with --yes")


def uninstall_json(purging: bool, dry_run: bool, unhooked: Sequence[tuple[Unhook, Path | None]], *,
                   removed: Sequence[Item], left: Sequence[Item], why: dict[str, str] | None = None) -> dict[str, Any]:
    why = why or {}
    return {
        "schema": SCHEMA, "purge": purging, "dry_run": dry_run,
        "settings": [{"path": str(u.path), "changed": u.changed, "file_removed": u.delete_file and u.changed,
                      "backup_path": str(b) if b else None} for u, b in unhooked],
        "removed": [item_json(item) for item in removed],
        "removed_bytes": sum(item.size for item in removed),
        "left_behind": [item_json(item, why.get(item.path)) for item in left],
        "left_behind_bytes": sum(item.size for item in left),
        "purge_command": None if purging else PURGE,
    }


def item_json(item: Item, message: str | None = None) -> dict[str, Any]:
    return {"path": item.path, "kind": item.kind, "size_bytes": item.size, "is_folder": item.is_folder,
            "message": message}


def write(out: IO[str], document: dict[str, Any]) -> None:
    from sfp.infra.jsondoc import write_json

    write_json(out, document)


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--purge", action="store_true",
                        help="also remove sfp's hooks from every scope and every file and folder sfp made "
                             "(kept builds, logs, KPIs, handoffs, backups, trust records, session state, settings backups, shiv "
                             "extractions); with --json, needs --yes or --dry-run")
    parser.add_argument("-y", "--yes", action="store_true", help="with --purge: don't ask (needed without a terminal)")
    add_json(parser, f"print what was done as JSON (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    project = project_dir(args.project)
    if args.purge:
        return purge(claude_dir, project, settings_file=args.settings, dry_run=args.dry_run, yes=args.yes, out=out,
                     stdin=sys.stdin, as_json=args.json)
    if args.yes:
        raise UsageError("--yes only goes with --purge (uninstall itself asks nothing)")
    return uninstall(claude_dir, project, scope=args.scope, settings_file=args.settings, dry_run=args.dry_run,
                     out=out, as_json=args.json)
