"""Helpers shared by the tests (importable as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


def clean_env(claude_dir: Path, home: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "SFP_", "ANTHROPIC_"))}
    env["CLAUDE_CONFIG_DIR"] = str(claude_dir)
    if home is not None:
        env["HOME"] = str(home)
    env.update(extra)
    return env


def same_value(mine: Any, theirs: Any) -> bool:
    """Equal, with the same types all the way down (True is not 1), in the same key order; NaN equals NaN."""
    if type(mine) is not type(theirs):
        return False
    if isinstance(mine, float):
        if math.isnan(mine):
            return math.isnan(theirs)
        return mine == theirs and math.copysign(1.0, mine) == math.copysign(1.0, theirs)
    if isinstance(mine, dict):
        return len(mine) == len(theirs) and all(
            same_value(k1, k2) and same_value(mine[k1], theirs[k2]) for k1, k2 in zip(mine, theirs)
        )
    if isinstance(mine, list):
        return len(mine) == len(theirs) and all(same_value(a, b) for a, b in zip(mine, theirs))
    return bool(mine == theirs)
