"""One transcript record at a time: prompts, assistant text, tool calls and what their results say."""

from __future__ import annotations

import re
from typing import Final

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
    Commit,
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
    __slots__ = ("tool", "target", "wrote", "read", "new_task", "task_before", "tasks_before", "keys", "git",
                 "watched")

    def __init__(self, tool: str, target: str) -> None:
        self.tool = tool
        self.target = target
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
        summary.commands.append(clip(command.strip(), MAX_COMMAND_CHARS))
        call.git = _GIT_COMMIT_OR_PUSH.search(command) is not None
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
        _take_git_output(text, summary)
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
    return FailedTool(tool=tool, summary=summary, target=target, error=error, names=failing_test_names(text))


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

_CANCELLED: Final = ("Sibling tool call errored", "No such tool available", "[Request interrupted by user")
_REJECTED: Final = ("The user doesn't want to proceed with this tool use", "The user doesn't want to take this action")
_NOT_PERMITTED: Final = re.compile(
    r"requested permissions to .{0,1000}? but you haven't granted it|This command requires approval"
    r"|Permission to use \S+ (?:has been|was) denied|denied by (?:the )?permission", re.IGNORECASE)
_GIT_COMMIT_OR_PUSH: Final = re.compile(r"\bgit\s+(?:-\S+\s+)*(?:commit|push)\b")
_GIT_VERB: Final = re.compile(r"^git\s+(?:-[cC]\s+\S+\s+|-\S+\s+)*([a-z][a-z-]*)")
_PYTHON: Final = re.compile(r"(?<![\w/.-])python3(?:\.\d+)?(?=\s)")  # `python x.py` failing, `python3 x.py` passing
_NOTHING_TO_COMMIT: Final = "nothing to commit, working tree clean"
_CHAIN: Final = re.compile(r"\s*(?:&&|;)\s*")
_COMMIT_LINE: Final = re.compile(r"^\[([^\]\n]{1,200}?) ([0-9a-f]{7,40})\] (.+)$", re.MULTILINE)
_PUSH_REMOTE: Final = re.compile(r"^To (\S+)", re.MULTILINE)
_PUSH_REF: Final = re.compile(
    r"^\s*[+*]?\s*(?:[0-9a-f]{7,40}\.{2,3}[0-9a-f]{7,40}|\[new branch\]|\[new tag\])\s+(\S+)\s+->\s+(\S+)",
    re.MULTILINE)
