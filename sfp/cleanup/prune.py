"""What `sfp prune` clears of sfp's own leftovers: settings backups and kept builds beyond their counts,
and shiv extractions of builds no hook runs (never the running one)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from sfp.cleanup.footprint import Item, footprint
from sfp.cleanup.in_use import builds_in_use
from sfp.cleanup.purge import where_for
from sfp.cleanup.retention import old_builds, old_settings_backups, unused_extractions

# An extraction some process imported from this recently stays, whatever this claude dir's hooks run.
SHIV_IDLE_S: Final = 7 * 24 * 3600


def leftovers(claude_dir: Path, project: Path | None, *, keep_settings_backups: int, keep_builds: int,
              environ: Mapping[str, str]) -> list[Item]:
    found = footprint(where_for(claude_dir, project, (), environ))
    in_use = builds_in_use(claude_dir, project, environ)
    return [*old_settings_backups(found.items, keep_settings_backups),
            *old_builds(found.items, keep_builds, in_use),
            *unused_extractions(found.items, in_use, now=time.time(), idle_s=SHIV_IDLE_S)]
