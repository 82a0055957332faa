"""The last handoff back in context at SessionStart, within a budget, framed as a record of earlier work.

After a compaction the summary keeps the story; this keeps what a summary
loses — exact paths, branch and HEAD, open tasks, the last request word for
word. Reads files only: SessionStart starts no subprocess.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:  # SessionStart imports this module on every start, most often to put nothing back
    from sfp.handoff.record import FileChange, Handoff
    from sfp.handoff.store import StoredHandoff

DEFAULT_BUDGET: Final = 4000
CEILING: Final = 8000  # the client turns 10,000+ characters into a ~1,900-character preview


class Current(NamedTuple):
    head: str | None  # HEAD now, read from .git
    now: float


def render_for_context(stored: StoredHandoff, handoff: Handoff, *, source: str, budget: int, current: Current) -> str:
    """The handoff as additionalContext; parts dropped in a fixed order until it fits `budget`."""
    budget = max(500, min(budget, CEILING))
    keep = {"read": len(handoff.files_read), "prompts": max(len(handoff.prompts) - 1, 0), "changed": len(handoff.files_changed)}
    order = ["read", "prompts", "changed"]
    text = _compose(stored, handoff, source, current, keep)
    while len(text) > budget and any(keep.values()):
        part = next(p for p in order if keep[p])
        keep[part] = _shrink(keep[part])
        text = _compose(stored, handoff, source, current, keep)
    if len(text) > budget:
        text = text[: budget - 80].rsplit("\n", 1)[0] + f"\n[sfp] Cut to fit; the full handoff: {stored.markdown}"
    return text


def _shrink(count: int) -> int:
    return 0 if count <= 2 else count // 2


def _compose(stored: StoredHandoff, h: Handoff, source: str, current: Current, keep: dict[str, int]) -> str:
    from sfp.handoff.record import printable

    when = "before the context was compacted" if source == "compact" else "in an earlier session"
    lines = [
        f"[sfp] Record of earlier work in this project, saved {when} ({h.created}, {stored.id}). "
        "It records what was done; it is not a list of instructions to run again.",
        printable(f"Project: {h.cwd or '?'}" + (f"; branch {h.git_branch}" if h.git_branch else ""))
        + (f" at {h.head[:12]}" if h.head else "") + ".",
    ]
    lines += _staleness(h, current)
    lines += _block("Open tasks (next steps, if they still apply)", [f"[{t.status}] #{t.id} {t.subject}" for t in h.open_tasks])
    lines += _block("Completed tasks", [f"#{t.id} {t.subject}" for t in h.completed_tasks])
    changed = [_change(c) for c in h.files_changed[: keep["changed"]]]
    if h.secret_files_changed:
        changed.append(f"(+{h.secret_files_changed} secret-looking file(s), not named)")
    lines += _block("Files changed", changed)
    if h.prompts:
        lines += ["Last request, word for word:", *[f"> {line}" for line in h.prompts[-1].splitlines()]]
    older = list(h.prompts[:-1])[-keep["prompts"]:] if keep["prompts"] else []
    lines += _block("Earlier requests", older)
    lines += _block("Failed commands", list(h.failed_commands[-5:]))
    lines += _block("Files read", list(h.files_read[: keep["read"]]))
    if h.notes:
        lines += ["Compaction notes:", f"> {h.notes}"]
    dropped = _dropped(h, keep)
    lines.append(f"[sfp] {dropped + '; t' if dropped else 'T'}he full handoff: {stored.markdown}")
    return "\n".join(lines)


def _dropped(h: Handoff, keep: dict[str, int]) -> str:
    parts = []
    if keep["read"] < len(h.files_read):
        parts.append(f"{len(h.files_read) - keep['read']} files read")
    if keep["prompts"] < max(len(h.prompts) - 1, 0):
        parts.append(f"{len(h.prompts) - 1 - keep['prompts']} earlier requests")
    if keep["changed"] < len(h.files_changed):
        parts.append(f"{len(h.files_changed) - keep['changed']} changed files")
    return ("Left out to fit: " + ", ".join(parts)) if parts else ""


def _staleness(h: Handoff, current: Current) -> list[str]:
    notes = []
    if h.head and current.head and current.head != h.head:
        notes.append(f"Note: HEAD has moved since this record (was {h.head[:12]}, now {current.head[:12]}).")
    created = _epoch(h.created)
    if created is not None:
        newer = [c.path for c in h.files_changed if _mtime(c.path) > created + 1]
        if newer:
            notes.append(f"Note: {len(newer)} of the changed files were modified after this record was written.")
    return notes


def _block(title: str, items: list[str]) -> list[str]:
    from sfp.handoff.record import printable

    return [f"{title}:", *[f"- {printable(item)}" for item in items]] if items else []


def _change(change: FileChange) -> str:
    if change.added is None and change.removed is None:
        return change.path
    return f"{change.path} (+{change.added if change.added is not None else '?'} -{change.removed if change.removed is not None else '?'})"


def pointer(stored: StoredHandoff, handoff: Handoff) -> str:
    open_tasks = f", {len(handoff.open_tasks)} open task(s)" if handoff.open_tasks else ""
    return f"[sfp] A handoff from an earlier session in this project ({handoff.created}{open_tasks}) is at {stored.markdown}."


def is_recent(handoff: Handoff, now: float, days: float) -> bool:
    created = _epoch(handoff.created)
    return created is not None and now - created <= days * 86400


def _epoch(text: str) -> float | None:
    import calendar

    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))
    except (ValueError, TypeError):
        return None


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except (OSError, ValueError):
        return 0.0


def current_state(cwd: str | None, git_root: str | None, now: float | None = None) -> Current:
    from sfp.infra.git import read_head

    head = read_head(Path(git_root))[1] if git_root else None
    return Current(head, time.time() if now is None else now)


class HandoffSettings(NamedTuple):
    """sfp.yaml's `handoff:` section."""

    budget_chars: int = DEFAULT_BUDGET
    on_startup: str | bool = "pointer"  # off (or false, as YAML reads a bare off), pointer or full
    recent_days: float = 7


def context_at_start(claude_dir: Path, settings: HandoffSettings, *, source: str, session_id: str | None,
                     cwd: str | None) -> str | None:
    """What SessionStart puts back: after compact/resume the newest handoff of this project; on a fresh
    start (startup) a pointer to a recent one, or the whole of it, as configured; after /clear nothing."""
    mode = "full" if source not in ("startup", "clear") else settings.on_startup
    if mode in ("off", False) or source == "clear":
        return None
    from sfp.infra.paths import handoffs_dir

    if not handoffs_dir(claude_dir).is_dir():
        return None
    from sfp.handoff.store import latest_for_project
    from sfp.infra.git import find_root

    root = find_root(Path(cwd)) if cwd else None
    found = latest_for_project(claude_dir, cwd, str(root) if root else None)
    if found is None:
        return None
    stored, handoff = found
    if source == "resume" and handoff.session_id and handoff.session_id == session_id:
        return None  # resuming restores this session's whole conversation: its own record adds nothing
    now = time.time()
    if source == "startup":
        if not is_recent(handoff, now, settings.recent_days):
            return None
        if mode == "pointer":
            return pointer(stored, handoff)
    return render_for_context(stored, handoff, source=source, budget=settings.budget_chars,
                              current=current_state(cwd, handoff.git_root, now))
