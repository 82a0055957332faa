"""Helpers shared by the tests (importable as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sfp.infra.proc import Spawn

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


def trust_project(claude_dir: Path, project: Path) -> None:
    """Trust `project`'s .sfp/ as it is now, as `sfp trust` does: its config is ignored until then."""
    from sfp.config.trust import trust

    trust(claude_dir, project)


# --- processes: finding what a test started, and a spawn that refuses new sessions ---------------

HAS_PROC = Path("/proc/self/stat").exists()
needs_proc = pytest.mark.skipif(not HAS_PROC, reason="reads /proc")


def alive_with(text: str) -> list[int]:
    """Pids of living processes whose command line contains `text` (zombies have none); `ps` without /proc."""
    if HAS_PROC:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if text.encode() in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found
    listing = subprocess.run(["ps", "-A", "-o", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in listing.splitlines() if text in line and "ps -A" not in line]


def refusing_sessions(calls: list[bool], error: OSError) -> Spawn:
    """A spawn that raises `error` when asked for a new session, else spawns; `calls` records each ask."""
    from sfp.infra.proc import spawn_process

    def spawn(argv: Sequence[str], cwd: Path, env: Mapping[str, str], new_session: bool) -> subprocess.Popen[bytes]:
        calls.append(new_session)
        if new_session:
            raise error
        return spawn_process(argv, cwd, env, new_session)

    return spawn


def unlistable(monkeypatch: Any, folder: Path) -> None:
    """`os.scandir(folder)` fails as on a folder without read permission (tests run as root, which reads any)."""
    real = os.scandir

    def scandir(path: object) -> object:
        if str(path) == str(folder):
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
