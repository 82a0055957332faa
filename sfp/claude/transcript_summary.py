"""What a transcript's records add up to: the `Transcript` value, and the accumulators that build it."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Final, NamedTuple

MAX_ITEMS: Final = 200  # most recent prompts / commands / files / failed tools kept
MAX_TASKS: Final = 500
MAX_PENDING_CALLS: Final = 1000  # tool calls still waiting for their result
MAX_PROMPT_CHARS: Final = 2000
MAX_COMMAND_CHARS: Final = 1000
MAX_PATH_CHARS: Final = 1000
MAX_MESSAGE_CHARS: Final = 10_000
MAX_ERROR_CHARS: Final = 200
MAX_SUBJECT_CHARS: Final = 500
DEFAULT_MAX_LINE_BYTES: Final = 8 * 1024 * 1024

TASK_STATUSES: Final = frozenset({"pending", "in_progress", "completed", "deleted"})

# Text the client puts in `user` records that the person did not type as a prompt.
NOT_PROMPT_PREFIXES: Final = (
    "<command-name>",
    "<command-message>",
    "<command-args>",
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<system-reminder>",
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
    "[Request interrupted by user",
)

WRITE_TOOLS: Final = {
    "Write": "file_path",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
}
READ_TOOLS: Final = {"Read": "file_path", "NotebookRead": "notebook_path"}
TARGET_KEYS: Final = (
    "command",
    "file_path",
    "notebook_path",
    "path",
    "pattern",
    "url",
    "query",
    "description",
)

TIMESTAMP_PATTERN: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d[0-9:.]*(Z|[+-]\d\d:?\d\d)?")


class Task(NamedTuple):
    id: str
    subject: str
    status: str  # pending | in_progress | completed (deleted tasks are left out of Transcript.tasks)
    description: str = ""
    active_form: str = ""


class FailedTool(NamedTuple):
    tool: str
    summary: str  # "<target>: <error>", or just the error when there is no target
    target: str = ""  # Bash command (first line) or file path, pattern, url...
    error: str = ""  # first line of the error text


class Transcript(NamedTuple):
    # session_id, cwd, git_branch: the last seen on a user/assistant/system record.
    session_id: str | None = None
    cwd: str | None = None
    git_branch: str | None = None
    first_timestamp: str | None = None  # in file order, from user/assistant/system records
    last_timestamp: str | None = None
    prompts: tuple[str, ...] = ()  # the person's prompts, in order (the last MAX_ITEMS)
    files_written: tuple[str, ...] = ()  # first-seen order, deduplicated; failed writes left out
    files_read: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()  # Bash commands, in order (the last MAX_ITEMS)
    tasks: tuple[Task, ...] = ()  # latest state of each live task, in creation order
    failed_tools: tuple[FailedTool, ...] = ()
    last_assistant_message: str | None = None
    compact_boundaries: int = 0
    records_after_last_compact: int = 0  # non-blank lines after the last boundary (all lines if none)
    skipped_lines: int = 0  # torn, oversized, not-UTF-8 or not-JSON-object lines
    prompt_count: int = 0  # prompts seen, including those no longer kept
    bytes_read: int = 0  # of the main transcript

    @property
    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.status != "completed")


# --- the accumulators ------------------------------------------------------------------------


class _RecentSet:
    """Distinct strings in first-seen order; the oldest go when more than `limit` are held."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: dict[str, None] = {}

    def add(self, value: object) -> str | None:
        """Add `value` if it is a non-empty string; return it when it was not there before."""
        if not isinstance(value, str) or not value.strip():
            return None
        value = clip(value.strip(), MAX_PATH_CHARS)
        if value in self.items:
            return None
        self.items[value] = None
        if len(self.items) > self.limit:
            del self.items[next(iter(self.items))]
        return value

    def discard(self, value: str) -> None:
        self.items.pop(value, None)


