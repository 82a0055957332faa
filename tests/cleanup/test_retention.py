"""Which leftovers a prune takes: pure choices over the footprint's items."""

from __future__ import annotations

from sfp.cleanup.footprint import Item
from sfp.cleanup.retention import InUse, old_builds, old_settings_backups, unused_extractions

NOTHING = InUse(frozenset(), frozenset(), frozenset())


def item(path: str, kind: str, mtime: float = 0.0) -> Item:
    return Item(path, kind, 1, False, mtime)


def test_settings_backups_are_kept_per_settings_file() -> None:
    user = [item(f"/c/settings.json.sfp-backup-2026010{n}-120000", "settings-backup") for n in range(1, 5)]
    local = [item(f"/p/.claude/settings.local.json.sfp-backup-2026010{n}-120000", "settings-backup") for n in (1, 2)]
    assert old_settings_backups([*reversed(user), *local], 2) == user[:2]


def test_builds_beyond_the_newest_go_unless_in_use_by_path_or_content() -> None:
    builds = [item(f"/c/sfp/versions/sfp-0.{n}-{str(n) * 12}.pyz", "kept-build", mtime=n) for n in range(1, 6)]
    assert old_builds(builds, 2, NOTHING) == [builds[2], builds[1], builds[0]]
    in_use = InUse(frozenset({builds[0].path}), frozenset({"2" * 64}), frozenset())
    assert old_builds(builds, 2, in_use) == [builds[2]]
    # The build a hook runs is not one of the `keep`: with keep 1 the newest other one stays too.
    newest = InUse(frozenset({builds[4].path}), frozenset(), frozenset())
    assert old_builds(builds, 1, newest) == [builds[2], builds[1], builds[0]]


def test_extractions_go_with_their_lock_unless_in_use_or_used_lately() -> None:
    used, old, recent = "a" * 64, "b" * 64, "c" * 64
    items = [item(f"/s/sfp.pyz_{used}", "shiv"), item(f"/s/.sfp.pyz_{used}_lock", "shiv"),
             item(f"/s/sfp.pyz_{old}", "shiv", mtime=100), item(f"/s/.sfp.pyz_{old}_lock", "shiv", mtime=5000),
             item(f"/s/sfp.pyz_{recent}", "shiv", mtime=900), item(f"/s/.sfp.pyz_{'d' * 64}_lock", "shiv"),
             item("/c/logs/sfp.log", "log")]
    in_use = InUse(frozenset(), frozenset(), frozenset({f"sfp.pyz_{used}"}))
    # `recent` was imported from 100 s ago; the lone lock has no extraction left to protect.
    assert unused_extractions(items, in_use, now=1000, idle_s=500) == [items[2], items[3], items[5]]