_CD_PREFIX: Final = re.compile(r"^(?:cd\s+\S+\s*(?:&&|;)\s*)+")
_PLUMBING: Final = re.compile(r"\s*(?:[12]?>&[12]|[12&]?>>?\s*/dev/null)")
_PIPE_TAIL: Final = re.compile(r"\s*\|\s*(?:tail|head|grep|tee|less|more|cat|sort|uniq|wc)\b[^|]*$")
_ARGS: Final = r"(?P<args>[^;&|]*)"
_TEST_RUNNERS: Final = (
    ("pytest", re.compile(r"(?:^|[\s/])(?:python[\d.]*\s+-m\s+)?py\.?test\b" + _ARGS)),
    ("unittest", re.compile(r"(?:^|[\s/])python[\d.]*\s+-m\s+unittest\b" + _ARGS)),
    ("cargo", re.compile(r"\bcargo\s+(?:\+\S+\s+)?(?:test|nextest\s+run)\b" + _ARGS)),
    ("go", re.compile(r"\bgo\s+test\b" + _ARGS)),
    ("vitest", re.compile(r"\bvitest\b(?:\s+run\b)?" + _ARGS)),
    ("jest", re.compile(r"\bjest\b" + _ARGS)),
    ("node", re.compile(r"\bnode\s+--test\b" + _ARGS)),
    ("mix", re.compile(r"\bmix\s+test\b" + _ARGS)),
    ("npm", re.compile(r"\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test\b" + _ARGS)),
    # checkers: a passing run of the same checker on the same (or more) files settles its failure too
    ("credo", re.compile(r"\bmix\s+credo\b" + _ARGS)),
    ("mix-compile", re.compile(r"\bmix\s+compile\b" + _ARGS)),
    ("ruff", re.compile(r"\bruff\s+check\b" + _ARGS)),
    ("ruff-format", re.compile(r"\bruff\s+format\b" + _ARGS)),
    ("mypy", re.compile(r"\bmypy\b" + _ARGS)),
    ("eslint", re.compile(r"\beslint\b" + _ARGS)),
    ("tsc", re.compile(r"\btsc\b" + _ARGS)),
    ("clippy", re.compile(r"\bcargo\s+clippy\b" + _ARGS)),
    ("cargo-build", re.compile(r"\bcargo\s+(?:build|check)\b" + _ARGS)),
    ("go-vet", re.compile(r"\bgo\s+(?:vet|build)\b" + _ARGS)),
)
_NOT_TARGETS: Final = frozenset({"discover", "run", "test", "--"})
# The lines test runners print for one failing test (pytest, unittest, TAP/node, jest, vitest, cargo, go).
_FAILING_TEST: Final = re.compile(
    r"^(?:(?:FAILED|ERROR) \S+\.py(?:::\S+)?"  # pytest's short summary
    r"|(?:FAIL|ERROR): \w+(?: \([\w.]+\))?"  # unittest
    r"|\s*not ok \d+ - .+"  # TAP (node --test, prove)
    r"|\s*● .+ › .+"  # jest
    r"|\s*(?:FAIL|×|✗)\s+\S+\.(?:test|spec)\.[cm]?[jt]sx? > .+"  # vitest
    r"|test \S+ \.\.\. FAILED"  # cargo test
    r"|\s*--- FAIL: \S+(?: \([\d.]+s\))?)",  # go test
    re.MULTILINE)
_PYTEST_ID: Final = re.compile(r"(?:FAILED|ERROR) (\S+)")
_MAX_NAMES: Final = 3
_NAME_SCAN_CHARS: Final = 128 * 1024


def command_keys(command: str) -> tuple[str, ...]:
    """How a command is recognised when it runs again: its own key first (what a failure of it is filed
    under), then the key of each step of an `a && b` chain (a success of the chain is a success of each).

    A key leaves out a leading `cd`, output plumbing (`2>&1`, `| tail`) and spacing; a test runner or
    checker is `run:<tool>:<targets>`, any `git commit` is "git commit" (every commit retries the last).
    """
    text = " ".join(command.split())
    steps = [_step_key(step) for step in _CHAIN.split(text)]
    steps = [step for step in steps if step and not step.startswith("cd ")]
    primary = next((step for step in reversed(steps) if step.startswith(("run:", "git "))), None)
    if primary is None:
        primary = _step_key(_CD_PREFIX.sub("", text)) or text
    return (primary, *[step for step in steps if step != primary])


def _step_key(step: str) -> str:
    git = _GIT_VERB.search(step)
    if git:
        return "git " + git.group(1)
    text = _PLUMBING.sub("", _CD_PREFIX.sub("", step))
    while (tail := _PIPE_TAIL.search(text)) is not None:
        text = text[: tail.start()]
    text = _PYTHON.sub("python", text)
    test = test_run(text)
    return f"run:{test[0]}:{' '.join(test[1])}" if test else text.strip()


def test_run(command: str) -> tuple[str, tuple[str, ...]] | None:
    """(tool, targets) when `command` runs tests or a checker; no targets means the whole project."""
    for runner, pattern in _TEST_RUNNERS:
        found = pattern.search(command)
        if found:
            words = found.group("args").split()
            return runner, tuple(w.strip("'\"") for w in words if not w.startswith("-") and w not in _NOT_TARGETS)
    return None


