"""`sfp evidence [PROJECT]`: the pre-flight checks of evidence.yaml; exit 1 when a critical one failed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, project_dir
from sfp.config.layers import load_config
from sfp.context.evidence import FAILED, report_as_json, run_evidence, settings_from
from sfp.errors import UsageError
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import terminal_for

MARKS = {"ok": "ok", "warning": "warn", "failed": "fail", "skipped": "none"}  # as sfp.infra.terminal marks


def evidence(claude_dir: Path, project: Path, *, as_json: bool, out: IO[str]) -> int:
    if not project.is_dir():
        raise UsageError(f"{project} is not a folder: give the project's folder (default: the current one)")
    config = load_config("evidence", claude_dir, project)
    report = run_evidence(project, settings_from(config.data), os.environ)
    if as_json:
        write_json(out, report_as_json(report))
    else:
        term = terminal_for(out)
        out.write(f"{term.mark(MARKS.get(report.status, 'info'))} sfp evidence for {project}: {report.status}\n")
        for check in report.checks:
            critical = " (critical)" if check.critical and check.status == FAILED else ""
            out.write(f"  {term.mark(MARKS.get(check.status, 'info'))} {check.name:<19} {check.message}{critical}\n")
            if check.fix and check.status in ("warning", "failed"):
                out.write(f"  {'':<22}fix: {check.fix}\n")
    return 1 if report.critical_failure else 0


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", metavar="PROJECT", help="the project's folder (default: current folder)")
    add_json(parser, "print the report as JSON (schema sfp.evidence/1)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return evidence(claude_dir, project_dir(args.project, "PROJECT"), as_json=args.json, out=out)
