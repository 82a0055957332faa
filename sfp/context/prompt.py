"""What the UserPromptSubmit hook adds: the person's TAGs, and any project problem — once per session.

The tags go in with the first prompt of a session, again after a compaction
(its summary drops them) or when a context file changed, and every other
prompt adds nothing. The evidence checks run only when the tags go in, and
their summary is added only when a check failed or warned. The whole text
stays within `tags.budget_chars` (sfp.yaml): tags are left out from the
end, and the text says how many.

Per session, `sfp.infra.session_state` keeps under "tags": the fingerprint of the
context files (path, mtime_ns, size), the transcript's path, and the byte
offset up to which the transcript was searched for a compact boundary. A
prompt therefore costs a config read, a few stats and a read of what the
transcript gained since the offset; the offset is saved only when the tags
go in or when more than `RESAVE_BYTES` went unsaved, so most prompts write
nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sfp.context.tags import (
    PROJECT_FILES,
    TagSettings,
    context_files,
    fingerprint,
    home_relative,
    load_tag_settings,
    render_block,
    scan_tags,
)
from sfp.infra import paths
from sfp.infra.record import Record
from sfp.infra.session_state import read_section, scan_for_compaction, write_section

STATE_KEY: Final = "tags"
RESAVE_BYTES: Final = 1024 * 1024
MIN_TAGS_BUDGET: Final = 200

FIRST: Final = "first prompt of the session"
COMPACTED: Final = "the session was compacted"
CHANGED: Final = "a context file changed"
NEW_TRANSCRIPT: Final = "the session has a new transcript"
STATELESS: Final = "no session id: added every time"
ALREADY: Final = "already added in this session"
DISABLED: Final = "turned off (tags.enabled: false in sfp.yaml)"


class Injection(Record):
    context: str | None  # what the model gets; None: nothing
    reason: str  # why it was added, or why not
    shown: int = 0  # tags in the text
    dropped: int = 0  # tags left out to fit the budget
    warnings: tuple[str, ...] = ()


def prompt_context(
    claude_dir: Path,
    project: Path | None,
    session_id: str | None,
    transcript: Path | None,
    environ: Mapping[str, str] = os.environ,
    now: float | None = None,
) -> Injection:
    """What this prompt should add, and the session's state updated to match (when there is a session)."""
    settings = load_tag_settings(claude_dir, project)
    if not settings.enabled:
        return Injection(None, DISABLED)
    files = context_files(claude_dir, project, settings)
    prints = fingerprint(files)
    if session_id is None:
        return compose(claude_dir, project, files, settings, environ, STATELESS)
    saved = read_section(claude_dir, session_id, STATE_KEY)
    transcript = transcript or _saved_transcript(saved)
    reason, scanned_to = why_add(saved, prints, transcript)
    if reason is None:
        if scanned_to - _offset(saved) > RESAVE_BYTES:
            _save(claude_dir, session_id, saved | {"scanned_to": scanned_to}, settings, now)
        return Injection(None, ALREADY)
    injection = compose(claude_dir, project, files, settings, environ, reason)
    record = {"fingerprint": prints, "transcript": str(transcript) if transcript else None,
              "scanned_to": scanned_to, "added_at": time.time() if now is None else now, "reason": reason}
    problem = _save(claude_dir, session_id, record, settings, now)
    return injection if problem is None else injection._replace(warnings=(*injection.warnings, problem))


def why_add(saved: Mapping[str, Any], prints: list[list[object]], transcript: Path | None) -> tuple[str | None, int]:
    """(why the tags go in now, or None; the transcript offset to remember)."""
    if not saved:
        return FIRST, _size(transcript)
    if saved.get("fingerprint") != prints:
        return CHANGED, _size(transcript)
    if (str(transcript) if transcript else None) != saved.get("transcript"):
        return NEW_TRANSCRIPT, _size(transcript)
    scan = scan_for_compaction(transcript, _offset(saved))
    return (COMPACTED if scan.compacted else None), scan.scanned_to


def compose(
    claude_dir: Path,
    project: Path | None,
    files: Sequence[Path],
    settings: TagSettings,
    environ: Mapping[str, str],
    reason: str,
) -> Injection:
    """The text for the model: the tags block, then the evidence summary when a check failed or warned."""
    scan = scan_tags(files, settings)
    evidence = evidence_text(claude_dir, project, environ) if settings.evidence and project is not None else None
    budget = settings.budget_chars
    if evidence is not None:
        evidence = _fit(evidence, budget // 2)
    parts: list[str] = []
    shown = dropped = 0
    if scan.tags:
        room = max(budget - (len(evidence) + 2 if evidence else 0), MIN_TAGS_BUDGET)
        block = render_block(scan.tags, tags_header(claude_dir, project, scan.files, reason, environ), room)
        parts.append(block.text)
        shown, dropped = block.shown, block.dropped
    if evidence:
        parts.append(evidence)
    return Injection("\n\n".join(parts) or None, reason, shown, dropped, scan.warnings)


def tags_header(claude_dir: Path, project: Path | None, read: Sequence[Path], reason: str,
                environ: Mapping[str, str] = os.environ) -> str:
    where = home_relative(paths.context_dir(claude_dir), environ)
    if project is not None and {project / name for name in PROJECT_FILES} & set(read):
        where += " and this project's CLAUDE.md"
    updated = ", updated since earlier in this session" if reason == CHANGED else ""
    return f"[sfp] Context from your context files ({where}){updated}:"


def evidence_text(claude_dir: Path, project: Path, environ: Mapping[str, str]) -> str | None:
    from sfp.config.layers import load_config
    from sfp.context.evidence import evidence_summary, run_evidence
    from sfp.context.evidence import settings_from as evidence_settings_from

    report = run_evidence(project, evidence_settings_from(load_config("evidence", claude_dir, project).data), environ)
    return evidence_summary(report, home_relative(project, environ))


def _save(claude_dir: Path, session_id: str, record: Mapping[str, Any], settings: TagSettings,
          now: float | None) -> str | None:
    """Write the session's record; a problem is returned as text (the tags still go in)."""
    from sfp.errors import SfpError

    try:
        write_section(claude_dir, session_id, STATE_KEY, record, keep_days=settings.state_keep_days, now=now)
    except SfpError as exc:
        return f"session state not saved, so the tags will be added again: {exc}"
    return None


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _offset(saved: Mapping[str, Any]) -> int:
    value = saved.get("scanned_to")
    return value if isinstance(value, int) and value >= 0 else 0


def _saved_transcript(saved: Mapping[str, Any]) -> Path | None:
    value = saved.get("transcript")
    return Path(value) if isinstance(value, str) and value else None


def _size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
