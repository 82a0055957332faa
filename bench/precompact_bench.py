#!/usr/bin/env python3
"""The PreCompact hook end to end — transcript read, handoff, backup, prune — on a 50 MB transcript.

Runs `dist/sfp.pyz hook` as the client would, in a throwaway claude dir with a
few context files and ten older backups to prune. Target: well under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from transcript_bench import write_session  # noqa: E402  (the same generated session)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    pyz = ROOT / "dist" / "sfp.pyz"
    if not pyz.exists():
        raise SystemExit("bench: dist/sfp.pyz is missing; run `make bench`")
    python = os.path.realpath(sys.executable)
    with tempfile.TemporaryDirectory(prefix="sfp-precompact-") as tmp:
        work = Path(tmp)
        claude, project = work / "claude", work / "project"
        (claude / ".context").mkdir(parents=True)
        project.mkdir()
        for name in ("CLAUDE.md", "identity.md", "rules.md"):
            (claude / ".context" / name).write_text(f"# {name}\n" + "a line of context\n" * 50)
        transcript = work / "session.jsonl"
        write_session(transcript, args.mb * 1_000_000, random.Random(7))
        payload = json.dumps({"session_id": "bench-session", "transcript_path": str(transcript), "cwd": str(project),
                              "hook_event_name": "PreCompact", "trigger": "auto", "custom_instructions": None}).encode()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "SFP_"))}
        env.update(CLAUDE_CONFIG_DIR=str(claude), SHIV_ROOT=str(work / "shiv"))
        times = []
        for _ in range(args.rounds + 1):
            started = time.perf_counter()
            done = subprocess.run([python, str(pyz), "hook"], input=payload, capture_output=True, env=env)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"bench: the hook failed: {done.stderr.decode()[:300]}")
        size = transcript.stat().st_size / 1e6
        backups = len([p for p in (claude / "backups").iterdir() if not p.name.startswith(".")])
    runs = times[1:]  # the first run unpacks the shiv cache
    print(f"PreCompact hook on a {size:.0f} MB transcript: median {statistics.median(runs) * 1000:.0f} ms, "
          f"max {max(runs) * 1000:.0f} ms over {len(runs)} runs ({backups} backups kept after pruning)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
