"""The handoff: what happened in a session, built from its transcript, for the next session to start from.

Deterministic and offline: no model writes it. File contents never go in;
paths that look like secrets are only counted; prompts and commands are
redacted. Written as markdown (for people) and JSON (for sfp) side by side.
"""

from __future__ import annotations

import fnmatch
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple, TYPE_CHECKING

from sfp.infra import paths
from sfp.infra.redact import redact

if TYPE_CHECKING:  # the transcript reader is only needed to make a handoff, not to find one
    from sfp.infra.git import GitState
    from sfp.claude.transcript import Transcript

SCHEMA: Final = "sfp.handoff/1"
PROMPTS_KEPT: Final = 5
OLDER_PROMPT_CHARS: Final = 200
ASSISTANT_CHARS: Final = 2000
SECRET_PATH_PATTERNS: Final = (
    ".env", ".env.*", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*credential*",
    "*secret*", "id_rsa*", "id_ed25519*", "id_ecdsa*", "id_dsa*", ".netrc", ".npmrc", ".pypirc", "*.kdbx",
)


class FileChange(NamedTuple):
    path: str
    added: int | None = None
    removed: int | None = None


class TaskNote(NamedTuple):
    id: str
    subject: str
    status: str


class Handoff(NamedTuple):
    created: str  # ISO 8601, UTC
    session_id: str | None
    trigger: str  # manual | auto | session_end | command
    cwd: str | None
    git_root: str | None
    git_branch: str | None
    head: str | None
    git_status: tuple[str, ...] = ()
    completed_tasks: tuple[TaskNote, ...] = ()
    open_tasks: tuple[TaskNote, ...] = ()
    files_changed: tuple[FileChange, ...] = ()
    files_read: tuple[str, ...] = ()
    secret_files_changed: int = 0
    secret_files_read: int = 0
    prompts: tuple[str, ...] = ()  # oldest first; the newest word for word
    last_assistant_message: str | None = None
    failed_commands: tuple[str, ...] = ()
    notes: str | None = None  # PreCompact custom_instructions
    compactions: int = 0
    schema: str = SCHEMA


def is_secret_path(path: str) -> bool:
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SECRET_PATH_PATTERNS)


def build_handoff(
    transcript: Transcript,
    *,
    session_id: str | None,
    cwd: str | None,
    git: GitState | None,
    trigger: str,
    notes: str | None = None,
    now: float | None = None,
) -> Handoff:
    written = list(transcript.files_written)
    shown_written = [p for p in written if not is_secret_path(p)]
    read = [p for p in transcript.files_read if p not in written]
    shown_read = [p for p in read if not is_secret_path(p)]
    numstat = _numstat_by_path(git, shown_written)
    prompts = list(transcript.prompts[-PROMPTS_KEPT:])
    trimmed = [_clip(redact(p), OLDER_PROMPT_CHARS) for p in prompts[:-1]] + [redact(p) for p in prompts[-1:]]
    return Handoff(
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        session_id=session_id or transcript.session_id,
        trigger=trigger,
        cwd=cwd or transcript.cwd,
        git_root=git.root if git else None,
        git_branch=(git.branch if git and git.branch else transcript.git_branch),
        head=git.head if git else None,
        git_status=tuple(redact(line) for line in (git.status if git else ())[:50]),
        completed_tasks=tuple(_task(t) for t in transcript.tasks if t.status == "completed"),
        open_tasks=tuple(_task(t) for t in transcript.tasks if t.status != "completed"),
        files_changed=tuple(FileChange(p, *numstat.get(p, (None, None))) for p in shown_written),
        files_read=tuple(shown_read),
        secret_files_changed=len(written) - len(shown_written),
        secret_files_read=len(read) - len(shown_read),
        prompts=tuple(trimmed),
        last_assistant_message=_clip(redact(transcript.last_assistant_message), ASSISTANT_CHARS)
        if transcript.last_assistant_message else None,
        failed_commands=tuple(redact(f.summary) for f in transcript.failed_tools[-10:]),
        notes=redact(notes) if notes else None,
        compactions=transcript.compact_boundaries,
    )


def _task(task: Any) -> TaskNote:
    return TaskNote(str(task.id), redact(str(task.subject)), str(task.status))


def _numstat_by_path(git: GitState | None, files: Sequence[str]) -> dict[str, tuple[int | None, int | None]]:
    if git is None or not git.numstat:
        return {}
    counts = {}
    for path in files:
        try:
            relative = Path(path).resolve().relative_to(Path(git.root).resolve()).as_posix() if os.path.isabs(path) else path
        except (ValueError, OSError):
            continue
        if relative in git.numstat:
            counts[path] = git.numstat[relative]
    return counts


