"""`uninstall --purge` as data: sfp's hooks out of every settings file it can see, then every file and
folder sfp made (never the extraction this very sfp runs from: it still needs its modules)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sfp.claude import settings as cc
from sfp.cleanup.footprint import Footprint, Item, Where, footprint, shiv_root
from sfp.cleanup.remove import Removal, remove_items
from sfp.cleanup.unhook import Unhook, apply_unhook, plan_unhook
from sfp.errors import UsageError
from sfp.infra.record import Record


class Plan(Record):
    unhooks: list[Unhook]  # the settings files holding sfp's hooks
    unreadable: list[tuple[str, str]]  # settings files that aren't valid JSON (path, why): left untouched
    found: Footprint
    running: list[Item]  # this sfp's own shiv extraction: left, with the line that removes it afterwards

    def items(self) -> list[Item]:
        return [item for item in self.found.items if item not in self.running]


class Done(Record):
    unhooked: list[tuple[Unhook, Path | None]]  # each changed settings file, and the backup that change wrote
    removal: Removal
    not_unhooked: list[tuple[Unhook, str]] = []  # the settings files sfp's hooks stay in, and why (never mutated)


def settings_files(claude_dir: Path, project: Path | None, extra: Sequence[Path] = ()) -> list[Path]:
    """Every settings file of every scope sfp can see from `project`, and any named one, each once."""
    found: list[Path] = []
    scopes = cc.SCOPES if project is not None else ("user",)
    for path in [*(cc.settings_path(s, claude_dir, project or Path(".")) for s in scopes), *extra]:
        if all(os.path.abspath(path) != os.path.abspath(seen) for seen in found):
            found.append(path)
    return found


def where_for(claude_dir: Path, project: Path | None, extra: Sequence[Path] = (),
              environ: Mapping[str, str] = os.environ) -> Where:
    return Where(claude_dir, tuple(settings_files(claude_dir, project, extra)), shiv_root(environ))


def hooked_files(claude_dir: Path, files: Sequence[Path]) -> tuple[list[Unhook], list[tuple[str, str]]]:
    """(the plans for files holding sfp's hooks, the files that can't be read as settings and why)."""
    unhooks: list[Unhook] = []
    unreadable: list[tuple[str, str]] = []
    for path in files:
        try:
            plan = plan_unhook(claude_dir, path)
        except UsageError as exc:
            unreadable.append((str(path), str(exc)))
            continue
        if plan.changed:
            unhooks.append(plan)
    return unhooks, unreadable


def plan_purge(claude_dir: Path, project: Path | None, extra: Sequence[Path] = (),
               environ: Mapping[str, str] = os.environ, running: set[str] | None = None) -> Plan:
    from sfp.cleanup.footprint import extraction_of
    from sfp.cleanup.in_use import running_extraction

    where = where_for(claude_dir, project, extra, environ)
    unhooks, unreadable = hooked_files(claude_dir, where.settings_files)
    found = footprint(where)
    own = running_extraction() if running is None else running
    return Plan(unhooks, unreadable, found, [i for i in found.items if i.kind == "shiv" and extraction_of(i) in own])


def apply_purge(claude_dir: Path, plan: Plan) -> Done:
    """Unhook every file it can; only when all are unhooked, remove sfp's files (hooks left somewhere would
    run the builds and extractions, and name the logs and state, that a removal takes)."""
    from sfp.errors import StorageError

    unhooked: list[tuple[Unhook, Path | None]] = []
    not_unhooked: list[tuple[Unhook, str]] = []
    for unhook in plan.unhooks:
        try:
            unhooked.append((unhook, apply_unhook(claude_dir, unhook)))
        except StorageError as exc:
            not_unhooked.append((unhook, str(exc)))
    if not_unhooked:
        return Done(unhooked, Removal([], [], []), not_unhooked)
    # The backups those changes just wrote are sfp's too.
    fresh = [Item(str(backup), "settings-backup", 0, False, 0.0) for _, backup in unhooked if backup is not None]
    return Done(unhooked, remove_items([*plan.items(), *fresh], plan.found.folders))
