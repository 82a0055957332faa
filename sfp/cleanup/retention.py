"""Which of sfp's things a prune removes: settings backups and kept builds beyond a count, and shiv
extractions no hook runs. Pure: the footprint's items and what is in use in, the doomed items out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sfp.cleanup.footprint import EXTRACTION, Item, extraction_of, settings_file_of
from sfp.infra.record import Record


class InUse(Record):
    """What the installed hooks (and this very process) run."""

    pyz: frozenset[str]  # the sfp.pyz files, resolved
    digests: frozenset[str]  # their sha256
    extractions: frozenset[str]  # the shiv extractions they unpack to (`sfp.pyz_<build id>`)


def old_settings_backups(items: Sequence[Item], keep: int) -> list[Item]:
    """All but the newest `keep` backups of each settings file (their names sort by time)."""
    by_file: dict[str, list[Item]] = {}
    for item in items:
        if item.kind == "settings-backup":
            by_file.setdefault(settings_file_of(item), []).append(item)
    doomed: list[Item] = []
    for backups in by_file.values():
        backups.sort(key=lambda item: Path(item.path).name)
        doomed += backups[: max(len(backups) - keep, 0)]
    return doomed


def old_builds(items: Sequence[Item], keep: int, in_use: InUse) -> list[Item]:
    """Kept builds beyond the newest `keep` of those no hook runs; never one a hook runs (by path, or by
    content: a kept copy is named for the first 12 hex of its sha256), and those don't count in `keep`."""
    used = {digest[:12] for digest in in_use.digests}
    builds = sorted((item for item in items if item.kind == "kept-build"), key=lambda item: item.mtime, reverse=True)
    return [item for item in builds
            if str(Path(item.path).resolve()) not in in_use.pyz and _digest_part(item) not in used][keep:]


def unused_extractions(items: Sequence[Item], in_use: InUse, *, now: float, idle_s: float) -> list[Item]:
    """Shiv's unpacked copies (with their locks) that nothing in use unpacks to and no process used for
    `idle_s`: ~/.shiv is shared by every claude dir on the machine, and a hook of another one may run it."""
    wholes = {Path(i.path).name: i for i in items if i.kind == "shiv" and EXTRACTION.fullmatch(Path(i.path).name)}

    def doomed(name: str) -> bool:
        whole = wholes.get(name)
        return name not in in_use.extractions and (whole is None or now - whole.mtime > idle_s)

    return [item for item in items if item.kind == "shiv" and doomed(extraction_of(item))]


def _digest_part(item: Item) -> str:
    """`sfp-0.1.0-0123456789ab.pyz` -> `0123456789ab`."""
    return Path(item.path).stem.rsplit("-", 1)[-1]
