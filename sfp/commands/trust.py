"""`sfp trust [PROJECT]`, `--show`, `--list`, `--revoke`: whether a project's `.sfp/` config may be used."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from sfp.commands.options import project_dir
from sfp.config.trust import revoke, trust, trust_state, trusted_projects, would_run


def trust_command(claude_dir: Path, project: Path, *, show: bool, list_all: bool, remove: bool, out: IO[str]) -> int:
    if list_all:
        return list_trusted(claude_dir, out)
    if remove:
        found = revoke(claude_dir, project)
        out.write(f"{project}: {'no longer trusted' if found else 'was not trusted'}\n")
        return 0
    if show:
        return show_project(claude_dir, project, out)
    return trust_project(claude_dir, project, out)


def trust_project(claude_dir: Path, project: Path, out: IO[str]) -> int:
    """Trust the project's `.sfp/` as it is now, after saying what it will run."""
    record = trust(claude_dir, project)
    out.write(f"trusted {record.path} ({len(record.files)} file(s) under .sfp/; a change makes it untrusted again)\n")
    for line in would_run(project):
        out.write(f"  {line}\n")
    return 0


def show_project(claude_dir: Path, project: Path, out: IO[str]) -> int:
    state = trust_state(claude_dir, project)
    if not state.has_config:
        out.write(f"{project}: no .sfp/ folder, nothing to trust\n")
        return 0
    out.write(f"{project}: {'trusted' if state.trusted else 'not trusted'} — {state.reason}\n")
    for line in would_run(project) or ["(nothing that runs a command or reads a file)"]:
        out.write(f"  {line}\n")
    if not state.trusted:
        out.write(f"`sfp trust {project}` uses it from now on\n")
    return 0


def list_trusted(claude_dir: Path, out: IO[str]) -> int:
    records = trusted_projects(claude_dir)
    if not records:
        out.write("no project trusted yet (`sfp trust PROJECT`)\n")
    for record in records:
        state = trust_state(claude_dir, Path(record.path))
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


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return trust_command(claude_dir, project_dir(args.project, "PROJECT"), show=args.show, list_all=args.list,
                         remove=args.revoke, out=out)
