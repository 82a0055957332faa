#!/usr/bin/env python3
"""`make bench`: the wall time of `sfp.pyz hook` per event against two floors, measured in one run.

Floors: `python3 -c pass`, and a do-nothing zipapp built with shiv exactly
the way build.py builds sfp (same options, same interpreter). The target
(issue: foundation, context) is at most 1.3x the shiv floor per hook.
Rounds are interleaved so a busy moment of the machine hits every command alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = ROOT / "tests" / "data" / "payloads"
EVENTS = {
    "SessionStart": "00-SessionStart.json",
    "UserPromptSubmit": "01-UserPromptSubmit.json",
    "PreToolUse": "02-PostToolUse.json",  # the same Write, seen before it runs: the secrets guard
    "PostToolUse": "02-PostToolUse.json",
    "Stop": "04-Stop.json",
    "PreCompact": "19-PreCompact.json",
    "SessionEnd": "05-SessionEnd.json",
}


def build_noop_shiv(folder: Path) -> Path:
    site = folder / "site"
    (site / "noop").mkdir(parents=True)
    (site / "noop" / "__init__.py").write_text("def main() -> int:\n    return 0\n")
    out = folder / "noop.pyz"
    env = dict(os.environ, SOURCE_DATE_EPOCH="315619200")
    subprocess.run([sys.executable, "-m", "shiv", "--site-packages", str(site), "--entry-point", "noop:main",
                    "--python", "/usr/bin/env python3", "--output-file", str(out), "--reproducible"],
                   check=True, capture_output=True, env=env)
    return out


def installed_form(python: str, pyz: Path) -> list[str]:
    """The hook as `sfp install` writes it: isolated (-I), behind the guard that keeps a broken sfp from blocking."""
    sys.path.insert(0, str(ROOT))
    from sfp.claude.settings import GUARD

    return [python, "-I", "-c", GUARD, str(pyz), "hook"]


def time_once(command: list[str], stdin: bytes, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, input=stdin, capture_output=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} exited {done.returncode}: {done.stderr.decode()[:300]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--markdown", action="store_true", help="print a table for docs/benchmarks.md")
    parser.add_argument("--baseline", metavar="PYZ", type=Path,
                        help="an older sfp.pyz to time in the same run (e.g. one built from the last release)")
    args = parser.parse_args(argv)
    # The interpreter itself, not a version-manager shim (pyenv's adds ~400 ms to every start).
    python = os.path.realpath(sys.executable)
    pyz, lean = ROOT / "dist" / "sfp.pyz", ROOT / "dist" / "sfp-lean.pyz"
    for needed in (pyz, lean):
        if not needed.exists():
            raise SystemExit(f"bench: {needed} is missing; run `make bench` (it builds first)")
    with tempfile.TemporaryDirectory(prefix="sfp-bench-") as tmp:
        work = Path(tmp)
        claude = work / "claude"
        (claude / ".context").mkdir(parents=True)
        (claude / ".context" / "CLAUDE.md").write_text("# Identity\nbench\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "SFP_"))}
        env.update(CLAUDE_CONFIG_DIR=str(claude), SHIV_ROOT=str(work / "shiv"))
        noop = build_noop_shiv(work)
        cases: dict[str, tuple[list[str], bytes]] = {
            "python3 -c pass": ([python, "-c", "pass"], b""),
            "do-nothing shiv zipapp": ([python, str(noop)], b""),
        }
        notes = work / "notes.txt"  # a file type no formatter is configured for
        notes.write_text("bench\n")
        for event, name in EVENTS.items():
            payload = json.loads((PAYLOADS / name).read_text())
            payload["cwd"] = str(work)
            if event == "PostToolUse":
                payload["tool_input"]["file_path"] = str(notes)
            if event == "PreToolUse":  # a Write of ordinary code: what nearly every guarded call is
                payload.update(hook_event_name="PreToolUse", tool_name="Write",
                               tool_input={"file_path": str(notes), "content": "def add(a, b):\n    return a + b\n"})
            cases[f"sfp.pyz hook {event}"] = (installed_form(python, pyz), json.dumps(payload).encode())
            if args.baseline is not None:
                cases[f"baseline hook {event}"] = (installed_form(python, args.baseline.resolve()),
                                                   json.dumps(payload).encode())
        start_payload = json.loads((PAYLOADS / EVENTS["SessionStart"]).read_text()) | {"cwd": str(work)}
        cases["sfp-lean.pyz hook SessionStart"] = ([python, str(lean), "hook"], json.dumps(start_payload).encode())
        for command, stdin in cases.values():  # warm the shiv cache and the page cache
            time_once(command, stdin, env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (command, stdin) in cases.items():
                samples[name].append(time_once(command, stdin, env))
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    floor = medians["do-nothing shiv zipapp"]
    print_table(medians, floor, args.rounds, args.markdown)
    return 0


def print_table(medians: dict[str, float], floor: float, rounds: int, markdown: bool) -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    if markdown:
        print(f"Machine: {machine}; {rounds} rounds, median wall time.\n")
        print("| command | median ms | × shiv floor |\n|---|---:|---:|")
        for name, value in medians.items():
            baseline = medians.get(name.replace("sfp.pyz hook", "baseline hook"))
            against = f" ({value / baseline:.2f}× baseline)" if baseline and name.startswith("sfp.pyz") else ""
            print(f"| {name} | {value:.1f} | {value / floor:.2f}{against} |")
        return
    print(f"{machine}; {rounds} rounds, median wall time")
    for name, value in medians.items():
        verdict = ""
        if name.startswith("sfp.pyz hook"):
            verdict = "ok" if value <= floor * 1.3 else "OVER 1.3x"
            baseline = medians.get(name.replace("sfp.pyz hook", "baseline hook"))
            if baseline:
                verdict += f"  ({value / baseline:.2f}x baseline)"
        print(f"  {name:<34} {value:7.1f} ms  {value / floor:5.2f}x shiv floor  {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
