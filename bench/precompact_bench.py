#!/usr/bin/env python3
"""The PreCompact hook end to end — transcript read, handoff, backup, prune — on a transcript.

Runs `dist/sfp.pyz hook` as the client would, in a throwaway claude dir with a few context files (each
run adds a handoff and a backup, and prunes). The transcript is a generated one (`--mb N`, default 50), a given one
(`--transcript FILE`, `.jsonl` or `.jsonl.gz`, with its `<session>/subagents/` beside it), or the
largest main transcript in a folder (`--largest-in DIR`, e.g. ../shared/fixtures/transcripts-public).
A given transcript is read where it is, or unpacked into the temporary folder when gzipped; it is never
copied into the project. Target: well under 1 s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from transcript_bench import write_session  # noqa: E402  (the same generated session)


def stem(path: Path) -> str:
    """`abc` for `abc.jsonl` and `abc.jsonl.gz`."""
    return path.name.removesuffix(".gz").removesuffix(".jsonl")


def unpacked_size(path: Path) -> int:
    if path.suffix != ".gz":
        return path.stat().st_size
    with gzip.open(path, "rb") as stream:
        return sum(len(chunk) for chunk in iter(lambda: stream.read(1 << 20), b""))


def largest_in(folder: Path) -> Path:
    """The largest main transcript under `folder` (by size unpacked; subagents' transcripts left out)."""
    found = [p for p in folder.rglob("*") if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz"))
             and "subagents" not in p.parts]
    if not found:
        raise SystemExit(f"bench: no .jsonl or .jsonl.gz transcript under {folder}")
    return max(found, key=lambda p: (unpacked_size(p), str(p)))


def place(source: Path, work: Path) -> Path:
    """`source` as the hook will read it: itself when plain, else unpacked into `work`, with its
    subagents' transcripts (gzipped ones unpacked) in `<session>/subagents/` as the client lays them out."""
    agents = source.parent / stem(source) / "subagents"
    if source.suffix != ".gz" and not any(p.suffix == ".gz" for p in agents.glob("*")):
        return source
    target = work / f"{stem(source)}.jsonl"
    unpack(source, target)
    if agents.is_dir():
        (work / stem(source) / "subagents").mkdir(parents=True)
        for agent in sorted(agents.iterdir()):
            if agent.name.endswith((".jsonl", ".jsonl.gz")):
                unpack(agent, work / stem(source) / "subagents" / f"{stem(agent)}.jsonl")
    return target


def unpack(source: Path, target: Path) -> None:
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--mb", type=int, default=50, help="size of the generated transcript (default 50)")
    given.add_argument("--transcript", type=Path, help="time the hook on this transcript (.jsonl or .jsonl.gz)")
    given.add_argument("--largest-in", type=Path, metavar="DIR", help="on the largest transcript under DIR")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    pyz = ROOT / "dist" / "sfp.pyz"
    if not pyz.exists():
        raise SystemExit("bench: dist/sfp.pyz is missing; run `make bench`")
    source: Path | None = args.transcript or (largest_in(args.largest_in) if args.largest_in else None)
    if source is not None and not source.is_file():
        raise SystemExit(f"bench: no transcript at {source}")
    python = os.path.realpath(sys.executable)
    with tempfile.TemporaryDirectory(prefix="sfp-precompact-") as tmp:
        work = Path(tmp)
        claude, project = work / "claude", work / "project"
        (claude / ".context").mkdir(parents=True)
        project.mkdir()
        for name in ("CLAUDE.md", "identity.md", "rules.md"):
            (claude / ".context" / name).write_text(f"# {name}\n" + "a line of context\n" * 50)
        if source is None:
            transcript = work / "session.jsonl"
            write_session(transcript, args.mb * 1_000_000, random.Random(7))
            what = "generated"
        else:
            transcript = place(source, work)
            agents = len(list((transcript.parent / stem(transcript) / "subagents").glob("*.jsonl")))
            what = f"{source} ({agents} subagent transcript(s))"
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
        found = found_in(claude)
    runs = times[1:]  # the first run unpacks the shiv cache
    print(f"PreCompact hook on a {size:.1f} MB transcript ({what}): median {statistics.median(runs) * 1000:.0f} ms, "
          f"max {max(runs) * 1000:.0f} ms over {len(runs)} runs ({backups} backups kept after pruning; {found}) "
          f"[{machine()}]")
    return 0


def found_in(claude: Path) -> str:
    """What the newest handoff holds, in counts: proof the hook read the transcript."""
    newest = sorted((claude / "handoffs").glob("handoff-*.json"))
    if not newest:
        return "no handoff written"
    h = json.loads(newest[-1].read_text(encoding="utf-8"))
    counts = {key: len(h.get(key) or []) for key in ("prompts", "open_tasks", "completed_tasks", "failed_commands",
                                                      "fixed_failures", "files_changed", "subagents", "commits")}
    return "handoff: " + ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in counts.items())


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


if __name__ == "__main__":
    raise SystemExit(main())