class Tasks:
    """Tasks by id in creation order, rebuilt from TaskCreate / TaskUpdate / TodoWrite calls."""

    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}

    def put(self, task: Task) -> None:
        self.tasks[task.id] = task
        if len(self.tasks) > MAX_TASKS:
            del self.tasks[next(iter(self.tasks))]

    def update(self, args: dict[str, object]) -> tuple[str, Task | None] | None:
        """Apply a TaskUpdate; return (id, state before) so that a failed update can be undone."""
        raw_id = args.get("taskId")
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
            return None
        task_id = clip(str(raw_id).strip().lstrip("#"), 64)
        before = self.tasks.get(task_id)
        status = args.get("status")
        subject = as_text(args.get("subject"))
        if before is None:
            if status == "deleted":
                return None
            # Created before this transcript began (a shared task list): known by id only.
            task = Task(id=task_id, subject="", status="pending")
        else:
            task = before
        if isinstance(status, str) and status in TASK_STATUSES:
            task = task._replace(status=status)
        if subject:
            task = task._replace(subject=clip(subject, MAX_SUBJECT_CHARS))
        self.put(task)
        return task_id, before

    def restore(self, task_id: str, before: Task | None) -> None:
        if before is None:
            self.tasks.pop(task_id, None)
        else:
            self.tasks[task_id] = before

    def replace_all(self, todos: object) -> dict[str, Task] | None:
        """Apply a TodoWrite, which states the whole list; return the list it replaced."""
        if not isinstance(todos, list):
            return None
        before = self.tasks
        self.tasks = {}
        for number, item in enumerate(dicts(todos), start=1):
            subject = as_text(item.get("content")) or as_text(item.get("subject"))
            if not subject:
                continue
            raw_id = item.get("id")
            task_id = (
                str(raw_id)
                if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool)
                else str(number)
            )
            status = as_text(item.get("status"))
            self.put(
                Task(
                    id=clip(task_id, 64),
                    subject=clip(subject, MAX_SUBJECT_CHARS),
                    status=status if status in TASK_STATUSES else "pending",
                    active_form=clip(as_text(item.get("activeForm")), MAX_SUBJECT_CHARS),
                )
            )
        return before

    def live(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks.values() if task.status != "deleted")


class Summary:
    """Everything kept while reading; `freeze` turns it into a Transcript."""

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.cwd: str | None = None
        self.git_branch: str | None = None
        self.first_timestamp: str | None = None
        self.last_timestamp: str | None = None
        self.prompts: deque[str] = deque(maxlen=MAX_ITEMS)
        self.prompt_count = 0
        self.files_written = _RecentSet(MAX_ITEMS)
        self.files_read = _RecentSet(MAX_ITEMS)
        self.commands: deque[str] = deque(maxlen=MAX_ITEMS)
        self.tasks = Tasks()
        self.failed_tools: deque[FailedTool] = deque(maxlen=MAX_ITEMS)
        self.last_assistant_message: str | None = None
        self.compact_boundaries = 0
        self.records_after_last_compact = 0
        self.skipped_lines = 0
        self.bytes_read = 0

    def count_line(self, main: bool) -> None:
        if main:
            self.records_after_last_compact += 1

    def note_compact_boundary(self) -> None:
        self.compact_boundaries += 1
        self.records_after_last_compact = 0

    def note_metadata(self, record: dict[str, object]) -> None:
        self.session_id = as_text(record.get("sessionId")) or self.session_id
        self.cwd = as_text(record.get("cwd")) or self.cwd
        self.git_branch = as_text(record.get("gitBranch")) or self.git_branch
        timestamp = record.get("timestamp")
        self.note_timestamp(timestamp if isinstance(timestamp, str) else None)

    def note_timestamp(self, timestamp: str | None) -> None:
        if timestamp is None or not TIMESTAMP_PATTERN.fullmatch(timestamp):
            return
        if self.first_timestamp is None:
            self.first_timestamp = timestamp
        self.last_timestamp = timestamp

    def note_prompt(self, text: str) -> None:
        self.prompts.append(clip(text, MAX_PROMPT_CHARS))
        self.prompt_count += 1

    def note_assistant_text(self, text: object) -> None:
        if isinstance(text, str) and text.strip():
            self.last_assistant_message = clip(text.strip(), MAX_MESSAGE_CHARS)

    def freeze(self) -> Transcript:
        return Transcript(
            session_id=self.session_id,
            cwd=self.cwd,
            git_branch=self.git_branch,
            first_timestamp=self.first_timestamp,
            last_timestamp=self.last_timestamp,
            prompts=tuple(self.prompts),
            files_written=tuple(self.files_written.items),
            files_read=tuple(self.files_read.items),
            commands=tuple(self.commands),
            tasks=self.tasks.live(),
            failed_tools=tuple(self.failed_tools),
            last_assistant_message=self.last_assistant_message,
            compact_boundaries=self.compact_boundaries,
            records_after_last_compact=self.records_after_last_compact,
            skipped_lines=self.skipped_lines,
            prompt_count=self.prompt_count,
            bytes_read=self.bytes_read,
        )


# --- small helpers ---------------------------------------------------------------------------


def dicts(value: object) -> Iterable[dict[str, object]]:
    if isinstance(value, list):
        return (item for item in value if isinstance(item, dict))
    return ()


def block_texts(content: object) -> Iterator[str]:
    """The texts of a content that is a string or a list of `text` blocks."""
    if isinstance(content, str):
        yield content
        return
    for block in dicts(content):
        text = block.get("text")
        if block.get("type") == "text" and isinstance(text, str):
            yield text


def as_text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
