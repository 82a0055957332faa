"""`sfp status [--json]`: the runbook's daily checks on one screen; exit 1 when one fails."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_json, add_project, project_dir
from sfp.health.status import Status, daily_status
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import Terminal, terminal_for

SCHEMA = "sfp.status/2"  # /2: `message` for `summary`, ids as `newest_id`, counts as `<noun>_count`, moments in UTC


def status(claude_dir: Path, project: Path, *, as_json: bool, out: IO[str]) -> int:
    result = daily_status(claude_dir, project)
    if as_json:
        write_json(out, status_as_json(result))
    else:
        out.write(render(result, terminal_for(out)))
    return 0 if result.ok else 1


def status_as_json(result: Status) -> dict[str, Any]:
    return {"schema": SCHEMA, "ok": result.ok,
            "checks": [{"name": c.name, "ok": c.ok, "message": c.summary, "details": dict(c.details)}
                       for c in result.checks]}


def render(result: Status, term: Terminal) -> str:
    lines = [f"{term.mark('ok' if check.ok else 'fail')} {check.name:<8} {check.summary}" for check in result.checks]
    lines.append("all daily checks pass" if result.ok else "a daily check fails (see above)")
    return "\n".join(lines) + "\n"


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, f"print as JSON (schema {SCHEMA})")
    add_project(parser, "project whose settings files count (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return status(claude_dir, project_dir(args.project), as_json=args.json, out=out)
