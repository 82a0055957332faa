"""`sfp handoff [list|show [ID|latest]]`: the runbook's handoff-backup by hand, and the handoffs kept."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import IO

from sfp.claude.projects import newest_transcript
from sfp.commands.options import add_json, add_project, project_dir
from sfp.errors import UsageError
from sfp.handoff.checkpoint import checkpoint
from sfp.handoff.record import to_json
from sfp.handoff.store import StoredHandoff, list_handoffs, load_handoff


def handoff_create(claude_dir: Path, project: Path, *, transcript: str | None, out: IO[str]) -> int:
    """Handoff from the project's newest transcript (or --transcript), backup, prune — and say so."""
    if transcript and not Path(transcript).is_file():
        raise UsageError(f"{transcript}: no such transcript")
    source = Path(transcript) if transcript else newest_transcript(claude_dir, str(project))
    done = checkpoint(claude_dir, project, transcript_path=str(source) if source else None,
                      session_id=source.stem if source else None, cwd=str(project), trigger="command",
                      backup_reason="sfp handoff")
    out.write(f"handoff  {done.handoff.markdown}\n")
    if source is None:
        out.write(f"         (no transcript of {project} found under {claude_dir / 'projects'}: git state only)\n")
    if done.backup is not None:
        out.write(f"backup   {done.backup.folder} ({len(done.backup.files)} files)\n")
    if done.pruned_backups or done.pruned_handoffs:
        out.write(f"pruned   {done.pruned_backups} old backup(s), {done.pruned_handoffs} old handoff file(s)\n")
    return 0


def handoff_list(claude_dir: Path, *, as_json: bool, out: IO[str]) -> int:
    rows = []
    for stored in list_handoffs(claude_dir):
        handoff = load_handoff(stored)
        if handoff is None:
            continue
        rows.append({"id": stored.id, "created": handoff.created, "project": handoff.cwd, "trigger": handoff.trigger,
                     "open_tasks": len(handoff.open_tasks), "files_changed": len(handoff.files_changed),
                     "path": str(stored.markdown)})
    if as_json:
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif not rows:
        out.write(f"no handoffs yet in {claude_dir / 'handoffs'}\n")
    else:
        for row in rows:
            out.write(f"{row['id']}  {row['created']}  {row['trigger']:<11} {row['open_tasks']} open task(s), "
                      f"{row['files_changed']} file(s) changed  {row['project']}\n")
    return 0


def handoff_show(claude_dir: Path, which: str | None, *, as_json: bool, out: IO[str]) -> int:
    stored = find(claude_dir, which or "latest")
    if as_json:
        handoff = load_handoff(stored)
        if handoff is None:
            raise UsageError(f"{stored.json} can't be read")
        out.write(json.dumps(to_json(handoff), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(stored.markdown.read_text(encoding="utf-8"))
    return 0


def find(claude_dir: Path, which: str) -> StoredHandoff:
    handoffs = list_handoffs(claude_dir)
    if not handoffs:
        raise UsageError(f"no handoffs yet in {claude_dir / 'handoffs'}")
    if which == "latest":
        return handoffs[0]
    name = os.path.basename(which).removesuffix(".md").removesuffix(".json")
    for stored in handoffs:
        if stored.id == name or stored.id == f"handoff-{name}":
            return stored
    raise UsageError(f"no handoff `{which}`; `sfp handoff list` shows them")


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "show"), help="list the handoffs, or show one")
    parser.add_argument("id", nargs="?", help="for show: a handoff id, or `latest` (default)")
    add_json(parser, "for list and show: print JSON")
    parser.add_argument("--transcript", metavar="FILE", help="build from this transcript (default: the project's newest)")
    add_project(parser)


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    if args.action == "list":
        return handoff_list(claude_dir, as_json=args.json, out=out)
    if args.action == "show":
        return handoff_show(claude_dir, args.id, as_json=args.json, out=out)
    return handoff_create(claude_dir, project_dir(args.project), transcript=args.transcript, out=out)
