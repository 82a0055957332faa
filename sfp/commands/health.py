"""`sfp health`: the runbook's health check, for people (default) or machines (--json)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.config.layers import load_config
from sfp.errors import ConfigError
from sfp.health.checks import (
    HEALTHY,
    UNHEALTHY,
    report_as_json,
    run_health,
    thresholds_from,
)
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import terminal_for

MARKS = {"healthy": "ok", "degraded": "warn", "unhealthy": "fail"}  # a status as a sfp.infra.terminal mark


def health(claude_dir: Path, project: Path | None, *, as_json: bool, out: IO[str]) -> int:
    try:
        limits = thresholds_from(load_config("sfp", claude_dir, project).get("health"))
        problem = None
    except ConfigError as exc:  # the five checks still run, on the built-in thresholds
        limits, problem = thresholds_from(None), str(exc)
    report = run_health(claude_dir, limits, thorough=True, project=project)
    if as_json:
        write_json(out, report_as_json(report))
    else:
        term = terminal_for(out)
        out.write(f"{term.mark(MARKS.get(report.status, 'info'))} sfp health: {report.status}\n")
        if problem:
            out.write(f"  {term.mark('warn')} sfp.yaml can't be used, built-in thresholds applied: {problem}\n")
        for check in report.checks:
            out.write(f"  {term.mark(MARKS.get(check.status, 'info'))} {check.name:<18} {check.message}\n")
            if check.fix and check.status != HEALTHY:
                out.write(f"  {'':<21}fix: {check.fix}\n")
    return 1 if report.status == UNHEALTHY else 0


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, "print the runbook's JSON shape (schema sfp.health/1)")
    add_project(parser, "project whose config applies (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return health(claude_dir, project_dir(args.project), as_json=args.json, out=out)
