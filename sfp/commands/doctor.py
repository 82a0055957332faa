"""`sfp doctor`: why hooks might not fire, and what to do about each thing found."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.health.doctor import diagnose, worst
from sfp.health.installed import BROKEN

ICONS = {"ok": "✅", "warn": "⚠️ ", "broken": "❌"}


def doctor(claude_dir: Path, project: Path, *, as_json: bool, probe: bool, out: IO[str]) -> int:
    findings = diagnose(claude_dir, project, probe_hooks=probe)
    overall = worst(findings)
    if as_json:
        out.write(json.dumps({"status": overall, "findings": [f._asdict() for f in findings]}, indent=2, ensure_ascii=False) + "\n")
    else:
        for finding in findings:
            out.write(f"{ICONS[finding.status]} {finding.title}\n")
            if finding.detail and finding.status != "ok":
                out.write(f"     {finding.detail}\n")
            if finding.fix and finding.status != "ok":
                out.write(f"     fix: {finding.fix}\n")
        out.write(f"\n{'nothing broken' if overall != BROKEN else 'something is broken: see the fixes above'}\n")
    return 1 if overall == BROKEN else 0


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, "print the findings as JSON")
    parser.add_argument("--no-probe", action="store_true", help="don't run each installed hook on a sample payload")
    add_project(parser, "project whose settings files to check (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return doctor(claude_dir, project_dir(args.project), as_json=args.json, probe=not args.no_probe, out=out)