def _covers(targets: tuple[str, ...], key: str, failure: FailedTool) -> bool:
    """Whether a passing run of `targets` shows that the test failure under `key` is fixed."""
    if not targets:
        return True
    failed = tuple(key.split(":", 2)[2].split())
    if failed and all(t.startswith(targets) for t in failed):
        return True
    ids = [m.group(1) for m in map(_PYTEST_ID.match, failure.names) if m]
    return bool(ids) and len(ids) == len(failure.names) and all(i.startswith(targets) for i in ids)


def _watch_for_resolution(call: _Call, command: str | None, summary: Summary) -> None:
    """The failures a success of this call resolves; its result is parsed only if there are some.

    Keys are scoped to their file: subagent files are read after the main one, so a run in one can't be
    put in order against a failure in another.
    """
    scope = f"{summary.file_number}|" if summary.file_number else ""
    if command is not None:
        keys = [scope + key for key in command_keys(command)]
        for key in keys[:]:
            if key.startswith(scope + "run:"):
                runner, _, targets = key[len(scope) + 4:].partition(":")
                prefix = f"{scope}run:{runner}:"
                keys += [k for k, f in summary.failing.items()
                         if k not in keys and k.startswith(prefix) and _covers(tuple(targets.split()), k, f)]
    elif call.target:
        keys = [f"{scope}{'write' if call.tool in WRITE_TOOLS else call.tool}:{call.target}"]
    else:
        keys = []
    call.keys = tuple(keys)
    call.watched = call.git or any(k in summary.failing for k in keys)


def _take_error(call: _Call | None, text: str, summary: Summary) -> None:
    head = text[:_ERROR_SCAN_CHARS]
    if any(marker in head for marker in _CANCELLED):
        return  # never ran: cancelled with its batch, or a tool that does not exist
    tool, target = (call.tool, call.target) if call is not None else ("unknown", "")
    if any(marker in head for marker in _REJECTED):
        summary.refused.append(Refusal(tool, target, "rejected"))
        return
    if _NOT_PERMITTED.search(head):
        summary.refused.append(Refusal(tool, target, "not permitted"))
        return
    if call is not None and call.git and _NOTHING_TO_COMMIT in head:
        summary.note_success(call.keys)  # not a failure: the work was already committed
        return
    failure = _failed_tool(call, text)
    key = call.keys[0] if call is not None and call.keys else f"?{failure.summary}"
    summary.note_failure(key, failure)


def failing_test_names(text: str) -> tuple[str, ...]:
    """Up to three failing tests, as the runner printed them (`FAILED tests/x.py::test_y`, `not ok 3 - y`)."""
    scanned = text if len(text) <= 2 * _NAME_SCAN_CHARS else text[:_NAME_SCAN_CHARS] + "\n" + text[-_NAME_SCAN_CHARS:]
    names: dict[str, None] = {}
    for found in _FAILING_TEST.finditer(scanned):
        names[clip(found.group(0).strip(), 160)] = None
        if len(names) >= _MAX_NAMES:
            break
    return tuple(names)


def _take_git_output(text: str, summary: Summary) -> None:
    for found in _COMMIT_LINE.finditer(text[:_ERROR_SCAN_CHARS]):
        summary.commits.append(Commit(found.group(2), clip(found.group(3).strip(), MAX_SUBJECT_CHARS)))
    remote = _PUSH_REMOTE.search(text[:_ERROR_SCAN_CHARS])
    for found in _PUSH_REF.finditer(text[:_ERROR_SCAN_CHARS]):
        where = f" ({clip(remote.group(1), 200)})" if remote else ""
        summary.pushes.append(clip(f"{found.group(1)} -> {found.group(2)}{where}", 300))


def _note_agent_call(args: dict[str, object], summary: Summary) -> None:
    prompt = as_text(args.get("prompt"))
    if prompt and len(summary.agent_calls) < MAX_PENDING_CALLS:
        summary.agent_calls[prompt] = (
            clip(as_text(args.get("subagent_type")), 100), clip(as_text(args.get("description")), MAX_SUBJECT_CHARS))
