"""`sfp status [--json]`: the runbook's daily checks on one screen; exit 1 when one fails."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.health.status import Status, daily_status

SCHEMA = "sfp.status/1"


def status(claude_dir: Path, project: Path, *, as_json: bool, out: IO[str]) -> int:
    result = daily_status(claude_dir, project)
    if as_json:
        out.write(json.dumps(status_as_json(result), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(render(result, plain=bool(os.environ.get("NO_COLOR")) or not out.isatty()))
    return 0 if result.ok else 1


def status_as_json(result: Status) -> dict[str, object]:
    return {"schema": SCHEMA, "ok": result.ok,
            "checks": [{"name": c.name, "ok": c.ok, "summary": c.summary, "details": dict(c.details)}
                       for c in result.checks]}


def render(result: Status, *, plain: bool) -> str:
    marks = ("ok  ", "FAIL") if plain else ("✅", "❌")
    lines = [f"{marks[0] if check.ok else marks[1]} {check.name:<8} {check.summary}" for check in result.checks]
    lines.append("all daily checks pass" if result.ok else "a daily check fails (see above)")
    return "\n".join(lines) + "\n"


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, f"print as JSON (schema {SCHEMA})")
    add_project(parser, "project whose settings files count (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return status(claude_dir, project_dir(args.project), as_json=args.json, out=out)
