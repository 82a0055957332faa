"""What `sfp prune` clears of sfp's own leftovers: settings backups and kept builds beyond their counts,
and shiv extractions of builds no hook runs (never the running one)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from sfp.cleanup.footprint import Item, footprint
from sfp.cleanup.in_use import builds_in_use
from sfp.cleanup.purge import hooked_files, where_for
from sfp.cleanup.retention import old_builds, old_settings_backups, unused_extractions
from sfp.infra.record import Record

# An extraction some process imported from this recently stays, whatever this claude dir's hooks run.
SHIV_IDLE_S: Final = 7 * 24 * 3600


class Leftovers(Record):
    items: list[Item]  # what goes
    blind: list[tuple[str, str]]  # settings files that can't be read (path, why): no build or extraction goes
    unreadable: tuple[tuple[str, str], ...]  # sfp's folders that could not be listed (path, why)


def leftovers(claude_dir: Path, project: Path | None, *, keep_settings_backups: int, keep_builds: int,
              environ: Mapping[str, str]) -> Leftovers:
    where = where_for(claude_dir, project, (), environ)
    found = footprint(where)
    doomed = old_settings_backups(found.items, keep_settings_backups)
    # A settings file that can't be read may hold hooks that run any build: then none is known to be unused.
    _, blind = hooked_files(claude_dir, where.settings_files)
    if not blind:
        in_use = builds_in_use(claude_dir, project, environ)
        doomed += [*old_builds(found.items, keep_builds, in_use),
                   *unused_extractions(found.items, in_use, now=time.time(), idle_s=SHIV_IDLE_S)]
    return Leftovers(doomed, blind, found.unreadable)
