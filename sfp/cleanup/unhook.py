"""sfp's hooks out of one settings file, leaving no `{}` of sfp's making behind: a file sfp created that
holds nothing else afterwards is deleted; any other file keeps everything but sfp's entries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sfp.claude import settings as cc
from sfp.cleanup.created import created_by_sfp, forget_created
from sfp.infra.record import Record


class Unhook(Record):
    path: Path
    before: dict[str, Any]
    after: dict[str, Any]
    delete_file: bool  # sfp created the file, and without its hooks nothing is left in it

    @property
    def changed(self) -> bool:
        return self.before != self.after


def plan_unhook(claude_dir: Path, path: Path) -> Unhook:
    """What removing sfp's hooks does to `path`. UsageError when it isn't a JSON object (left untouched)."""
    before = cc.read_settings(path)
    after = cc.without_sfp_hooks(before)
    empty = before != after and not after and not path.is_symlink()
    return Unhook(path, before, after, empty and created_by_sfp(claude_dir, path))


def apply_unhook(claude_dir: Path, plan: Unhook) -> Path | None:
    """Carry the plan out; the backup of the file as it was, when one was written."""
    if not plan.changed:
        return None
    if plan.delete_file:
        try:
            os.unlink(plan.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            from sfp.errors import StorageError

            raise StorageError(f"cannot remove {plan.path}: {exc.strerror}") from None
        forget_created(claude_dir, plan.path)
        return None
    return cc.save_settings(plan.path, plan.after)
