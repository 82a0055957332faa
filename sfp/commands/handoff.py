"""`sfp handoff [list|show [ID|latest]]`: the runbook's handoff-backup by hand, and the handoffs kept."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import IO, Any

from sfp.claude.projects import newest_transcript
from sfp.commands.options import add_json, add_project, project_dir, readable_folder
from sfp.errors import StorageError, UsageError
from sfp.handoff.checkpoint import Checkpoint, checkpoint
from sfp.handoff.record import Handoff, to_json
from sfp.handoff.store import StoredHandoff, list_handoffs, load_handoff
from sfp.infra import paths
from sfp.infra.jsondoc import utc_moment, write_json

SCHEMA = "sfp.handoff/1"
LIST_SCHEMA = "sfp.handoff-list/1"
CREATE_SCHEMA = "sfp.handoff-create/1"
# The stored record's names for counts, as the JSON convention spells them.
COUNT_NAMES = {"secret_files_changed": "changed_secret_file_count", "secret_files_read": "read_secret_file_count",
               "compactions": "compaction_count"}


def handoff_create(claude_dir: Path, project: Path, *, transcript: str | None, out: IO[str],
                   as_json: bool = False) -> int:
    """Handoff from the project's newest transcript (or --transcript), backup, prune — and say so."""
    if transcript and not Path(transcript).is_file():
        raise UsageError(f"{transcript}: no such transcript")
    source = Path(transcript) if transcript else newest_transcript(claude_dir, str(project))
    done = checkpoint(claude_dir, project, transcript_path=str(source) if source else None,
                      session_id=source.stem if source else None, cwd=str(project), trigger="command",
                      backup_reason="sfp handoff")
    if as_json:
        write_json(out, created_json(done, source))
        return 0
    out.write(f"handoff  {done.handoff.markdown}\n")
    if source is None:
        out.write(f"         (no transcript of {project} found under {claude_dir / 'projects'}: git state only)\n")
    if done.backup is not None:
        out.write(f"backup   {done.backup.folder} ({len(done.backup.files)} files)\n")
    if done.pruned_backups or done.pruned_handoffs:
        out.write(f"pruned   {done.pruned_backups} old backup(s), {done.pruned_handoffs} old handoff file(s)\n")
    return 0


def created_json(done: Checkpoint, transcript: Path | None) -> dict[str, Any]:
    """`sfp.handoff-create/1`: what was written, the backup made with it, and what was pruned."""
    backup = done.backup
    return {
        "schema": CREATE_SCHEMA, "id": done.handoff.id, "path": str(done.handoff.markdown),
        "json_path": str(done.handoff.json), "transcript": str(transcript) if transcript else None,
        "backup": {"id": backup.backup_id, "path": str(backup.folder), "file_count": len(backup.files)}
        if backup is not None else None,
        "pruned_backup_count": done.pruned_backups, "pruned_handoff_count": done.pruned_handoffs,
    }


def handoff_list(claude_dir: Path, *, as_json: bool, out: IO[str]) -> int:
    rows = [row_json(stored, handoff) for stored, handoff in readable_handoffs(claude_dir)]
    if as_json:
        write_json(out, {"schema": LIST_SCHEMA, "handoffs": rows})
    elif not rows:
        out.write(f"no handoffs yet in {paths.handoffs_dir(claude_dir)}\n")
    else:
        for row in rows:
            out.write(f"{row['id']}  {row['created_at']}  {row['trigger']:<11} {row['open_task_count']} open task(s), "
                      f"{row['changed_file_count']} file(s) changed  {row['project']}\n")
    return 0


def readable_handoffs(claude_dir: Path) -> list[tuple[StoredHandoff, Handoff]]:
    """The handoffs kept, newest first; a folder that is there but can't be read is an error."""
    if not readable_folder(paths.handoffs_dir(claude_dir), "the handoffs"):
        return []
    loaded = [(stored, load_handoff(stored)) for stored in list_handoffs(claude_dir)]
    return [(stored, handoff) for stored, handoff in loaded if handoff is not None]


def row_json(stored: StoredHandoff, handoff: Handoff) -> dict[str, Any]:
    return {"id": stored.id, "created_at": utc_moment(handoff.created), "project": handoff.cwd,
            "trigger": handoff.trigger, "open_task_count": len(handoff.open_tasks),
            "changed_file_count": len(handoff.files_changed), "path": str(stored.markdown)}


def handoff_show(claude_dir: Path, which: str | None, *, as_json: bool, out: IO[str]) -> int:
    stored = find(claude_dir, which or "latest")
    if as_json:
        handoff = load_handoff(stored)
        if handoff is None:
            raise StorageError(f"{stored.json} can't be read: `sfp handoff show {stored.id}` shows its Markdown")
        write_json(out, handoff_json(stored, handoff))
    else:
        out.write(stored.markdown.read_text(encoding="utf-8"))
    return 0


def handoff_json(stored: StoredHandoff, handoff: Handoff) -> dict[str, Any]:
    """`sfp.handoff/1`: the stored record under the JSON convention's names, with its id and files."""
    record = {COUNT_NAMES.get(key, key): value for key, value in to_json(handoff).items()
              if key not in ("schema", "created")}
    return {"schema": SCHEMA, "id": stored.id, "created_at": utc_moment(handoff.created),
            "path": str(stored.markdown), "json_path": str(stored.json), **record}


def find(claude_dir: Path, which: str) -> StoredHandoff:
    folder = paths.handoffs_dir(claude_dir)
    handoffs = list_handoffs(claude_dir) if readable_folder(folder, "the handoffs") else []
    if not handoffs:
        raise UsageError(f"no handoffs yet in {folder}: `sfp handoff` writes one now")
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
    add_json(parser, f"print as JSON (schemas {CREATE_SCHEMA}, {LIST_SCHEMA}, {SCHEMA})")
    parser.add_argument("--transcript", metavar="FILE", help="build from this transcript (default: the project's newest)")
    add_project(parser)


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    if args.action and args.transcript:
        raise UsageError(f"--transcript is for writing a handoff, not for `sfp handoff {args.action}`")
    if args.action == "list" and args.id:
        raise UsageError(f"`sfp handoff list` takes no id (`sfp handoff show {args.id}` shows one)")
    if args.action == "list":
        return handoff_list(claude_dir, as_json=args.json, out=out)
    if args.action == "show":
        return handoff_show(claude_dir, args.id, as_json=args.json, out=out)
    return handoff_create(claude_dir, project_dir(args.project), transcript=args.transcript, as_json=args.json, out=out)
