"""`sfp doctor`: why hooks might not fire, and what to do about each thing found."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_json, add_project, project_dir
from sfp.health.doctor import diagnose, worst
from sfp.health.installed import BROKEN, Finding
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import terminal_for

SCHEMA = "sfp.doctor/1"
MARKS = {"ok": "ok", "warn": "warn", "broken": "fail"}  # a finding's status as a sfp.infra.terminal mark


def doctor(claude_dir: Path, project: Path, *, as_json: bool, probe: bool, out: IO[str]) -> int:
    findings = diagnose(claude_dir, project, probe_hooks=probe)
    overall = worst(findings)
    if as_json:
        write_json(out, {"schema": SCHEMA, "status": overall, "ok": overall != BROKEN,
                         "findings": [finding_json(f) for f in findings]})
    else:
        term = terminal_for(out)
        for finding in findings:
            out.write(f"{term.mark(MARKS[finding.status])} {finding.title}\n")
            if finding.detail and finding.status != "ok":
                out.write(f"     {finding.detail}\n")
            if finding.fix and finding.status != "ok":
                out.write(f"     fix: {finding.fix}\n")
        out.write(f"\n{'nothing broken' if overall != BROKEN else 'something is broken: see the fixes above'}\n")
    return 1 if overall == BROKEN else 0


def finding_json(finding: Finding) -> dict[str, Any]:
    return {"status": finding.status, "title": finding.title, "message": finding.detail or None,
            "fix": finding.fix or None}


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, f"print the findings as JSON (schema {SCHEMA})")
    parser.add_argument("--no-probe", action="store_true", help="don't run each installed hook on a sample payload")
    add_project(parser, "project whose settings files to check (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return doctor(claude_dir, project_dir(args.project), as_json=args.json, probe=not args.no_probe, out=out)
