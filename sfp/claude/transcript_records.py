"""One transcript record at a time: prompts, assistant text, tool calls and what their results say."""

from __future__ import annotations

import re
from typing import Final

from sfp.claude.transcript_outcomes import (
    CANCELLED,
    GIT_COMMIT_OR_PUSH,
    NOT_PERMITTED,
    NOTHING_TO_COMMIT,
    REJECTED,
    command_keys,
    covers,
    failing_test_names,
    take_git_output,
)
from sfp.claude.transcript_summary import (
    MAX_COMMAND_CHARS,
    LOCAL_COMMANDS,
    MAX_ERROR_CHARS,
    MAX_PENDING_CALLS,
    MAX_SUBJECT_CHARS,
    NOT_PROMPT_PREFIXES,
    READ_TOOLS,
    TARGET_KEYS,
    WRITE_TOOLS,
    FailedTool,
    Refusal,
    Summary,
    Task,
    Tasks,
    as_text,
    block_texts,
    clip,
    dicts,
)

_ERROR_SCAN_CHARS: Final = 4096  # how much of an error text is searched for its first and last line
_TOOL_RESULT_BLOCK: Final = b'"type":"tool_result"'
_IS_ERROR_KEY: Final = b'"is_error"'
_IS_ERROR_TRUE: Final = re.compile(rb"\s*:\s*true")
_PLAIN_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")
_CREATED_TASK_ID: Final = re.compile(r"Task #([\w.-]{1,64}) created")
_EXIT_CODE_LINE: Final = re.compile(r"Exit code -?\d+")
_TOOL_USE_ERROR_TAG: Final = re.compile(r"</?tool_use_error>")
_COMMAND_NAME: Final = re.compile(r"<command-name>\s*([^<]*?)\s*</command-name>")
_COMMAND_ARGS: Final = re.compile(r"<command-args>(.*?)</command-args>", re.DOTALL)
# --- records ---------------------------------------------------------------------------------


def take_record(record: dict[str, object], summary: Summary, calls: Calls, main: bool) -> None:
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
    summary: Summary,
    calls: Calls,
    in_main_thread: bool,
) -> None:
    synthetic = record.get("isApiErrorMessage") is True or (
        isinstance(message, dict) and message.get("model") == "<synthetic>"
    )
    keep_text = in_main_thread and not synthetic
    agent = summary.agent if not synthetic else None
    if isinstance(content, str):
        if keep_text:
            summary.note_assistant_text(content)
        elif agent is not None and content.strip():
            agent.result = content.strip()
        return
    for block in dicts(content):
        block_type = block.get("type")
        if block_type == "text" and keep_text:
            summary.note_assistant_text(block.get("text"))
        elif block_type == "text" and agent is not None:
            text = block.get("text")
            if isinstance(text, str) and text.strip():
                agent.result = text.strip()
        elif block_type == "tool_use":
            _take_tool_call(block, summary, calls, tasks_allowed=in_main_thread)


def _take_user(
    record: dict[str, object], content: object, summary: Summary, calls: Calls, in_main_thread: bool
) -> None:
    if isinstance(content, list):
        results = [block for block in dicts(content) if block.get("type") == "tool_result"]
        if results:
            details = record.get("toolUseResult") if len(results) == 1 else None
            for block in results:
                _take_tool_result(block, details, summary, calls)
            return
        content = "\n".join(text for text in block_texts(content))
    if not isinstance(content, str):
        return
    if in_main_thread:
        request = person_request(record, content)
        if request:
            summary.note_prompt(request)
    elif summary.agent is not None and summary.agent.prompt is None:
        summary.agent.prompt = content.strip() or None  # a subagent's first prompt is its task


def person_request(record: dict[str, object], text: str) -> str | None:
    """What the person asked for in a `user` record: their text, or `/command args`; None when the
    record is the client's (meta, a compaction summary, a task notification, local command output)."""
    if record.get("isMeta") is True or record.get("isCompactSummary") is True:
        return None
    if record.get("isVisibleInTranscriptOnly") is True or record.get("promptSource") == "system":
        return None
    origin = record.get("origin")
    if isinstance(origin, dict) and origin.get("kind") == "task-notification":
        return None
    stripped = text.strip()
    if stripped.startswith(("<command-name>", "<command-message>", "<command-args>")):
        return slash_command(stripped)
    if not stripped or stripped.startswith(NOT_PROMPT_PREFIXES):
        return None
    return stripped


