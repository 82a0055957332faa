"""`sfp trust [PROJECT]`, `--show`, `--list`, `--revoke`: whether a project's `.sfp/` config may be used."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_json, project_dir
from sfp.config.trust import revoke, trust, trust_state, trusted_projects, would_run
from sfp.infra.jsondoc import utc_moment, write_json

SCHEMA = "sfp.trust/1"
LIST_SCHEMA = "sfp.trust-list/1"


def trust_command(claude_dir: Path, project: Path, *, show: bool, list_all: bool, remove: bool, out: IO[str],
                  as_json: bool = False) -> int:
    if list_all:
        return list_trusted(claude_dir, out, as_json=as_json)
    if remove:
        found = revoke(claude_dir, project)
        if as_json:
            write_json(out, project_json(claude_dir, project, "revoke", revoked=found))
        else:
            out.write(f"{project}: {'no longer trusted' if found else 'was not trusted'}\n")
        return 0
    if show:
        return show_project(claude_dir, project, out, as_json=as_json)
    return trust_project(claude_dir, project, out, as_json=as_json)


def trust_project(claude_dir: Path, project: Path, out: IO[str], *, as_json: bool = False) -> int:
    """Trust the project's `.sfp/` as it is now, after saying what it will run."""
    record = trust(claude_dir, project)
    if as_json:
        write_json(out, project_json(claude_dir, project, "trust"))
        return 0
    out.write(f"trusted {record.path} ({len(record.files)} file(s) under .sfp/; a change makes it untrusted again)\n")
    for line in would_run(project):
        out.write(f"  {line}\n")
    return 0


def show_project(claude_dir: Path, project: Path, out: IO[str], *, as_json: bool = False) -> int:
    state = trust_state(claude_dir, project)
    if as_json:
        write_json(out, project_json(claude_dir, project, "show"))
        return 0
    if not state.has_config:
        out.write(f"{project}: no .sfp/ folder, nothing to trust\n")
        return 0
    out.write(f"{project}: {'trusted' if state.trusted else 'not trusted'} — {state.reason}\n")
    for line in would_run(project) or ["(nothing that runs a command or reads a file)"]:
        out.write(f"  {line}\n")
    if not state.trusted:
        out.write(f"`sfp trust {project}` uses it from now on\n")
    return 0


def project_json(claude_dir: Path, project: Path, action: str, *, revoked: bool | None = None) -> dict[str, Any]:
    """`sfp.trust/1`: the project's trust as it is after `action` (trust, show or revoke)."""
    state = trust_state(claude_dir, project)
    return {"schema": SCHEMA, "path": str(project), "action": action, "has_config": state.has_config,
            "trusted": state.trusted, "reason": state.reason,
            "would_run": would_run(project) if state.has_config else [], "revoked": revoked}


def list_trusted(claude_dir: Path, out: IO[str], *, as_json: bool = False) -> int:
    records = trusted_projects(claude_dir)
    states = [(record, trust_state(claude_dir, Path(record.path))) for record in records]
    if as_json:
        write_json(out, {"schema": LIST_SCHEMA, "projects": [
            {"path": record.path, "trusted": state.trusted, "reason": state.reason,
             "trusted_at": utc_moment(record.trusted_at)} for record, state in states]})
        return 0
    if not records:
        out.write("no project trusted yet (`sfp trust PROJECT`)\n")
    for record, state in states:
        out.write(f"{record.path}  {'trusted' if state.trusted else 'UNTRUSTED: ' + state.reason}  "
                  f"(since {record.trusted_at})\n")
    return 0


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", metavar="PROJECT", help="the project (default: current folder)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--show", action="store_true", help="what the project's config would run, and whether it is trusted")
    what.add_argument("--list", action="store_true", help="the projects you trusted, and whether each still is")
    what.add_argument("--revoke", action="store_true", help="stop trusting the project")
    add_json(parser, f"print as JSON (schema {SCHEMA}; with --list, {LIST_SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return trust_command(claude_dir, project_dir(args.project, "PROJECT"), show=args.show, list_all=args.list,
                         remove=args.revoke, out=out, as_json=args.json)
