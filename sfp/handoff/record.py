"""The handoff: what happened in a session, built from its transcript, for the next session to start from.

Deterministic and offline: no model writes it. File contents never go in;
paths that look like secrets are only counted; prompts and commands are
redacted. This module is the record and its JSON form; `markdown` renders it
for people, `store` keeps it, `resume` puts it back into context.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sfp.infra.record import Record
from sfp.infra.redact import redact

if TYPE_CHECKING:  # the transcript reader is only needed to make a handoff, not to find one
    from sfp.claude.transcript_summary import Transcript
    from sfp.infra.git import GitState

SCHEMA: Final = "sfp.handoff/1"
PROMPTS_KEPT: Final = 5
OLDER_PROMPT_CHARS: Final = 200
ASSISTANT_CHARS: Final = 2000
GOAL_CHARS: Final = 500
LINE_CHARS: Final = 300  # a failure, a subagent's description or result, a commit, a command
COMMANDS_KEPT: Final = 20
FAILURES_KEPT: Final = 10
SECRET_PATH_PATTERNS: Final = (
    ".env", ".env.*", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*credential*",
    "*secret*", "id_rsa*", "id_ed25519*", "id_ecdsa*", "id_dsa*", ".netrc", ".npmrc", ".pypirc", "*.kdbx",
)


class FileChange(Record):
    path: str
    added: int | None = None
    removed: int | None = None


class TaskNote(Record):
    id: str
    subject: str
    status: str


class SubagentNote(Record):
    agent_type: str  # "" when the call that started it was not found
    description: str
    files_written: tuple[str, ...] = ()
    result: str = ""  # the first lines of its final answer, on one line


class Handoff(Record):
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
    failed_commands: tuple[str, ...] = ()  # still failing at the end (each command's latest failure)
    notes: str | None = None  # PreCompact custom_instructions
    compactions: int = 0
    schema: str = SCHEMA
    goal: str | None = None  # the session's first request, on one line
    request_count: int = 0  # requests in the session (prompts keeps the last PROMPTS_KEPT)
    fixed_failures: tuple[str, ...] = ()  # failed, then a later run of the same command or test target passed
    refused: tuple[str, ...] = ()  # tool uses the person rejected or never permitted
    subagents: tuple[SubagentNote, ...] = ()
    commits: tuple[str, ...] = ()  # "<hash> <subject>"
    pushes: tuple[str, ...] = ()  # "main -> main (origin)", "… ×3" when repeated
    commands: tuple[str, ...] = ()  # the last COMMANDS_KEPT Bash commands, first line each
    client_summary: str | None = None  # PostCompact's compact_summary: the model's own summary, redacted


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
        files_changed=tuple(FileChange(printable(p), *numstat.get(p, (None, None))) for p in shown_written),
        files_read=tuple(printable(p) for p in shown_read),
        secret_files_changed=len(written) - len(shown_written),
        secret_files_read=len(read) - len(shown_read),
        prompts=tuple(trimmed),
        last_assistant_message=_clip(redact(transcript.last_assistant_message), ASSISTANT_CHARS)
        if transcript.last_assistant_message else None,
        failed_commands=tuple(failure_line(f) for f in transcript.open_failures[-FAILURES_KEPT:]),
        notes=redact(notes) if notes else None,
        compactions=transcript.compact_boundaries,
        goal=_clip(redact(transcript.first_prompt), GOAL_CHARS) if transcript.first_prompt else None,
        request_count=transcript.prompt_count,
        fixed_failures=tuple(_line(f.target or f.summary) for f in transcript.fixed_failures[-FAILURES_KEPT:]),
        refused=tuple(_refusal_line(r) for r in transcript.refused[-FAILURES_KEPT:]),
        subagents=tuple(_subagent(a) for a in transcript.subagents),
        commits=tuple(_line(f"{c.hash[:12]} {c.subject}") for c in transcript.commits[-FAILURES_KEPT * 2:]),
        pushes=_counted(_line(p) for p in transcript.pushes),
        commands=tuple(_line(c.splitlines()[0] if c.strip() else c) for c in transcript.commands[-COMMANDS_KEPT:]),
    )


def _line(text: str, limit: int = LINE_CHARS) -> str:
    """Redacted, on one line, clipped: how every list item of a handoff is stored."""
    return printable(_clip(redact(text), limit))


def failure_line(failure: Any) -> str:
    """`pytest -q: FAILED tests/x.py::test_y; …` when the runner named the tests, else the error's summary."""
    if failure.names and failure.target:
        return _line(f"{failure.target}: {'; '.join(failure.names)}")
    return _line(failure.summary)


