"""Summarize a Claude Code transcript (JSON lines) quickly and in bounded memory.

Every hook gets `transcript_path`: a JSON-lines file, often tens of MB, that the
client keeps appending to while hooks run. `read_transcript` streams it once and
returns a frozen `Transcript`: prompts, files touched, commands, tasks, failed
tools, the last assistant text and where compaction happened.

Speed: most bytes are tool results (file contents, command output) that only
matter when they report an error or name a new task's id. A line is therefore
classified with cheap byte searches first and `json.loads`-ed only when it can
hold something we keep. The byte searches rely on one fact of JSON: a `"`
inside a string is always escaped, so an unescaped `"type":"` is always a key.

Bounds: lines longer than `max_line_bytes` are skipped without being read into
memory whole, and only the most recent `MAX_ITEMS` prompts, commands, files and
failed tools are kept, each clipped to a documented length.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple

from sfp.errors import UsageError

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

_READ_CHUNK: Final = 1 << 20
_ERROR_SCAN_CHARS: Final = 4096  # how much of an error text is searched for its first and last line
_KEPT_RECORD_TYPES: Final = frozenset({b"user", b"assistant", b"system"})
_TYPE_KEY: Final = b'"type":"'
_TOOL_RESULT_BLOCK: Final = b'"type":"tool_result"'
_TIMESTAMP_KEY: Final = b'"timestamp":"'
_IS_ERROR_KEY: Final = b'"is_error"'
_IS_ERROR_TRUE: Final = re.compile(rb"\s*:\s*true")
_PLAIN_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")
_TIMESTAMP: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d[0-9:.]*(Z|[+-]\d\d:?\d\d)?")
_CREATED_TASK_ID: Final = re.compile(r"Task #([\w.-]{1,64}) created")
_EXIT_CODE_LINE: Final = re.compile(r"Exit code -?\d+")
_TOOL_USE_ERROR_TAG: Final = re.compile(r"</?tool_use_error>")


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


def read_transcript(
    path: Path | str,
    *,
    include_subagents: bool = True,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Transcript:
    """Summarize the transcript at `path` (and its subagents' transcripts).

    Raises UsageError when the file is missing, not a regular file or not
    readable; whatever the file contains, nothing else is raised.
    """
    return summarize_transcript(Path(path), include_subagents, max_line_bytes, skip_cheaply=True)


def summarize_transcript(
    path: Path, include_subagents: bool, max_line_bytes: int, *, skip_cheaply: bool
) -> Transcript:
    """`read_transcript`, with the byte-level shortcut switchable (tests compare both ways)."""
    if max_line_bytes < 1:
        raise UsageError(f"max_line_bytes must be at least 1, not {max_line_bytes}")
    summary = _Summary()
    with _open_transcript(path) as stream:
        try:
            _read_stream(stream, summary, True, max_line_bytes, skip_cheaply)
            summary.bytes_read = stream.tell()
        except OSError as exc:
            raise UsageError(f"cannot read transcript {path}: {exc.strerror or exc}") from None
    if include_subagents:
        for sub_path in subagent_transcripts(path):
            _read_optional(sub_path, summary, max_line_bytes, skip_cheaply)
    return summary.freeze()


def subagent_transcripts(path: Path) -> list[Path]:
    """`<transcript without .jsonl>/subagents/agent-*.jsonl`, sorted by name."""
    folder = path.parent / path.name.removesuffix(".jsonl") / "subagents"
    try:
        return sorted(folder.glob("agent-*.jsonl"))
    except OSError:
        return []


def _read_optional(path: Path, summary: _Summary, max_line_bytes: int, skip_cheaply: bool) -> None:
    # A subagent transcript is extra detail: one that vanished or can't be read is skipped.
    try:
        with _open_transcript(path) as stream:
            _read_stream(stream, summary, False, max_line_bytes, skip_cheaply)
    except (UsageError, OSError):
        return


def _open_transcript(path: Path) -> BinaryIO:
    try:
        # O_NONBLOCK so that a FIFO given by mistake can't hang a hook in open().
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"transcript not found: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read transcript {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"transcript is not a regular file: {path}")
        return os.fdopen(fd, "rb", buffering=_READ_CHUNK)
    except BaseException:
        os.close(fd)
        raise


# --- reading lines ---------------------------------------------------------------------------


def _read_stream(
    stream: BinaryIO, summary: _Summary, main: bool, max_line_bytes: int, skip_cheaply: bool
) -> None:
    """Read one transcript file into `summary`; `main` is False for a subagent's transcript."""
    calls = _Calls()
    for line in _bounded_lines(stream, max_line_bytes):
        if line is None:
            summary.count_line(main)
            summary.skipped_lines += 1
            continue
        if line.isspace():
            continue
        summary.count_line(main)
        # A line without its newline may be torn: always parse it, so that it is counted if broken.
        if skip_cheaply and line.endswith(b"\n") and _skip_cheaply(line, summary, calls, main):
            continue
        record = parse_record(line)
        if record is None:
            summary.skipped_lines += 1
        else:
            _take_record(record, summary, calls, main)


def _bounded_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[bytes | None]:
    """Yield each line (newline kept), or None for a line longer than `max_line_bytes`."""
    limit = max_line_bytes + 1
    readline = stream.readline
    while line := readline(limit):
        if len(line) == limit and not line.endswith(b"\n"):
            _discard_rest_of_line(stream)
            yield None
        else:
            yield line


def _discard_rest_of_line(stream: BinaryIO) -> None:
    while chunk := stream.readline(_READ_CHUNK):
        if chunk.endswith(b"\n"):
            return


def parse_record(line: bytes) -> dict[str, object] | None:
    """The JSON object on `line`, or None when it is not valid UTF-8 JSON holding an object."""
    try:
        value = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


# --- the byte-level shortcut -----------------------------------------------------------------


def cheap_record_type(line: bytes) -> bytes | None:
    """The record's top-level `type`, when a byte search can prove it; else None.

    The first `"type":"` is a top-level key when nothing before it opens an
    object or array: no `{` or `[` at all there, not even inside a string.
    """
    at = line.find(_TYPE_KEY)
    if at < 0 or not line.startswith(b"{"):
        return None
    if line.find(b"{", 1, at) >= 0 or line.find(b"[", 1, at) >= 0:
        return None
    start = at + len(_TYPE_KEY)
    end = line.find(b'"', start)
    if end < 0 or line.find(b"\\", start, end) >= 0:
        return None
    return line[start:end]


def _skip_cheaply(line: bytes, summary: _Summary, calls: _Calls, main: bool) -> bool:
    """True when `line` provably holds nothing we keep (timestamps aside, taken here)."""
    kind = cheap_record_type(line)
    if kind is None:
        return False
    if kind not in _KEPT_RECORD_TYPES:
        return True  # progress, file-history-snapshot, queue-operation, ... and unknown types
    if kind != b"user" or not calls.result_may_be_skipped(line):
        return False
    if main:
        summary.note_timestamp(cheap_timestamp(line))
    return True


def cheap_timestamp(line: bytes) -> str | None:
    """The first `"timestamp"` value on a line: in a tool-result record it is the record's own."""
    at = line.find(_TIMESTAMP_KEY)
    if at < 0:
        return None
    start = at + len(_TIMESTAMP_KEY)
    end = line.find(b'"', start, start + 64)
    if end < 0:
        return None
    return line[start:end].decode("ascii", "replace")


# --- records ---------------------------------------------------------------------------------


def _take_record(record: dict[str, object], summary: _Summary, calls: _Calls, main: bool) -> None:
    kind = record.get("type")
    if kind not in ("user", "assistant", "system"):
        return
    if main:
        summary.note_metadata(record)
    if kind == "system":
        if main and record.get("subtype") == "compact_boundary":
            summary.note_compact_boundary()
        return
    message = record.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    in_main_thread = main and record.get("isSidechain") is not True
    if kind == "assistant":
        _take_assistant(record, message, content, summary, calls, in_main_thread)
    else:
        _take_user(record, content, summary, calls, in_main_thread)


def _take_assistant(
    record: dict[str, object],
    message: object,
    content: object,
    summary: _Summary,
    calls: _Calls,
    in_main_thread: bool,
) -> None:
    synthetic = record.get("isApiErrorMessage") is True or (
        isinstance(message, dict) and message.get("model") == "<synthetic>"
    )
    keep_text = in_main_thread and not synthetic
    if isinstance(content, str):
        if keep_text:
            summary.note_assistant_text(content)
        return
    for block in _dicts(content):
        block_type = block.get("type")
        if block_type == "text" and keep_text:
            summary.note_assistant_text(block.get("text"))
        elif block_type == "tool_use":
            _take_tool_call(block, summary, calls, tasks_allowed=in_main_thread)


def _take_user(
    record: dict[str, object], content: object, summary: _Summary, calls: _Calls, in_main_thread: bool
) -> None:
    if isinstance(content, list):
        results = [block for block in _dicts(content) if block.get("type") == "tool_result"]
        if results:
            details = record.get("toolUseResult") if len(results) == 1 else None
            for block in results:
                _take_tool_result(block, details, summary, calls)
            return
        content = "\n".join(text for text in _block_texts(content))
    if in_main_thread and isinstance(content, str) and _is_person_prompt(record, content):
        summary.note_prompt(content.strip())


def _is_person_prompt(record: dict[str, object], text: str) -> bool:
    if record.get("isMeta") is True or record.get("isCompactSummary") is True:
        return False
    if record.get("isVisibleInTranscriptOnly") is True:
        return False
    stripped = text.lstrip()
    return bool(stripped) and not stripped.startswith(NOT_PROMPT_PREFIXES)


# --- tool calls and their results ------------------------------------------------------------


class _Call:
    """What a tool call changed, so that an error result can take it back."""

    # Plain slotted classes, not dataclasses: each @dataclass costs ~2 ms at import, on the hook path.
    __slots__ = ("tool", "target", "wrote", "read", "new_task", "task_before", "tasks_before")

    def __init__(self, tool: str, target: str) -> None:
        self.tool = tool
        self.target = target
        self.wrote: str | None = None  # path first added to files_written by this call
        self.read: str | None = None
        self.new_task: Task | None = None  # TaskCreate: waits for its id in the result
        self.task_before: tuple[str, Task | None] | None = None  # TaskUpdate: (id, previous state)
        self.tasks_before: dict[str, Task] | None = None  # TodoWrite: the whole previous list


class _Calls:
    """Tool calls of one transcript file still waiting for their results."""

    __slots__ = ("pending", "wanted", "unsearchable", "last_list_change")

    def __init__(self) -> None:
        self.pending: dict[str, _Call] = {}
        # Quoted ids whose result we must parse even when it is not an error (TaskCreate).
        self.wanted: set[bytes] = set()
        self.unsearchable = 0  # wanted ids that a byte search can't find reliably
        # Only the newest TodoWrite keeps the list it replaced: undoing an older one would be wrong anyway.
        self.last_list_change: _Call | None = None

    def add(self, call_id: str, call: _Call) -> None:
        self.pop(call_id)
        self.pending[call_id] = call
        if len(self.pending) > MAX_PENDING_CALLS:
            self.pop(next(iter(self.pending)))
        if call.tasks_before is not None:
            if self.last_list_change is not None:
                self.last_list_change.tasks_before = None
            self.last_list_change = call
        if call.new_task is not None:
            if _PLAIN_ID.fullmatch(call_id):
                self.wanted.add(b'"' + call_id.encode() + b'"')
            else:
                self.unsearchable += 1

    def pop(self, call_id: str) -> _Call | None:
        call = self.pending.pop(call_id, None)
        if call is not None and call.new_task is not None:
            if _PLAIN_ID.fullmatch(call_id):
                self.wanted.discard(b'"' + call_id.encode() + b'"')
            else:
                self.unsearchable -= 1
        return call

    def result_may_be_skipped(self, line: bytes) -> bool:
        """A tool-result line that reports no error and answers no call we wait on."""
        if self.unsearchable or _TOOL_RESULT_BLOCK not in line or reports_error(line):
            return False
        return not any(quoted_id in line for quoted_id in self.wanted)


def reports_error(line: bytes) -> bool:
    """Whether any `"is_error"` key on the line is `true` (bytes.find outruns a regex search)."""
    at = line.find(_IS_ERROR_KEY)
    while at >= 0:
        at += len(_IS_ERROR_KEY)
        if _IS_ERROR_TRUE.match(line, at):
            return True
        at = line.find(_IS_ERROR_KEY, at)
    return False


def _take_tool_call(
    block: dict[str, object], summary: _Summary, calls: _Calls, *, tasks_allowed: bool
) -> None:
    name = _text(block.get("name")) or "unknown"
    tool_input = block.get("input")
    args = tool_input if isinstance(tool_input, dict) else {}
    call = _Call(tool=name, target=call_target(args))
    command = args.get("command")
    if name == "Bash" and isinstance(command, str) and command.strip():
        summary.commands.append(_clip(command.strip(), MAX_COMMAND_CHARS))
    if name in WRITE_TOOLS:
        call.wrote = summary.files_written.add(args.get(WRITE_TOOLS[name]))
    elif name in READ_TOOLS:
        call.read = summary.files_read.add(args.get(READ_TOOLS[name]))
    elif tasks_allowed:
        _take_task_call(name, args, call, summary.tasks)
    call_id = block.get("id")
    if isinstance(call_id, str):
        calls.add(call_id, call)


def call_target(args: dict[str, object]) -> str:
    """What a tool call acted on, for a one-line report: a command's first line, a path..."""
    for key in TARGET_KEYS:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            return _clip(value.strip().splitlines()[0], 120)
    return ""


def _take_task_call(name: str, args: dict[str, object], call: _Call, tasks: _Tasks) -> None:
    if name == "TaskCreate":
        subject = _text(args.get("subject"))
        if subject:
            call.new_task = Task(
                id="",
                subject=_clip(subject, MAX_SUBJECT_CHARS),
                status="pending",
                description=_clip(_text(args.get("description")), MAX_SUBJECT_CHARS),
                active_form=_clip(_text(args.get("activeForm")), MAX_SUBJECT_CHARS),
            )
    elif name == "TaskUpdate":
        call.task_before = tasks.update(args)
    elif name == "TodoWrite":
        call.tasks_before = tasks.replace_all(args.get("todos"))


def _take_tool_result(block: dict[str, object], details: object, summary: _Summary, calls: _Calls) -> None:
    call_id = block.get("tool_use_id")
    call = calls.pop(call_id) if isinstance(call_id, str) else None
    failed = block.get("is_error") is True
    if not failed and (call is None or call.new_task is None):
        return
    text = "\n".join(_block_texts(block.get("content")))
    if failed:
        summary.failed_tools.append(_failed_tool(call, text))
        if call is not None:
            _undo_call(call, summary)
    elif call is not None and call.new_task is not None:
        task_id = created_task_id(details, text)
        if task_id:
            summary.tasks.put(call.new_task._replace(id=task_id))


def created_task_id(details: object, text: str) -> str | None:
    """A TaskCreate result's id: from `toolUseResult.task.id`, else from `Task #N created`."""
    task = details.get("task") if isinstance(details, dict) else None
    task_id = task.get("id") if isinstance(task, dict) else None
    if isinstance(task_id, (str, int)) and not isinstance(task_id, bool) and str(task_id):
        return _clip(str(task_id), 64)
    found = _CREATED_TASK_ID.search(text[:_ERROR_SCAN_CHARS])
    return found.group(1) if found else None


def _failed_tool(call: _Call | None, text: str) -> FailedTool:
    tool, target = (call.tool, call.target) if call is not None else ("unknown", "")
    error = error_summary(text)
    summary = f"{target}: {error}" if target and error else target or error
    return FailedTool(tool=tool, summary=summary, target=target, error=error)


def error_summary(text: str) -> str:
    """The first non-blank line of an error; for a bare `Exit code N`, also the output's last line."""
    head = _TOOL_USE_ERROR_TAG.sub("", text[:_ERROR_SCAN_CHARS])
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if _EXIT_CODE_LINE.fullmatch(first):
        tail = _TOOL_USE_ERROR_TAG.sub("", text[-_ERROR_SCAN_CHARS:])
        last = next((line.strip() for line in reversed(tail.splitlines()) if line.strip()), "")
        if last and last != first:
            first = f"{first}: {last}"
    return _clip(first, MAX_ERROR_CHARS)


def _undo_call(call: _Call, summary: _Summary) -> None:
    # A failed Write/Edit changed nothing, a failed Read read nothing, a failed TaskUpdate updated nothing.
    if call.wrote is not None:
        summary.files_written.discard(call.wrote)
    if call.read is not None:
        summary.files_read.discard(call.read)
    if call.task_before is not None:
        summary.tasks.restore(*call.task_before)
    if call.tasks_before is not None:
        summary.tasks.tasks = call.tasks_before


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
        value = _clip(value.strip(), MAX_PATH_CHARS)
        if value in self.items:
            return None
        self.items[value] = None
        if len(self.items) > self.limit:
            del self.items[next(iter(self.items))]
        return value

    def discard(self, value: str) -> None:
        self.items.pop(value, None)


class _Tasks:
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
        task_id = _clip(str(raw_id).strip().lstrip("#"), 64)
        before = self.tasks.get(task_id)
        status = args.get("status")
        subject = _text(args.get("subject"))
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
            task = task._replace(subject=_clip(subject, MAX_SUBJECT_CHARS))
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
        for number, item in enumerate(_dicts(todos), start=1):
            subject = _text(item.get("content")) or _text(item.get("subject"))
            if not subject:
                continue
            raw_id = item.get("id")
            task_id = (
                str(raw_id)
                if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool)
                else str(number)
            )
            status = _text(item.get("status"))
            self.put(
                Task(
                    id=_clip(task_id, 64),
                    subject=_clip(subject, MAX_SUBJECT_CHARS),
                    status=status if status in TASK_STATUSES else "pending",
                    active_form=_clip(_text(item.get("activeForm")), MAX_SUBJECT_CHARS),
                )
            )
        return before

    def live(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks.values() if task.status != "deleted")


