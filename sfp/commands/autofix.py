"""`sfp autofix FILE…`: what the PostToolUse hook does after an edit, run by hand."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sfp.autofix.formatters import (
    FAILED,
    NO_SUCH_FILE,
    TIMEOUT,
    AutoFixResult,
    load_settings,
)
from sfp.autofix.report import display_path
from sfp.autofix.run import auto_fix
from sfp.commands.options import add_json, add_project, project_dir
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import Terminal, terminal_for

SCHEMA = "sfp.autofix/1"
ICONS = {"formatted": "🧹", "unchanged": "✅", "skipped": "·", "failed": "❌", "timeout": "⏱️"}


def autofix(
    claude_dir: Path,
    project: Path,
    files: Sequence[str],
    *,
    as_json: bool,
    out: IO[str],
    environ: Mapping[str, str] = os.environ,
) -> int:
    """Format each file with its configured formatter; exit 1 when a formatter failed or a file is missing."""
    settings = load_settings(claude_dir, project)
    results = [auto_fix(Path(os.path.abspath(name)), project, claude_dir, session=None, environ=environ,
                        settings=settings) for name in files]
    from sfp.infra.log import write_notes

    write_notes(claude_dir, "auto_fix", [note for result in results for note in result.notes])
    failed = any(r.status in (FAILED, TIMEOUT) or r.reason == NO_SUCH_FILE for r in results)
    if as_json:
        write_json(out, {"schema": SCHEMA, "ok": not failed, "files": [result_as_json(r, project) for r in results]})
    else:
        term = terminal_for(out, environ)
        for result in results:
            out.write(result_line(result, project, term) + "\n")
    return 1 if failed else 0


def result_line(result: AutoFixResult, project: Path, term: Terminal) -> str:
    """`🧹 formatted src/app.py  ruff format (120 ms)`, or the reason a file was left alone; the status
    word says it all where there are no emoji."""
    shown = display_path(result.path, project)
    parts = [f"{term.icon(ICONS.get(result.status, '?'))}{result.status:<9} {shown}"]
    if result.formatter:
        parts.append(f"{result.formatter} ({result.duration_ms:.0f} ms)")
    if result.reason:
        parts.append(result.reason)
    if result.output:
        parts.append(result.output)
    return "  ".join(parts)


def result_as_json(result: AutoFixResult, project: Path) -> dict[str, Any]:
    return {
        "path": display_path(result.path, project),
        "status": result.status,
        "formatter": result.formatter,
        "file_type": result.file_type,
        "changed": result.changed,
        "reason": result.reason,
        "output": result.output,
        "duration_ms": result.duration_ms,
    }


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="the files to format")
    add_project(parser, "the project the files must be in (default: current folder)")
    add_json(parser, f"print the results as JSON (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return autofix(claude_dir, project_dir(args.project), args.files, as_json=args.json, out=out)