def _clip(text: str | None, limit: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- rendering -------------------------------------------------------------------------------------------


def render_markdown(handoff: Handoff) -> str:
    lines = [f"# Handoff — {handoff.created}", ""]
    lines += [f"- Session: `{handoff.session_id or 'unknown'}` (trigger: {handoff.trigger})",
              f"- Project: `{handoff.cwd or 'unknown'}`" + (f" (git root `{handoff.git_root}`)" if handoff.git_root else ""),
              f"- Branch: `{handoff.git_branch or '-'}` at `{(handoff.head or '-')[:12]}`", ""]
    lines += _section("Open tasks (next steps)", [f"[{t.status}] #{t.id} {t.subject}" for t in handoff.open_tasks])
    lines += _section("Completed tasks", [f"#{t.id} {t.subject}" for t in handoff.completed_tasks])
    lines += _section("Files changed", [_change_line(c) for c in handoff.files_changed]
                      + ([f"(+ {handoff.secret_files_changed} secret-looking file(s), not named)"]
                         if handoff.secret_files_changed else []))
    lines += _section("Files read", list(handoff.files_read)
                      + ([f"(+ {handoff.secret_files_read} secret-looking file(s), not named)"] if handoff.secret_files_read else []))
    lines += _section("git status --short", [f"`{s}`" for s in handoff.git_status])
    if handoff.prompts:
        lines += ["## Last request (word for word)", "", _quote(handoff.prompts[-1]), ""]
        lines += _section("Earlier requests", list(handoff.prompts[:-1]))
    lines += _section("Failed commands", list(handoff.failed_commands))
    if handoff.last_assistant_message:
        lines += ["## Last assistant message", "", _quote(handoff.last_assistant_message), ""]
    if handoff.notes:
        lines += ["## Notes (compaction instructions)", "", _quote(handoff.notes), ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    return [f"## {title}", "", *[f"- {item}" for item in items], ""] if items else []


def _change_line(change: FileChange) -> str:
    if change.added is None and change.removed is None:
        return f"`{change.path}`"
    return f"`{change.path}` (+{change.added if change.added is not None else '?'} -{change.removed if change.removed is not None else '?'})"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def to_json(handoff: Handoff) -> dict[str, Any]:
    return {key: _plain(value) for key, value in handoff._asdict().items()}


def _plain(value: Any) -> Any:
    """Records inside the handoff as JSON objects (a NamedTuple would otherwise become a list)."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: _plain(item) for key, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def from_json(value: Mapping[str, Any]) -> Handoff:
    """A handoff read back from its .json (missing or odd fields get their defaults)."""
    def tasks(key: str) -> tuple[TaskNote, ...]:
        return tuple(TaskNote(str(t.get("id", "")), str(t.get("subject", "")), str(t.get("status", "")))
                     for t in value.get(key) or [] if isinstance(t, dict))

    def strings(key: str) -> tuple[str, ...]:
        return tuple(str(s) for s in value.get(key) or [] if isinstance(s, (str, int, float)))

    def text(key: str) -> str | None:
        item = value.get(key)
        return item if isinstance(item, str) else None

    def number(key: str) -> int:
        item = value.get(key)
        return item if isinstance(item, int) and not isinstance(item, bool) else 0

    changes = tuple(FileChange(str(c.get("path", "")), c.get("added") if isinstance(c.get("added"), int) else None,
                               c.get("removed") if isinstance(c.get("removed"), int) else None)
                    for c in value.get("files_changed") or [] if isinstance(c, dict))
    return Handoff(
        created=text("created") or "", session_id=text("session_id"), trigger=text("trigger") or "",
        cwd=text("cwd"), git_root=text("git_root"), git_branch=text("git_branch"), head=text("head"),
        git_status=strings("git_status"), completed_tasks=tasks("completed_tasks"), open_tasks=tasks("open_tasks"),
        files_changed=changes, files_read=strings("files_read"),
        secret_files_changed=number("secret_files_changed"), secret_files_read=number("secret_files_read"),
        prompts=strings("prompts"), last_assistant_message=text("last_assistant_message"),
        failed_commands=strings("failed_commands"), notes=text("notes"), compactions=number("compactions"),
    )


# --- storage ---------------------------------------------------------------------------------------------


class StoredHandoff(NamedTuple):
    markdown: Path
    json: Path

    @property
    def id(self) -> str:
        return self.markdown.stem


def write_handoff(claude_dir: Path, handoff: Handoff, *, now: float | None = None) -> StoredHandoff:
    """`handoffs/handoff-YYYYMMDD-HHMMSS-<session8>[-N].md` and `.json`, each written atomically."""
    from sfp.infra.storage import ensure_private_dir, write_atomic

    folder = ensure_private_dir(paths.handoffs_dir(claude_dir))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = f"handoff-{stamp}-{_name_part(handoff.session_id)}"
    markdown = _claim(folder, base)
    stored = StoredHandoff(markdown, markdown.with_suffix(".json"))
    write_atomic(stored.json, json.dumps(to_json(handoff), indent=2, ensure_ascii=False) + "\n")
    write_atomic(stored.markdown, render_markdown(handoff))
    return stored


def _name_part(session_id: str | None) -> str:
    """The session id's first 8 characters, safe in a file name whatever the payload said."""
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "_", (session_id or "nosession")[:8]) or "nosession"


def _claim(folder: Path, base: str) -> Path:
    """A name no other hook holds: concurrent hooks of one session in one second get -2, -3, ..."""
    from sfp.errors import StorageError

    for n in range(1, 1000):
        candidate = folder / (f"{base}.md" if n == 1 else f"{base}-{n}.md")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot write a handoff in {folder}: {exc.strerror}") from None
    raise StorageError(f"cannot find a free handoff name for {base} in {folder}")


def list_handoffs(claude_dir: Path) -> list[StoredHandoff]:
    """Complete handoffs (both files present), newest first."""
    folder = paths.handoffs_dir(claude_dir)
    try:
        names = [p for p in folder.glob("handoff-*.md") if p.with_suffix(".json").exists()]
    except OSError:
        return []
    names.sort(key=lambda p: (_mtime(p), p.name), reverse=True)
    return [StoredHandoff(p, p.with_suffix(".json")) for p in names]


def load_handoff(stored: StoredHandoff) -> Handoff | None:
    try:
        value = json.loads(stored.json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return from_json(value) if isinstance(value, dict) else None


def latest_for_project(claude_dir: Path, cwd: str | None, git_root: str | None, *, limit: int = 50) -> tuple[StoredHandoff, Handoff] | None:
    """The newest handoff of this project — same git root, or same cwd — never another project's."""
    for stored in list_handoffs(claude_dir)[:limit]:
        handoff = load_handoff(stored)
        if handoff is not None and same_project(handoff, cwd, git_root):
            return stored, handoff
    return None


def same_project(handoff: Handoff, cwd: str | None, git_root: str | None) -> bool:
    if git_root and handoff.git_root:
        return _norm(git_root) == _norm(handoff.git_root)
    return bool(cwd and handoff.cwd and _norm(cwd) == _norm(handoff.cwd))


def _norm(path: str) -> str:
    return os.path.normpath(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# --- making one ------------------------------------------------------------------------------------------


def make_handoff(
    claude_dir: Path,
    *,
    transcript_path: str | None,
    session_id: str | None,
    cwd: str | None,
    trigger: str,
    notes: str | None = None,
) -> tuple[StoredHandoff, Handoff]:
    """Read the transcript and git, build the handoff, write it. An unreadable transcript gives a thinner
    handoff, not none; only a handoff that can't be written raises (StorageError)."""
    from sfp.infra import git
    from sfp.errors import UsageError
    from sfp.claude.transcript import Transcript, read_transcript

    transcript = Transcript()
    if transcript_path:
        try:
            transcript = read_transcript(Path(transcript_path))
        except UsageError:
            pass
    folder = cwd or transcript.cwd
    state = git.state(Path(folder)) if folder and Path(folder).is_dir() else None
    handoff = build_handoff(transcript, session_id=session_id, cwd=folder, git=state, trigger=trigger, notes=notes)
    return write_handoff(claude_dir, handoff), handoff


def drop_superseded(claude_dir: Path, keep: StoredHandoff, session_id: str | None) -> list[Path]:
    """Remove this session's older SessionEnd handoffs: each `claude -p` run ends the session once,
    and only the newest of those says anything the others don't. Compaction handoffs stay."""
    if not session_id:
        return []
    removed = []
    for stored in list_handoffs(claude_dir):
        if stored.markdown == keep.markdown or f"-{_name_part(session_id)}" not in stored.markdown.name:
            continue
        old = load_handoff(stored)
        if old is not None and old.session_id == session_id and old.trigger == "session_end":
            for path in (stored.json, stored.markdown):
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
    return removed


def transcripts_folder(claude_dir: Path, cwd: str) -> Path:
    """Where Claude Code keeps a project's transcripts: every character but letters and digits becomes `-`."""
    import re

    return claude_dir / "projects" / re.sub(r"[^A-Za-z0-9]", "-", cwd)


def newest_transcript(claude_dir: Path, cwd: str) -> Path | None:
    try:
        candidates = list(transcripts_folder(claude_dir, cwd).glob("*.jsonl"))
    except OSError:
        return None
    return max(candidates, key=_mtime, default=None)
