"""`sfp health`: the runbook's health check, for people (default) or machines (--json)."""

from __future__ import annotations

import argparse
import json
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

ICONS = {"healthy": "✅", "degraded": "⚠️ ", "unhealthy": "❌"}


def health(claude_dir: Path, project: Path | None, *, as_json: bool, out: IO[str]) -> int:
    try:
        limits = thresholds_from(load_config("sfp", claude_dir, project).get("health"))
        problem = None
    except ConfigError as exc:  # the five checks still run, on the built-in thresholds
        limits, problem = thresholds_from(None), str(exc)
    report = run_health(claude_dir, limits, thorough=True, project=project)
    if as_json:
        out.write(json.dumps(report_as_json(report), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(f"{ICONS.get(report.status, '')} sfp health: {report.status}\n")
        if problem:
            out.write(f"  ⚠️  sfp.yaml can't be used, built-in thresholds applied: {problem}\n")
        for check in report.checks:
            out.write(f"  {ICONS.get(check.status, '?')} {check.name:<18} {check.message}\n")
            if check.fix and check.status != HEALTHY:
                out.write(f"  {'':<21}fix: {check.fix}\n")
    return 1 if report.status == UNHEALTHY else 0


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, "print the runbook's JSON shape")
    add_project(parser, "project whose config applies (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return health(claude_dir, project_dir(args.project), as_json=args.json, out=out)
