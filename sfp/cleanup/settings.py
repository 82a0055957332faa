"""The `prune:` section of sfp.yaml, as a typed record."""

from __future__ import annotations

from pathlib import Path

from sfp.infra.record import Record


class PruneSettings(Record):
    keep_settings_backups: int = 5
    keep_builds: int = 3


def load_prune_settings(claude_dir: Path, project: Path | None) -> PruneSettings:
    from sfp.config.layers import load_config
    from sfp.config.typed import record

    return record(load_config("sfp", claude_dir, project).get("prune"), PruneSettings)