def _refusal_line(refusal: Any) -> str:
    how = "rejected by the person" if refusal.reason == "rejected" else "never permitted"
    return _line(f"{refusal.tool} {refusal.target} ({how})" if refusal.target else f"{refusal.tool} ({how})")


def _subagent(agent: Any) -> SubagentNote:
    lines = [line.strip() for line in str(agent.result).splitlines() if line.strip()][:3]
    files = tuple(printable(f) for f in agent.files_written if not is_secret_path(f))
    return SubagentNote(_line(str(agent.agent_type), 100), _line(str(agent.description), 200), files,
                        _line(" / ".join(lines)))


def _counted(items: Any) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return tuple(item if n == 1 else f"{item} ×{n}" for item, n in counts.items())


def earlier_requests(handoff: Handoff) -> list[str]:
    """The requests before the last, without the goal when it is among them (it is shown on its own)."""
    earlier = list(handoff.prompts[:-1])
    if earlier and handoff.goal and 0 < handoff.request_count <= len(handoff.prompts):
        earlier = earlier[1:]
    return earlier


def subagent_line(agent: SubagentNote) -> str:
    """`[Explore] Inspect the widget; wrote a.py, b.py; result: …`, on one line."""
    line = f"[{agent.agent_type or 'agent'}] {agent.description}"
    if agent.files_written:
        shown = ", ".join(agent.files_written[:5])
        line += f"; wrote {shown}" + (f" (+{len(agent.files_written) - 5} more)" if len(agent.files_written) > 5 else "")
    if agent.result:
        line += f"; result: {agent.result}"
    return printable(line)


def _task(task: Any) -> TaskNote:
    return TaskNote(printable(str(task.id)), printable(redact(str(task.subject))), str(task.status))


# A file name may hold a newline: written as it is, `x\n## Instructions` would start a heading of its own
# in the handoff and in what the model is told. Control characters are shown as escapes instead.
_ESCAPED: Final = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]} | {
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def printable(text: str) -> str:
    """`text` on one line: line breaks and other control characters as backslash escapes."""
    return text.translate(_ESCAPED) if not text.isprintable() else text


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


def to_json(handoff: Handoff) -> dict[str, Any]:
    return {key: _plain(value) for key, value in handoff._asdict().items()}


def _plain(value: Any) -> Any:
    """Records inside the handoff as JSON objects (a NamedTuple would otherwise become a list)."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: _plain(item) for key, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


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

    agents = tuple(SubagentNote(str(a.get("agent_type", "")), str(a.get("description", "")),
                               tuple(str(f) for f in _list(a.get("files_written")) if isinstance(f, str)),
                               str(a.get("result", "")))
                   for a in _list(value.get("subagents")) if isinstance(a, dict))
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
        goal=text("goal"), request_count=number("request_count"), fixed_failures=strings("fixed_failures"),
        refused=strings("refused"), subagents=agents, commits=strings("commits"), pushes=strings("pushes"),
        commands=strings("commands"), client_summary=text("client_summary"),
    )


CLIENT_SUMMARY_CHARS: Final = 4000


def with_client_summary(handoff: Handoff, summary: str) -> Handoff:
    """The handoff with the client's own compaction summary kept beside it, redacted and clipped."""
    text = redact(summary).strip()
    if len(text) > CLIENT_SUMMARY_CHARS:
        text = text[: CLIENT_SUMMARY_CHARS - 1] + "…"
    return handoff._replace(client_summary=text or None)