def slash_command(text: str) -> str | None:
    """`<command-name>/x</command-name><command-args>y</command-args>` -> "/x y"; None for the client's own."""
    name = _COMMAND_NAME.search(text)
    if name is None or not name.group(1):
        return None
    command = "/" + name.group(1).lstrip("/")
    if command in LOCAL_COMMANDS:
        return None
    args = _COMMAND_ARGS.search(text)
    return f"{command} {args.group(1).strip()}".strip() if args else command


# --- tool calls and their results ------------------------------------------------------------


class _Call:
    """What a tool call changed, so that an error result can take it back."""

    # Plain slotted classes, not dataclasses: each @dataclass costs ~2 ms at import, on the hook path.
    __slots__ = ("tool", "target", "wrote", "read", "new_task", "task_before", "tasks_before", "command", "keys",
                 "git", "watched")

    def __init__(self, tool: str, target: str) -> None:
        self.tool = tool
        self.target = target
        self.command: str | None = None  # a Bash call's command (clipped)
        self.keys: tuple[str, ...] = ()  # failures a success of this call resolves (its own key first)
        self.git = False  # a `git commit` / `git push`: its result names the commit
        self.watched = False  # its result must be parsed even when it is no error
        self.wrote: str | None = None  # path first added to files_written by this call
        self.read: str | None = None
        self.new_task: Task | None = None  # TaskCreate: waits for its id in the result
        self.task_before: tuple[str, Task | None] | None = None  # TaskUpdate: (id, previous state)
        self.tasks_before: dict[str, Task] | None = None  # TodoWrite: the whole previous list


class Calls:
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
        if call.new_task is not None or call.watched:
            if _PLAIN_ID.fullmatch(call_id):
                self.wanted.add(b'"' + call_id.encode() + b'"')
            else:
                self.unsearchable += 1

    def pop(self, call_id: str) -> _Call | None:
        call = self.pending.pop(call_id, None)
        if call is not None and (call.new_task is not None or call.watched):
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
    block: dict[str, object], summary: Summary, calls: Calls, *, tasks_allowed: bool
) -> None:
    name = as_text(block.get("name")) or "unknown"
    tool_input = block.get("input")
    args = tool_input if isinstance(tool_input, dict) else {}
    call = _Call(tool=name, target=call_target(args))
    command = args.get("command")
    if name == "Bash" and isinstance(command, str) and command.strip():
        # A heredoc can carry a whole file: the command's head is what says what it runs.
        command = clip(command.strip(), MAX_COMMAND_CHARS)
        summary.commands.append(command)
        call.git = GIT_COMMIT_OR_PUSH.search(command) is not None
    _watch_for_resolution(call, command if name == "Bash" and isinstance(command, str) else None, summary)
    if name in ("Agent", "Task") and tasks_allowed:
        _note_agent_call(args, summary)
    if name in WRITE_TOOLS:
        call.wrote = summary.files_written.add(args.get(WRITE_TOOLS[name]))
        if summary.agent is not None:
            summary.agent.files_written.add(args.get(WRITE_TOOLS[name]))
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
            return clip(value.strip().splitlines()[0], 120)
    return ""


def _take_task_call(name: str, args: dict[str, object], call: _Call, tasks: Tasks) -> None:
    if name == "TaskCreate":
        subject = as_text(args.get("subject"))
        if subject:
            call.new_task = Task(
                id="",
                subject=clip(subject, MAX_SUBJECT_CHARS),
                status="pending",
                description=clip(as_text(args.get("description")), MAX_SUBJECT_CHARS),
                active_form=clip(as_text(args.get("activeForm")), MAX_SUBJECT_CHARS),
            )
    elif name == "TaskUpdate":
        call.task_before = tasks.update(args)
    elif name == "TodoWrite":
        call.tasks_before = tasks.replace_all(args.get("todos"))


def _take_tool_result(block: dict[str, object], details: object, summary: Summary, calls: Calls) -> None:
    call_id = block.get("tool_use_id")
    call = calls.pop(call_id) if isinstance(call_id, str) else None
    failed = block.get("is_error") is True
    if not failed and (call is None or (call.new_task is None and not call.watched)):
        return
    text = "\n".join(block_texts(block.get("content")))
    if failed:
        _take_error(call, text, summary)
        if call is not None:
            _undo_call(call, summary)
        return
    assert call is not None
    summary.note_success(call.keys)
    if call.git:
        take_git_output(text, summary)
    if call.new_task is not None:
        task_id = created_task_id(details, text)
        if task_id:
            summary.tasks.put(call.new_task._replace(id=task_id))


