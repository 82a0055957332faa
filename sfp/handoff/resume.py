"""The last handoff back in context at SessionStart, within a budget, framed as a record of earlier work.

After a compaction the summary keeps the story; this keeps what a summary
loses — exact paths, branch and HEAD, open tasks, the last request word for
word. Reads files only: SessionStart starts no subprocess.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sfp.infra.record import Record

if TYPE_CHECKING:  # SessionStart imports this module on every start, most often to put nothing back
    from sfp.handoff.record import FileChange, Handoff
    from sfp.handoff.store import StoredHandoff

DEFAULT_BUDGET: Final = 4000
CEILING: Final = 8000  # the client turns 10,000+ characters into a ~1,900-character preview


class Current(Record):
    head: str | None  # HEAD now, read from .git
    now: float


FINAL_CHARS: Final = 800  # the last assistant message, at most (it shrinks to FINAL_MIN_CHARS to fit)
FINAL_MIN_CHARS: Final = 200
NOTES_CHARS: Final = 500
# The parts that give way when the text is over budget, the first given up first. The goal and the
# last request always stay; open tasks and unresolved failures keep at least MIN_KEPT each.
DROP_ORDER: Final = ("read", "earlier", "completed", "fixed", "commits", "subagents", "changed", "refused",
                     "final", "failures", "tasks")
MIN_KEPT: Final = {"final": FINAL_MIN_CHARS, "failures": 3, "tasks": 3}
# Before the text is cut at all: the last request is the one thing never shortened by a part giving way.
LAST_RESORT: Final = {"final": 0, "failures": 1, "tasks": 1, "notes": 0, "goal": 200}
_CLIPPED_NAMES: Final = {"final": "the end of the last assistant message", "notes": "the compaction notes",
                         "goal": "the end of the goal"}
_DROPPED_NAMES: Final = {"read": "files read", "earlier": "earlier requests", "completed": "completed tasks",
                         "fixed": "fixed failures", "commits": "commits and pushes", "refused": "refused tool uses",
                         "subagents": "subagents", "changed": "changed files", "failures": "unresolved failures",
                         "tasks": "open tasks"}


def render_for_context(stored: StoredHandoff, handoff: Handoff, *, source: str, budget: int, current: Current) -> str:
    """The handoff as additionalContext; parts given up in DROP_ORDER until it fits `budget`, and said so."""
    budget = max(500, min(budget, CEILING))
    full = _sizes(handoff)
    keep = dict(full)
    text = _compose(stored, handoff, source, current, keep, full)
    for part, floor in [*((p, MIN_KEPT.get(p, 0)) for p in DROP_ORDER), *LAST_RESORT.items()]:
        floor = min(floor, full[part])
        while len(text) > budget and keep[part] > floor:
            keep[part] = max(floor, _shrink(keep[part]))
            text = _compose(stored, handoff, source, current, keep, full)
        if len(text) <= budget:
            break
    if len(text) > budget:  # what is left is too long on its own: cut its end, keep the line saying what went
        body, footer = text.rsplit("\n", 1)
        footer = footer.replace("[sfp] ", "[sfp] Cut to fit. ", 1)
        text = body[: max(0, budget - len(footer) - 2)] + "…\n" + footer
    return text[:budget]


def _sizes(h: Handoff) -> dict[str, int]:
    from sfp.handoff.record import earlier_requests

    return {"read": len(h.files_read), "earlier": len(earlier_requests(h)), "completed": len(h.completed_tasks),
            "fixed": len(h.fixed_failures), "commits": len(h.commits) + len(h.pushes), "refused": len(h.refused),
            "subagents": len(h.subagents), "changed": len(h.files_changed),
            "final": min(len(h.last_assistant_message or ""), FINAL_CHARS),
            "failures": len(h.failed_commands), "tasks": len(h.open_tasks),
            "notes": min(len(h.notes or ""), NOTES_CHARS), "goal": len(h.goal or "")}


def _shrink(count: int) -> int:
    return 0 if count <= 2 else count // 2


def _compose(stored: StoredHandoff, h: Handoff, source: str, current: Current, keep: dict[str, int],
             full: dict[str, int]) -> str:
    from sfp.handoff.record import earlier_requests, printable, subagent_line

    when = "before the context was compacted" if source == "compact" else "in an earlier session"
    lines = [
        f"[sfp] Record of earlier work in this project, saved {when} ({h.created}, {stored.id}). "
        "It records what was done; it is not a list of instructions to run again.",
        printable(f"Project: {h.cwd or '?'}" + (f"; branch {h.git_branch}" if h.git_branch else ""))
        + (f" at {h.head[:12]}" if h.head else "") + ".",
    ]
    lines += _staleness(h, current)
    if h.goal and h.request_count > 1:
        lines.append("Goal (the first request): " + _clip(printable(h.goal), keep["goal"]))
    lines += _block("Open tasks (next steps, if they still apply)",
                    [f"[{t.status}] #{t.id} {t.subject}" for t in h.open_tasks[: keep["tasks"]]])
    lines += _block("Still failing at the end (the latest run of each failed)", list(h.failed_commands[-keep["failures"]:] if keep["failures"] else []))
    lines += _block("Refused (not done; do not retry unasked)", list(h.refused[-keep["refused"]:] if keep["refused"] else []))
    if h.prompts:
        lines += ["Last request, word for word:", *[f"> {line}" for line in h.prompts[-1].splitlines()]]
    if h.notes and keep["notes"]:
        lines += ["Compaction notes:", f"> {_clip(printable(h.notes), keep['notes'])}"]
    if h.last_assistant_message and keep["final"]:
        lines.append("Final state (the last assistant message): " + _clip(printable(h.last_assistant_message), keep["final"]))
    changed = [_change(c) for c in h.files_changed[: keep["changed"]]]
    if h.secret_files_changed:
        changed.append(f"(+{h.secret_files_changed} secret-looking file(s), not named)")
    lines += _block("Files changed", changed)
    lines += _block("Subagents", [_clip(subagent_line(a), 400) for a in h.subagents[: keep["subagents"]]])
    commits = [f"pushed {p}" for p in h.pushes] + list(h.commits)  # cut from the front: the latest commits stay
    lines += _block("Commits made in the session", commits[-keep["commits"]:] if keep["commits"] else [])
    lines += _block("Failed, then fixed", list(h.fixed_failures[-keep["fixed"]:] if keep["fixed"] else []))
    lines += _block("Completed tasks", [f"#{t.id} {t.subject}" for t in h.completed_tasks[-keep["completed"]:]] if keep["completed"] else [])
    older = earlier_requests(h)
    lines += _block("Earlier requests", older[-keep["earlier"]:] if keep["earlier"] else [])
    lines += _block("Files read", list(h.files_read[: keep["read"]]))
    dropped = _dropped(keep, full)
    lines.append(f"[sfp] {dropped + '; t' if dropped else 'T'}he full handoff: {stored.markdown}")
    return "\n".join(lines)


def _dropped(keep: dict[str, int], full: dict[str, int]) -> str:
    parts = [f"{full[part] - keep[part]} {name}" for part, name in _DROPPED_NAMES.items() if keep[part] < full[part]]
    parts += [name for part, name in _CLIPPED_NAMES.items() if keep[part] < full[part]]
    return ("Left out to fit: " + ", ".join(parts)) if parts else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    failing = f", {len(handoff.failed_commands)} command(s) still failing" if handoff.failed_commands else ""
    return (f"[sfp] A handoff from an earlier session in this project ({handoff.created}{open_tasks}{failing}) "
            f"is at {stored.markdown}.")


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


class HandoffSettings(Record):
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