class _Summary:
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
        self.tasks = _Tasks()
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
        self.session_id = _text(record.get("sessionId")) or self.session_id
        self.cwd = _text(record.get("cwd")) or self.cwd
        self.git_branch = _text(record.get("gitBranch")) or self.git_branch
        timestamp = record.get("timestamp")
        self.note_timestamp(timestamp if isinstance(timestamp, str) else None)

    def note_timestamp(self, timestamp: str | None) -> None:
        if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
            return
        if self.first_timestamp is None:
            self.first_timestamp = timestamp
        self.last_timestamp = timestamp

    def note_prompt(self, text: str) -> None:
        self.prompts.append(_clip(text, MAX_PROMPT_CHARS))
        self.prompt_count += 1

    def note_assistant_text(self, text: object) -> None:
        if isinstance(text, str) and text.strip():
            self.last_assistant_message = _clip(text.strip(), MAX_MESSAGE_CHARS)

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


def _dicts(value: object) -> Iterable[dict[str, object]]:
    if isinstance(value, list):
        return (item for item in value if isinstance(item, dict))
    return ()


def _block_texts(content: object) -> Iterator[str]:
    """The texts of a content that is a string or a list of `text` blocks."""
    if isinstance(content, str):
        yield content
        return
    for block in _dicts(content):
        text = block.get("text")
        if block.get("type") == "text" and isinstance(text, str):
            yield text


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
