"""`sfp tags`: every TAG the hook would draw from the context files, with the file and line it came from."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.context.tags import (
    TagScan,
    context_files,
    home_relative,
    load_tag_settings,
    scan_tags,
)
from sfp.infra import paths
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import terminal_for

SCHEMA = "sfp.tags/1"


def tags(claude_dir: Path, project: Path | None, *, as_json: bool, out: IO[str]) -> int:
    settings = load_tag_settings(claude_dir, project)
    files = context_files(claude_dir, project, settings)
    scan = scan_tags(files, settings)
    if as_json:
        write_json(out, scan_as_json(scan, files, settings.enabled))
        return 0
    if not settings.enabled:
        out.write("note: tags.enabled is false in sfp.yaml: the UserPromptSubmit hook adds none of these\n")
    if scan.tags:
        _write_tags(scan, out)
    else:
        looked = ", ".join(home_relative(f) for f in files) or "no files (tags.files is empty)"
        out.write(f"no tags found; looked in: {looked}\n"
                  f"write headed sections (## Identity, ## Rules, ...) in {home_relative(paths.context_dir(claude_dir))}/, "
                  "or files named after them (identity.md, rules.md, ...)\n")
    warn = terminal_for(out).mark("warn")
    for warning in scan.warnings:
        out.write(f"{warn} {warning}\n")
    return 0


def _write_tags(scan: TagScan, out: IO[str]) -> None:
    current = None
    for tag in scan.tags:
        if tag.file != current:
            current = tag.file
            out.write(f"{home_relative(Path(tag.file))}\n")
        out.write(f"  {tag.line:>4}  {tag.render()}\n")
    noun = "tag" if len(scan.tags) == 1 else "tags"
    out.write(f"{len(scan.tags)} {noun} from {len(scan.files)} file{'' if len(scan.files) == 1 else 's'}\n")


def scan_as_json(scan: TagScan, files: list[Path], enabled: bool) -> dict[str, object]:
    read = {str(f) for f in scan.files}
    return {
        "schema": SCHEMA,
        "enabled": enabled,
        "files": [{"path": str(f), "read": str(f) in read, "exists": os.path.exists(f)} for f in files],
        "tags": [
            {"type": t.type, "category": t.category, "value": t.value, "path": t.file, "line": t.line, "tag": t.render()}
            for t in scan.tags
        ],
        "warnings": list(scan.warnings),
    }


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, f"print the tags as JSON (schema {SCHEMA})")
    add_project(parser, "project whose CLAUDE.md and config apply (default: current folder)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return tags(claude_dir, project_dir(args.project), as_json=args.json, out=out)
