#!/usr/bin/env python3
"""Time a backup of 1000 small files against `cp -a` of the same files, and print the ratio.

Usage: python bench/backup_bench.py [--files N] [--rounds R]

The backup is sfp.backup.create.create_backup in this process (the files reached through
`backup.extra_paths`), so its time is the feature's own: read, hash, write 0600 copies
under 0700 folders, make them durable, write metadata.json, rename into place. `cp -a`
copies the same folder and makes nothing durable: the ratio includes the price of
surviving a crash. Rounds alternate between the two so a busy moment hits both alike;
the medians are compared.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sfp.backup.create  # noqa: E402
from sfp.backup.model import BackupSettings  # noqa: E402
from sfp.backup.create import create_backup  # noqa: E402


def make_files(folder: Path, count: int) -> None:
    for i in range(count):
        sub = folder / f"d{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"note-{i:04}.md").write_text(f"# note {i}\n" + "some context line\n" * (i % 20 + 1))


def time_backup(claude_dir: Path, project: Path, settings: BackupSettings) -> float:
    started = time.perf_counter()
    create_backup(claude_dir, project, settings, reason="bench")
    elapsed = time.perf_counter() - started
    shutil.rmtree(claude_dir / "backups")
    return elapsed


def time_cp(source: Path, target: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(target)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sfp-backup-bench-") as tmp:
        base = Path(tmp)
        claude_dir, project = base / "claude", base / "project"
        claude_dir.mkdir()
        make_files(project / "notes", args.files)
        settings = BackupSettings(extra_paths=("notes",))
        durable = sfp.backup.create.make_durable
        backup_s, unsynced_s, cp_s = [], [], []
        for _ in range(args.rounds):
            backup_s.append(time_backup(claude_dir, project, settings))
            cp_s.append(time_cp(project / "notes", base / "copy"))
            sfp.backup.create.make_durable = lambda files, folders: None  # what durability costs, on its own
            try:
                unsynced_s.append(time_backup(claude_dir, project, settings))
            finally:
                sfp.backup.create.make_durable = durable
    backup, unsynced, cp = (statistics.median(s) for s in (backup_s, unsynced_s, cp_s))
    print(f"{args.files} small files, median of {args.rounds} rounds")
    print(f"  sfp backup             {backup * 1000:8.1f} ms   (min {min(backup_s) * 1000:.1f})")
    print(f"  sfp backup, no fsync   {unsynced * 1000:8.1f} ms   (min {min(unsynced_s) * 1000:.1f})")
    print(f"  cp -a                  {cp * 1000:8.1f} ms   (min {min(cp_s) * 1000:.1f})")
    print(f"  ratio backup / cp -a   {backup / cp:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