def created_task_id(details: object, text: str) -> str | None:
    """A TaskCreate result's id: from `toolUseResult.task.id`, else from `Task #N created`."""
    task = details.get("task") if isinstance(details, dict) else None
    task_id = task.get("id") if isinstance(task, dict) else None
    if isinstance(task_id, (str, int)) and not isinstance(task_id, bool) and str(task_id):
        return clip(str(task_id), 64)
    found = _CREATED_TASK_ID.search(text[:_ERROR_SCAN_CHARS])
    return found.group(1) if found else None


def _failed_tool(call: _Call | None, text: str) -> FailedTool:
    tool, target = (call.tool, call.target) if call is not None else ("unknown", "")
    error = error_summary(text)
    summary = f"{target}: {error}" if target and error else target or error
    # Only a test runner's (or checker's) output is searched for test names: the search costs time.
    tested = call is not None and bool(call.keys) and call.keys[0].split("|", 1)[-1].startswith("run:")
    names = failing_test_names(text) if tested else ()
    return FailedTool(tool=tool, summary=summary, target=target, error=error, names=names)


def error_summary(text: str) -> str:
    """The first non-blank line of an error; for a bare `Exit code N`, also the output's last line."""
    head = _TOOL_USE_ERROR_TAG.sub("", text[:_ERROR_SCAN_CHARS])
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if _EXIT_CODE_LINE.fullmatch(first):
        tail = _TOOL_USE_ERROR_TAG.sub("", text[-_ERROR_SCAN_CHARS:])
        last = next((line.strip() for line in reversed(tail.splitlines()) if line.strip()), "")
        if last and last != first:
            first = f"{first}: {last}"
    return clip(first, MAX_ERROR_CHARS)


def _undo_call(call: _Call, summary: Summary) -> None:
    # A failed Write/Edit changed nothing, a failed Read read nothing, a failed TaskUpdate updated nothing.
    if call.wrote is not None:
        summary.files_written.discard(call.wrote)
    if call.read is not None:
        summary.files_read.discard(call.read)
    if call.task_before is not None:
        summary.tasks.restore(*call.task_before)
    if call.tasks_before is not None:
        summary.tasks.tasks = call.tasks_before


# --- what became of a failure: cancelled, refused, still failing, fixed ------------------------

def _watch_for_resolution(call: _Call, command: str | None, summary: Summary) -> None:
    """Whether this call's result must be read even when it is no error: when it may settle a failure."""
    call.command = command
    if summary.failing or call.git:
        call.keys = _keys_of(call, summary)
        call.watched = call.git or any(k in summary.failing for k in call.keys)


def _keys_of(call: _Call, summary: Summary) -> tuple[str, ...]:
    """The call's own key, then the failures a success of it settles.

    Keys are scoped to their file: subagent files are read after the main one, so a run in one can't be
    put in order against a failure in another.
    """
    scope = f"{summary.file_number}|" if summary.file_number else ""
    if call.command is not None:
        keys = [scope + key for key in command_keys(call.command)]
        for key in keys[:]:
            if key.startswith(scope + "run:"):
                runner, _, targets = key[len(scope) + 4:].partition(":")
                prefix = f"{scope}run:{runner}:"
                keys += [k for k, f in summary.failing.items()
                         if k not in keys and k.startswith(prefix) and covers(tuple(targets.split()), k, f)]
        return tuple(keys)
    if call.target:
        return (f"{scope}{'write' if call.tool in WRITE_TOOLS else call.tool}:{call.target}",)
    return ()


def _take_error(call: _Call | None, text: str, summary: Summary) -> None:
    head = text[:_ERROR_SCAN_CHARS]
    if any(marker in head for marker in CANCELLED):
        return  # never ran: cancelled with its batch, or a tool that does not exist
    tool, target = (call.tool, call.target) if call is not None else ("unknown", "")
    if any(marker in head for marker in REJECTED):
        summary.refused.append(Refusal(tool, target, "rejected"))
        return
    if any(marker in head for marker in NOT_PERMITTED):
        summary.refused.append(Refusal(tool, target, "not permitted"))
        return
    if call is not None and call.git and NOTHING_TO_COMMIT in head:
        summary.note_success(call.keys)  # not a failure: the work was already committed
        return
    if call is not None and not call.keys:
        call.keys = _keys_of(call, summary)  # not worked out when the call was made: nothing was failing
    failure = _failed_tool(call, text)
    key = call.keys[0] if call is not None and call.keys else f"?{failure.summary}"
    summary.note_failure(key, failure)


def _note_agent_call(args: dict[str, object], summary: Summary) -> None:
    prompt = as_text(args.get("prompt"))
    if prompt and len(summary.agent_calls) < MAX_PENDING_CALLS:
        summary.agent_calls[prompt] = (
            clip(as_text(args.get("subagent_type")), 100), clip(as_text(args.get("description")), MAX_SUBJECT_CHARS))
