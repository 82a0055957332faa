"""`sfp handoff [list|show [ID|latest]]`: the runbook's handoff-backup by hand, and the handoffs kept."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from sfp.errors import UsageError
from sfp.handoff.record import to_json
from sfp.claude.projects import newest_transcript
from sfp.handoff.checkpoint import make_handoff
from sfp.handoff.store import StoredHandoff, list_handoffs, load_handoff


def handoff_create(claude_dir: Path, project: Path, *, transcript: str | None, out: IO[str]) -> int:
    """Handoff from the project's newest transcript (or --transcript), backup, prune — and say so."""
    from sfp.backup.create import create_backup
    from sfp.backup.store import prune_backups
    from sfp.handoff.store import prune_handoffs
    from sfp.backup.model import settings_from_config
    from sfp.config.layers import load_config

    source = Path(transcript) if transcript else newest_transcript(claude_dir, str(project))
    if transcript and not Path(transcript).is_file():
        raise UsageError(f"{transcript}: no such transcript")
    stored, handoff = make_handoff(claude_dir, transcript_path=str(source) if source else None,
                                   session_id=source.stem if source else None, cwd=str(project), trigger="command")
    out.write(f"handoff  {stored.markdown}\n")
    if source is None:
        out.write(f"         (no transcript of {project} found under {claude_dir / 'projects'}: git state only)\n")
    settings = settings_from_config(load_config("sfp", claude_dir, project).get("backup", default={}))
    backup = create_backup(claude_dir, project, settings, reason="sfp handoff")
    out.write(f"backup   {backup.folder} ({len(backup.files)} files)\n")
    pruned = prune_backups(claude_dir, settings.keep)
    old_handoffs = prune_handoffs(claude_dir, settings.keep_handoffs)
    if pruned or old_handoffs:
        out.write(f"pruned   {len(pruned)} old backup(s), {len(old_handoffs)} old handoff file(s)\n")
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
