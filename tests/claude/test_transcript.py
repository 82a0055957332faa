"""Tests for sfp.claude.transcript: the real 2.1.197 transcript, edge cases, bounds, and the fast path."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfp.errors import UsageError
from sfp.claude.transcript import cheap_record_type, read_transcript, summarize_transcript
from sfp.claude.transcript_outcomes import failing_test_names
from sfp.claude.transcript_records import error_summary
from sfp.claude.transcript_summary import (
    MAX_ITEMS,
    MAX_PROMPT_CHARS,
    Commit,
    FailedTool,
    Refusal,
    Subagent,
    Task,
    Transcript,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "transcripts"
REAL = DATA / "bb4d8064-6c68-4243-a46f-ce1e3b32b275.jsonl"
SESSION = "5e55-0000"


# --- building transcripts the way the client writes them (compact JSON, raw UTF-8) -------------


def dump(record: object) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """Records (dicts) or raw lines (str / bytes) -> a JSON-lines file."""
    with path.open("wb") as out:
        for record in records:
            if isinstance(record, bytes):
                out.write(record)
            elif isinstance(record, str):
                out.write(record.encode())
            else:
                out.write(dump(record).encode() + b"\n")
    return path


def meta(**extra: Any) -> dict[str, Any]:
    base = {
        "isSidechain": False,
        "cwd": "/w",
        "sessionId": SESSION,
        "gitBranch": "dev",
        "timestamp": "2026-01-02T03:04:05.000Z",
    }
    base.update(extra)
    return base


def prompt(text: Any, **extra: Any) -> dict[str, Any]:
    return {"parentUuid": None, **meta(**extra), "type": "user", "message": {"role": "user", "content": text}}


def say(text: str, **extra: Any) -> dict[str, Any]:
    return {
        **meta(**extra),
        "message": {"role": "assistant", "model": "m", "content": [{"type": "text", "text": text}]},
        "type": "assistant",
    }


def call(call_id: str, name: str, tool_input: Any, **extra: Any) -> dict[str, Any]:
    block = {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}
    return {**meta(**extra), "message": {"role": "assistant", "content": [block]}, "type": "assistant"}


def result(
    call_id: str, content: Any, *, is_error: bool | None = None, details: Any = None, **extra: Any
) -> dict[str, Any]:
    block: dict[str, Any] = {"tool_use_id": call_id, "type": "tool_result", "content": content}
    if is_error is not None:
        block["is_error"] = is_error
    record = {
        "parentUuid": "p",
        **meta(**extra),
        "type": "user",
        "message": {"role": "user", "content": [block]},
    }
    if details is not None:
        record["toolUseResult"] = details
    return record


def summarize(path: Path, **options: Any) -> Transcript:
    """Read both with and without the byte-level shortcut: the two must agree."""
    include = options.pop("include_subagents", True)
    max_line = options.pop("max_line_bytes", 8 * 1024 * 1024)
    fast = summarize_transcript(path, include, max_line, skip_cheaply=True)
    plain = summarize_transcript(path, include, max_line, skip_cheaply=False)
    assert fast == plain
    assert read_transcript(path, include_subagents=include, max_line_bytes=max_line) == fast
    return fast


# --- the real transcript -----------------------------------------------------------------------


def test_real_transcript_summary() -> None:
    got = summarize(REAL)
    assert got.session_id == "bb4d8064-6c68-4243-a46f-ce1e3b32b275"
    assert got.cwd == "/home/user/acme-api"
    assert got.git_branch == "main"
    assert got.first_timestamp == "2026-11-24T14:34:13.661Z"
    assert got.last_timestamp == "2026-11-24T14:34:20.519Z"
    # The isMeta caveat and the `<command-name>/compact` record are not prompts.
    assert got.prompts == (
        "Add email validation to create_user and track the work as tasks",
        "Keep emails case-sensitive; we will run the full suite next",
        "status check 1",
        "status check 2",
        "continue with the test run",
    )
    assert got.prompt_count == 5
    assert got.files_written == (
        "/home/user/acme-api/src/acme/api.py",
        "/home/user/acme-api/tests/test_validation.py",
    )
    assert got.files_read == ("/home/user/acme-api/src/acme/api.py",)
    assert got.commands == ("git status --short",)
    assert got.tasks == (
        Task(
            "1",
            "Add email validation",
            "completed",
            "Reject malformed emails in create_user",
            "Adding email validation",
        ),
        Task("2", "Write tests for validation", "pending", "Cover valid and invalid emails", "Writing tests"),
    )
    assert [task.id for task in got.open_tasks] == ["2"]
    assert got.failed_tools == ()
    assert got.last_assistant_message == "Done."
    # The /compact in this session failed ("Not enough messages to compact"): no boundary was written.
    assert got.compact_boundaries == 0
    assert got.records_after_last_compact == 50
    assert got.skipped_lines == 0
    assert got.bytes_read == REAL.stat().st_size


def test_real_transcript_with_a_torn_copy_of_its_last_line(tmp_path: Path) -> None:
    lines = REAL.read_bytes().splitlines(keepends=True)
    torn = write_jsonl(tmp_path / "t.jsonl", [*lines[:21], lines[21][: len(lines[21]) // 2]])
    got = summarize(torn)
    assert got.skipped_lines == 1
    assert (
        got.last_assistant_message
        == "Validation added; tests for the bad-email case written. Remaining: run the full test suite."
    )
    assert got.prompts == ("Add email validation to create_user and track the work as tasks",)


# --- prompts -----------------------------------------------------------------------------------


def test_only_the_persons_prompts_count(tmp_path: Path) -> None:
    records = [
        prompt("first real prompt"),
        prompt("<command-name>/clear</command-name>"),
        prompt("  \n<system-reminder>remember</system-reminder>"),
        prompt("<local-command-stdout>ok</local-command-stdout>"),
        prompt("<local-command-stderr>bad</local-command-stderr>"),
        prompt("<command-message>review</command-message>"),
        prompt("expanded skill text", isMeta=True),
        prompt("This session is being continued from a previous conversation...", isCompactSummary=True),
        prompt("a subagent's instructions", isSidechain=True),
        prompt("   "),
        prompt([{"type": "text", "text": "older list form"}, {"type": "image", "source": {"data": "AAAA"}}]),
        prompt("  padded prompt \n"),
        result("toolu_1", "a tool result is not a prompt"),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.prompts == ("first real prompt", "older list form", "padded prompt")
    assert got.prompt_count == 3


def test_prompts_are_capped_and_clipped(tmp_path: Path) -> None:
    records = [prompt(f"prompt {n}") for n in range(MAX_ITEMS + 50)] + [prompt("x" * 50_000)]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert len(got.prompts) == MAX_ITEMS
    assert got.prompts[0] == "prompt 51"
    assert got.prompts[-1] == "x" * (MAX_PROMPT_CHARS - 1) + "…"
    assert got.prompt_count == MAX_ITEMS + 51


# --- tool calls --------------------------------------------------------------------------------


def test_files_and_commands_in_first_seen_order(tmp_path: Path) -> None:
    records = [
        call("t1", "Write", {"file_path": "/w/a.py", "content": "x"}),
        call("t2", "Edit", {"file_path": "/w/b.py", "old_string": "a", "new_string": "b"}),
        call("t3", "Edit", {"file_path": "/w/a.py", "old_string": "a", "new_string": "b"}),
        call("t4", "MultiEdit", {"file_path": "/w/c.py", "edits": []}),
        call("t5", "NotebookEdit", {"notebook_path": "/w/n.ipynb", "new_source": ""}),
        call("t6", "Read", {"file_path": "/w/r.py"}),
        call("t7", "Bash", {"command": "pytest -q", "description": "run"}),
        call("t8", "Bash", {"command": "pytest -q"}),
        call("t9", "Grep", {"pattern": "x"}),
        call("t10", "Read", {"file_path": "/w/r.py"}),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.files_written == ("/w/a.py", "/w/b.py", "/w/c.py", "/w/n.ipynb")
    assert got.files_read == ("/w/r.py",)
    assert got.commands == ("pytest -q", "pytest -q")


def test_failed_tools_and_what_they_did_not_do(tmp_path: Path) -> None:
    records = [
        call("b1", "Bash", {"command": "pytest -q\n# second line"}),
        result("b1", "Exit code 1\n....F\nFAILED tests/test_x.py::test_y\n1 failed in 0.2s\n", is_error=True),
        call("e1", "Edit", {"file_path": "/w/ok.py", "old_string": "a", "new_string": "b"}),
        result("e1", "The file /w/ok.py has been updated", is_error=False),
        call("e2", "Edit", {"file_path": "/w/missing.py", "old_string": "a", "new_string": "b"}),
        result(
            "e2",
            [
                {
                    "type": "text",
                    "text": "<tool_use_error>String to replace not found in file.\nString: a</tool_use_error>",
                }
            ],
            is_error=True,
        ),
        call("e3", "Edit", {"file_path": "/w/ok.py", "old_string": "zz", "new_string": "b"}),
        result("e3", "<tool_use_error>String to replace not found</tool_use_error>", is_error=True),
        call("r1", "Read", {"file_path": "/w/nope.py"}),
        result("r1", "File does not exist.", is_error=True),
        result("lost", "an error for a call we never saw", is_error=True),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.failed_tools == (
        FailedTool(
            "Bash", "pytest -q: Exit code 1: 1 failed in 0.2s", "pytest -q", "Exit code 1: 1 failed in 0.2s",
            ("FAILED tests/test_x.py::test_y",),
        ),
        FailedTool(
            "Edit",
            "/w/missing.py: String to replace not found in file.",
            "/w/missing.py",
            "String to replace not found in file.",
        ),
        FailedTool(
            "Edit", "/w/ok.py: String to replace not found", "/w/ok.py", "String to replace not found"
        ),
        FailedTool("Read", "/w/nope.py: File does not exist.", "/w/nope.py", "File does not exist."),
        FailedTool("unknown", "an error for a call we never saw", "", "an error for a call we never saw"),
    )
    # A failed edit of a file edited successfully before keeps it; one that never succeeded drops it.
    assert got.files_written == ("/w/ok.py",)
    assert got.files_read == ()
    assert got.commands == ("pytest -q\n# second line",)


def test_error_summary_is_one_clipped_line() -> None:
    assert error_summary("\n\n  first  \nsecond") == "first"
    assert error_summary("Exit code 2") == "Exit code 2"
    assert len(error_summary("y" * 10_000)) == 200
    assert error_summary("") == ""


# --- tasks -------------------------------------------------------------------------------------


def created(call_id: str, subject: str, task_id: str, *, with_details: bool = True) -> list[dict[str, Any]]:
    return [
        call(
            call_id,
            "TaskCreate",
            {"subject": subject, "description": f"do {subject}", "activeForm": f"doing {subject}"},
        ),
        result(
            call_id,
            f"Task #{task_id} created successfully: {subject}",
            details={"task": {"id": task_id, "subject": subject}} if with_details else None,
        ),
    ]


def update(call_id: str, task_id: Any, status: Any, *, error: bool = False) -> list[dict[str, Any]]:
    return [
        call(call_id, "TaskUpdate", {"taskId": task_id, "status": status}),
        result(
            call_id, "No task found" if error else f"Updated task #{task_id} status", is_error=error or None
        ),
    ]


def test_tasks_created_updated_deleted(tmp_path: Path) -> None:
    records = [
        *created("c1", "one", "1"),
        *created("c2", "two", "2", with_details=False),  # id from the result text only
        *created("c3", "three", "3"),
        *update("u1", "1", "in_progress"),
        *update("u2", "2", "deleted"),
        *update("u3", "3", "completed"),
        *update("u4", "1", "completed", error=True),  # a failed update changes nothing
        *update("u5", "7", "in_progress"),  # created before this transcript began
        *update("u6", "8", "completed", error=True),
        call("c4", "TaskCreate", {"subject": "never answered"}),
        call("c5", "TaskCreate", {"subject": "refused"}),
        result("c5", "<tool_use_error>bad</tool_use_error>", is_error=True),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert [(t.id, t.subject, t.status) for t in got.tasks] == [
        ("1", "one", "in_progress"),
        ("3", "three", "completed"),
        ("7", "", "in_progress"),
    ]
    assert got.tasks[0].description == "do one"
    assert got.tasks[0].active_form == "doing one"


def test_todowrite_era_transcript(tmp_path: Path) -> None:
    def todos(*items: tuple[str, str]) -> dict[str, Any]:
        return {"todos": [{"content": c, "status": s, "activeForm": c + "ing"} for c, s in items]}

    records = [
        {"type": "summary", "summary": "Older session", "leafUuid": "x"},
        prompt("Fix the parser", version="1.0.80"),
        call("w1", "TodoWrite", todos(("Read parser", "in_progress"), ("Fix bug", "pending"))),
        result("w1", "Todos have been modified successfully.", details={"oldTodos": [], "newTodos": []}),
        {"type": "progress", "data": {"type": "hook_progress"}, "toolUseID": "w1", **meta()},
        call(
            "w2",
            "TodoWrite",
            todos(("Read parser", "completed"), ("Fix bug", "in_progress"), ("Add test", "pending")),
        ),
        result("w2", "Todos have been modified successfully."),
        call("w3", "TodoWrite", {"todos": "not a list"}),
        call("w4", "TodoWrite", todos(("everything", "pending"))),
        result("w4", "<tool_use_error>InputValidationError</tool_use_error>", is_error=True),
        call(
            "w5",
            "TodoWrite",
            {"todos": [{"content": "kept id", "status": "weird", "id": "abc"}, {"status": "pending"}, 3]},
        ),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records[:7]))
    assert [(t.id, t.subject, t.status) for t in got.tasks] == [
        ("1", "Read parser", "completed"),
        ("2", "Fix bug", "in_progress"),
        ("3", "Add test", "pending"),
    ]
    assert got.tasks[1].active_form == "Fix buging"
    # A failed TodoWrite leaves the previous list; a malformed one changes nothing.
    assert summarize(write_jsonl(tmp_path / "u.jsonl", records[:10])).tasks == got.tasks
    assert summarize(write_jsonl(tmp_path / "v.jsonl", records)).tasks == (Task("abc", "kept id", "pending"),)


# --- transcript structure ----------------------------------------------------------------------


def test_compact_boundaries_and_metadata(tmp_path: Path) -> None:
    boundary = {
        **meta(),
        "type": "system",
        "subtype": "compact_boundary",
        "content": "Conversation compacted",
    }
    records = [
        prompt("one", timestamp="2026-01-01T00:00:00.000Z", gitBranch="main", cwd="/a"),
        boundary,
        prompt("summary", isCompactSummary=True),
        prompt("two"),
        boundary,
        prompt("three", timestamp="2026-01-01T09:00:00.000Z", gitBranch="feature", cwd="/b"),
        say("bye", timestamp="not a time", gitBranch="feature", cwd="/b"),
        {"type": "last-prompt", "lastPrompt": "three"},
        "\n",
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.compact_boundaries == 2
    assert got.records_after_last_compact == 3
    assert got.prompts == ("one", "two", "three")
    assert (got.first_timestamp, got.last_timestamp) == (
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T09:00:00.000Z",
    )
    assert (got.git_branch, got.cwd, got.session_id) == ("feature", "/b", SESSION)


def test_noise_records_are_ignored_even_when_they_nest_tool_calls(tmp_path: Path) -> None:
    nested = {
        "type": "assistant",
        "message": {
            "content": [
                {"type": "tool_use", "id": "n1", "name": "Bash", "input": {"command": "rm -rf /"}},
                {"type": "text", "text": "from a progress record"},
            ]
        },
    }
    records = [
        {"parentUuid": "x", **meta(), "type": "progress", "data": {"message": nested}},
        {"type": "file-history-snapshot", "messageId": "m", "snapshot": {"trackedFileBackups": {"/w/x": {}}}},
        {"type": "queue-operation", "operation": "enqueue", "content": "queued text"},
        {"type": "attachment", "attachment": {"type": "file", "content": [nested]}},
        {**meta(), "attachment": {"type": "hook_success", "content": nested}, "type": "attachment"},
        {"type": "mode", "mode": "plan"},
        {"type": "brand-new-type", "message": {"content": "hello"}},
        {"type": "summary", "summary": "s"},
        say("real"),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.commands == ()
    assert got.prompts == ()
    assert got.last_assistant_message == "real"
    assert got.skipped_lines == 0


def test_sidechain_and_synthetic_records(tmp_path: Path) -> None:
    records = [
        say("main thread text"),
        call("s1", "Bash", {"command": "make"}, isSidechain=True),
        result("s1", "boom", is_error=True, isSidechain=True),
        call("s2", "TaskCreate", {"subject": "sidechain task"}, isSidechain=True),
        result("s2", "Task #9 created successfully: sidechain task", isSidechain=True),
        say("sidechain text", isSidechain=True),
        {
            **say("No response requested."),
            "message": {
                "model": "<synthetic>",
                "content": [{"type": "text", "text": "No response requested."}],
            },
        },
        {**say("API Error: overloaded"), "isApiErrorMessage": True},
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.commands == ("make",)
    assert got.failed_tools == (FailedTool("Bash", "make: boom", "make", "boom"),)
    assert got.tasks == ()
    assert got.last_assistant_message == "main thread text"


def test_subagent_transcripts_are_merged(tmp_path: Path) -> None:
    main = write_jsonl(
        tmp_path / "sess.jsonl",
        [prompt("main prompt"), call("m1", "Read", {"file_path": "/w/main.py"}), say("main says")],
    )
    agents = tmp_path / "sess" / "subagents"
    agents.mkdir(parents=True)
    write_jsonl(
        agents / "agent-a1.jsonl",
        [
            prompt("subagent instructions", isSidechain=True),
            prompt("a prompt-shaped record"),
            call("a1", "Write", {"file_path": "/w/agent.py", "content": ""}),
            call("a2", "Bash", {"command": "ruff check"}),
            result("a2", "Exit code 1\nE501", is_error=True),
            call("a3", "Read", {"file_path": "/w/main.py"}),
            call("a4", "TaskCreate", {"subject": "agent task"}),
            result("a4", "Task #5 created successfully: agent task"),
            say("agent says"),
            b'{"torn',
        ],
    )
    write_jsonl(
        agents / "agent-b2.jsonl",
        [call("b1", "Edit", {"file_path": "/w/b.py", "old_string": "", "new_string": ""})],
    )
    write_jsonl(agents / "other.jsonl", [call("o1", "Bash", {"command": "not an agent file"})])

    got = summarize(main)
    assert got.prompts == ("main prompt",)
    assert got.last_assistant_message == "main says"
    assert got.files_written == ("/w/agent.py", "/w/b.py")
    assert got.files_read == ("/w/main.py",)
    assert got.commands == ("ruff check",)
    assert got.failed_tools == (
        FailedTool("Bash", "ruff check: Exit code 1: E501", "ruff check", "Exit code 1: E501"),
    )
    assert got.tasks == ()
    assert got.skipped_lines == 1
    assert got.bytes_read == main.stat().st_size

    alone = summarize(main, include_subagents=False)
    assert (alone.files_written, alone.commands, alone.skipped_lines) == ((), (), 0)


# --- robustness --------------------------------------------------------------------------------


def test_broken_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    records = [
        prompt("before"),
        "not json at all\n",
        "[1, 2, 3]\n",
        '"a string"\n',
        "42\n",
        "null\n",
        b'{"type":"user","message":{"content":"bad \xff\xfe utf-8"}}\n',
        "{" * 100_000 + "\n",  # deeper than the JSON parser can recurse
        '{"type": "user", "message": {"content": "spaced JSON still works"}}\n',
        "\n",
        "   \n",
        prompt("after"),
        '{"type":"user","message":{"content":"torn',
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.prompts == ("before", "spaced JSON still works", "after")
    assert got.skipped_lines == 8


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    got = summarize(write_jsonl(tmp_path / "t.jsonl", [prompt("one"), dump(prompt("two"))]))
    assert (got.prompts, got.skipped_lines) == (("one", "two"), 0)


def test_oversized_line_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    huge = result("h1", "z" * 300_000, is_error=True)
    records = [prompt("one"), call("h1", "Bash", {"command": "cat big"}), huge, prompt("two"), dump(huge)]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records), max_line_bytes=100_000)
    assert got.prompts == ("one", "two")
    assert got.failed_tools == ()
    assert got.skipped_lines == 2
    assert summarize(tmp_path / "t.jsonl").skipped_lines == 0


def test_oversized_line_is_never_held_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with path.open("wb") as out:
        out.write(dump(prompt("one")).encode() + b"\n")
        out.write(b'{"type":"user","message":{"content":"')
        for _ in range(40):
            out.write(b"q" * 1_000_000)
        out.write(b'"}}\n' + dump(prompt("two")).encode() + b"\n")
    tracemalloc.start()
    try:
        got = read_transcript(path, max_line_bytes=256 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.prompts == ("one", "two")
    assert got.skipped_lines == 1
    assert peak < 6 * 1024 * 1024


@pytest.mark.parametrize(
    "record",
    [
        {"type": "user", "message": {"content": 42}},
        {"type": "user", "message": "a string message"},
        {
            "type": "user",
            "message": {
                "content": [1, None, "x", {"type": "tool_result", "tool_use_id": 5, "is_error": True}]
            },
        },
        {"type": "user", "message": {"content": [{"type": "text", "text": 3}]}, "isMeta": "yes"},
        {
            "type": "assistant",
            "message": {"content": [{"type": "tool_use", "id": 1, "name": 2, "input": [1, 2]}]},
        },
        {
            "type": "assistant",
            "message": {"content": [{"type": "tool_use", "name": "Bash", "input": {"command": ["ls"]}}]},
        },
        {
            "type": "assistant",
            "message": {"content": [{"type": "tool_use", "name": "TaskUpdate", "input": {"taskId": True}}]},
        },
        {
            "type": "assistant",
            "message": {"content": [{"type": "tool_use", "name": "TaskUpdate", "input": {"taskId": [1]}}]},
        },
        {
            "type": "assistant",
            "message": {"content": [{"type": "tool_use", "name": "TodoWrite", "input": {"todos": {"a": 1}}}]},
        },
        {"type": "assistant", "message": {"content": "plain string content"}},
        {"type": "assistant", "message": {"content": {"type": "text"}}},
        {"type": "system", "subtype": ["compact_boundary"]},
        {"type": ["user"], "sessionId": 7, "cwd": None, "gitBranch": {}, "timestamp": 12},
        {
            "type": "user",
            "toolUseResult": "x",
            "message": {"content": [{"type": "tool_result", "content": {"a": 1}}]},
        },
    ],
)
def test_wrong_field_types_are_tolerated(tmp_path: Path, record: dict[str, Any]) -> None:
    got = summarize(write_jsonl(tmp_path / "t.jsonl", [record, prompt("still read")]))
    assert got.prompts == ("still read",)
    assert got.skipped_lines == 0


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(
        [
            "user",
            "assistant",
            "system",
            "tool_use",
            "tool_result",
            "text",
            "compact_boundary",
            "TaskCreate",
            "TaskUpdate",
            "TodoWrite",
            "Bash",
            "Edit",
            "t1",
        ]
    ),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            [
                "type",
                "message",
                "content",
                "tool_use_id",
                "id",
                "name",
                "input",
                "is_error",
                "text",
                "subtype",
                "toolUseResult",
                "task",
                "todos",
                "taskId",
                "status",
                "command",
                "file_path",
                "isSidechain",
                "isMeta",
                "timestamp",
                "subject",
            ]
        ),
        children,
        max_size=6,
    ),
    max_leaves=30,
)


@settings(max_examples=40, deadline=None)
@given(records=st.lists(json_values, max_size=8), garbage=st.binary(max_size=64))
def test_any_content_never_raises(
    tmp_path_factory: pytest.TempPathFactory, records: list[Any], garbage: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz.jsonl"
    write_jsonl(path, [*records, garbage + b"\n", garbage])
    summarize(path)


def test_missing_or_unreadable_paths_raise_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="transcript not found"):
        read_transcript(tmp_path / "nope.jsonl")
    with pytest.raises(UsageError, match="not a regular file"):
        read_transcript(tmp_path)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        read_transcript(fifo)
    with pytest.raises(UsageError, match="max_line_bytes"):
        read_transcript(REAL, max_line_bytes=0)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_raises_usage_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [prompt("x")])
    path.chmod(0)
    with pytest.raises(UsageError, match="cannot read transcript"):
        read_transcript(path)


# --- the byte-level shortcut -------------------------------------------------------------------


def test_cheap_record_type_only_answers_when_it_can_prove_it() -> None:
    assert (
        cheap_record_type(b'{"parentUuid":"a","isSidechain":false,"type":"user","message":{}}\n') == b"user"
    )
    assert cheap_record_type(b'{"type":"progress","data":{"type":"x"}}') == b"progress"
    # The first "type" is nested (the client writes assistant records this way): unknown.
    assert cheap_record_type(b'{"message":{"type":"message"},"type":"assistant"}') is None
    assert cheap_record_type(b'{"cwd":"/a[1]","type":"user"}') is None
    assert cheap_record_type(b'{"x":"\\"type\\":\\"user\\""}') is None
    assert cheap_record_type(b'{"type":"us\\u0065r"}') is None
    assert cheap_record_type(b' {"type":"user"}') is None


def test_shortcut_is_not_fooled_by_text_that_looks_like_json(tmp_path: Path) -> None:
    sneaky = '"type":"tool_result","is_error":false} {"type":"user"'
    records = [
        prompt(f"a prompt quoting {sneaky}"),
        call("k1", "Bash", {"command": "cat log"}),
        result("k1", f'log says "is_error":true and {sneaky}', is_error=False),
        call("k2", "Bash", {"command": "false"}),
        {**result("k2", "Exit code 1", is_error=True), "toolUseResult": {"stderr": '"is_error":false'}},
        call("k3", "TaskCreate", {"subject": "found by id"}),
        result("k3", 'text with "tool_use_id":"k3" inside', details={"task": {"id": "11"}}),
        call("k4", "Bash", {"command": "spaced"}),
        '{"type": "user", "message": {"content": '
        '[{"type": "tool_result", "tool_use_id": "k4", "is_error": true, "content": "x"}]}}\n',
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.prompts == (f"a prompt quoting {sneaky}",)
    assert [f.target for f in got.failed_tools] == ["false", "spaced"]
    assert got.tasks == (Task("11", "found by id", "pending"),)


def write_long_session(path: Path, target_bytes: int) -> int:
    """A long session: big Read and Bash results, edits, prompts, tasks, noise (~100 KB a turn)."""

    def source(lines: int) -> str:
        return "".join(
            f'def function_{n}(x):\n    return x * {n}  # “quoted” \\ "text"\n' for n in range(lines)
        )

    sources = [source(100 * (k + 1)) for k in range(6)]
    numbered = [
        "".join(f"{n:6}\t{line}\n" for n, line in enumerate(text.splitlines(), start=1)) for text in sources
    ]
    size = 0
    with path.open("w", encoding="utf-8") as out:
        turn = 0
        while size < target_bytes:
            turn += 1
            text, shown = sources[turn % 6], numbered[turn % 6]
            lines = [
                prompt(f"turn {turn}: please continue"),
                call(f"r{turn}", "Read", {"file_path": f"/w/src/mod{turn % 300}.py"}),
                result(
                    f"r{turn}",
                    shown,
                    details={"type": "text", "file": {"filePath": "/w/x.py", "content": text}},
                ),
                call(f"b{turn}", "Bash", {"command": f"pytest -q tests/{turn}"}),
                result(f"b{turn}", shown[:10_000], is_error=turn % 7 == 0),
                call(
                    f"e{turn}",
                    "Edit",
                    {"file_path": f"/w/src/mod{turn % 250}.py", "old_string": "a", "new_string": "b"},
                ),
                result(f"e{turn}", "updated", details={"originalFile": text, "structuredPatch": []}),
                {"type": "progress", "data": {"type": "bash_progress", "output": shown[:3_000]}},
                *(created(f"c{turn}", f"task {turn}", str(turn)) if turn % 5 == 0 else []),
                *(update(f"u{turn}", str(turn - 1), "completed") if turn % 5 == 1 and turn > 1 else []),
                say(f"done with turn {turn}"),
            ]
            for record in lines:
                line = dump(record) + "\n"
                out.write(line)
                size += len(line.encode())
    return size


def test_long_session_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    size = write_long_session(path, 30 * 1024 * 1024)
    tracemalloc.start()
    try:
        got = read_transcript(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.bytes_read == size
    assert peak < 8 * 1024 * 1024  # measured ~2 MB: a 1 MB read buffer plus one line at a time
    assert got.prompt_count > MAX_ITEMS and len(got.prompts) == MAX_ITEMS
    assert len(got.files_read) == MAX_ITEMS and len(got.failed_tools) > 0
    assert got.last_assistant_message is not None and got.last_assistant_message.startswith("done with turn")


def test_shortcut_agrees_with_full_parsing_on_a_long_session(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    write_long_session(path, 3 * 1024 * 1024)
    got = summarize(path)
    assert got.tasks and all(task.status == "completed" for task in got.tasks[:-1])
    assert got.failed_tools[0].error.startswith("1\tdef function_0(x):")


# --- the whole truth (issue 13): requests, outcomes of failures, subagents, commits ---------------


def test_only_the_persons_requests_count(tmp_path: Path) -> None:
    notification = "<task-notification>\n<task-id>a1</task-id>\n<status>completed</status>\n</task-notification>"
    records = [
        prompt("build the TODO app"),
        prompt(notification, promptSource="system", origin={"kind": "task-notification"}),
        prompt("a report the client sent", promptSource="system"),
        prompt("anything", origin={"kind": "task-notification"}),
        prompt(notification),
        prompt("<command-name>/orchestrator</command-name>\n<command-args>create TODO app</command-args>"),
        prompt("<command-message>obsskill</command-message>\n<command-name>/obsskill</command-name>"),
        prompt("<command-name>test-command</command-name><command-args>--verbose</command-args>"),
        prompt("<command-name>/compact</command-name>\n<command-message>compact</command-message>\n"
               "<command-args></command-args>"),
        prompt("<command-name>/model</command-name><command-args>claude-haiku-4-5</command-args>"),
        prompt("<local-command-stdout>Set model to Haiku</local-command-stdout>"),
        prompt("Caveat: The messages below were generated by the user while running local commands."),
        prompt("This session is being continued from a previous conversation that ran out of context."),
        prompt("Base directory for this skill: /x", isMeta=True),
        prompt("the summary", isCompactSummary=True),
        prompt("and now the tests"),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.prompts == ("build the TODO app", "/orchestrator create TODO app", "/obsskill",
                           "/test-command --verbose", "and now the tests")
    assert got.first_prompt == "build the TODO app"


def test_the_goal_outlives_the_kept_prompts(tmp_path: Path) -> None:
    records = [prompt(f"request {i}") for i in range(MAX_ITEMS + 5)]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.first_prompt == "request 0" and got.prompts[0] == "request 5"


def run_and_answer(call_id: str, command: str, output: str, *, failed: bool) -> list[dict[str, Any]]:
    return [call(call_id, "Bash", {"command": command}), result(call_id, output, is_error=failed)]


def test_a_failure_fixed_by_a_later_run_is_not_open(tmp_path: Path) -> None:
    records = [
        *run_and_answer("t1", "pytest tests/test_a.py -q", "Exit code 1\nFAILED tests/test_a.py::test_x - boom",
                        failed=True),
        *run_and_answer("l1", "ruff check src", "Exit code 1\nE501", failed=True),
        *run_and_answer("t2", "cd /w && python -m pytest tests/test_a.py -q 2>&1 | tail -5", "1 passed", failed=False),
        *run_and_answer("m1", "make lint", "Exit code 2\nboom", failed=True),
        *run_and_answer("m2", "make lint", "Exit code 2\nstill boom", failed=True),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert [f.target for f in got.open_failures] == ["ruff check src", "make lint"]
    assert got.open_failures[-1].error == "Exit code 2: still boom"  # the latest run's failure
    assert [f.target for f in got.fixed_failures] == ["pytest tests/test_a.py -q"]
    assert len(got.failed_tools) == 4  # every failure is still in the record of what happened


def test_a_passing_whole_suite_settles_a_targeted_failure_but_not_the_reverse(tmp_path: Path) -> None:
    records = [
        *run_and_answer("a", "pytest", "Exit code 1\nFAILED tests/test_b.py::test_y", failed=True),
        *run_and_answer("b", "pytest tests/test_c.py", "Exit code 1\nFAILED tests/test_c.py::test_z", failed=True),
        *run_and_answer("c", "pytest tests/test_a.py", "3 passed", failed=False),
        *run_and_answer("d", "pytest tests/test_b.py::test_y", "1 passed", failed=False),
        *run_and_answer("e", "cargo test", "Exit code 101\ntest parse::empty ... FAILED", failed=True),
        *run_and_answer("f", "cargo build && cargo test", "ok", failed=False),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    # `pytest` failed only on test_b.py::test_y, which then passed; test_c.py was never run again.
    assert [f.target for f in got.open_failures] == ["pytest tests/test_c.py"]
    assert [f.target for f in got.fixed_failures] == ["pytest", "cargo test"]


@pytest.mark.parametrize("output, names", [
    ("FAILED tests/test_x.py::test_y - AssertionError\nFAILED tests/test_x.py::test_z\n",
     ("FAILED tests/test_x.py::test_y", "FAILED tests/test_x.py::test_z")),
    ("ERROR tests/test_broken.py - ImportError", ("ERROR tests/test_broken.py",)),
    ("FAIL: test_y (tests.test_x.XTest.test_y)\n----\nERROR: test_z (tests.test_x.XTest.test_z)",
     ("FAIL: test_y (tests.test_x.XTest.test_y)", "ERROR: test_z (tests.test_x.XTest.test_z)")),
    ("TAP version 13\nok 1 - a\nnot ok 2 - renders the city\n  ---\n", ("not ok 2 - renders the city",)),
    ("  ● Widget › renders the city\n\n    expect(received)", ("● Widget › renders the city",)),
    (" FAIL  src/widget.test.ts > Widget > renders\n", ("FAIL  src/widget.test.ts > Widget > renders",)),
    ("test parse::empty ... FAILED\ntest parse::full ... ok", ("test parse::empty ... FAILED",)),
    ("=== RUN   TestParse\n--- FAIL: TestParse (0.00s)\nFAIL", ("--- FAIL: TestParse (0.00s)",)),
    ("Exit code 1\nmake: *** [all] Error 1", ()),
])
def test_failing_tests_are_named_as_the_runner_prints_them(output: str, names: tuple[str, ...]) -> None:
    assert failing_test_names(output) == names


def test_cancelled_calls_and_missing_tools_are_no_failures_and_refusals_are_stated(tmp_path: Path) -> None:
    records = [
        call("w1", "Write", {"file_path": "/w/a.py", "content": ""}),
        result("w1", "<tool_use_error>Sibling tool call errored</tool_use_error>", is_error=True),
        call("w2", "MultiEdit", {"file_path": "/w/b.py", "edits": []}),
        result("w2", "<tool_use_error>Error: No such tool available: MultiEdit</tool_use_error>", is_error=True),
        call("r1", "Bash", {"command": "rm -rf build"}),
        result("r1", "The user doesn't want to proceed with this tool use. The tool use was rejected", is_error=True),
        call("r2", "Write", {"file_path": "/w/CLAUDE.md", "content": ""}),
        result("r2", "Claude requested permissions to write to /w/CLAUDE.md, but you haven't granted it yet.",
               is_error=True),
        call("r3", "Bash", {"command": "curl -s http://x"}),
        result("r3", "This command requires approval", is_error=True),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.failed_tools == () and got.open_failures == ()
    assert got.files_written == ()  # none of those writes happened
    assert got.refused == (Refusal("Bash", "rm -rf build", "rejected"),
                           Refusal("Write", "/w/CLAUDE.md", "not permitted"),
                           Refusal("Bash", "curl -s http://x", "not permitted"))


def test_commits_and_pushes_come_from_git_output(tmp_path: Path) -> None:
    push = "To github.com:acme/api.git\n   1a2b3c4..5d6e7f8  main -> main\n"
    records = [
        *run_and_answer("c0", "git commit -m 'wip'", "Exit code 1\npre-commit failed", failed=True),
        *run_and_answer("c1", "git add -A && git commit -m \"$(cat <<'EOF'\nAdd validation\nEOF\n)\"",
                        "[main 5808fca] Add validation\n 2 files changed", failed=False),
        *run_and_answer("c2", "git commit --amend --no-edit", "[main (root-commit) 9abcdef] First", failed=False),
        *run_and_answer("c3", "git commit -m again", "Exit code 1\nnothing to commit, working tree clean",
                        failed=True),
        *run_and_answer("p1", "git push 2>&1", push, failed=False),
        *run_and_answer("s1", "git status", "[main 0000000] not a commit: status output is not read", failed=False),
    ]
    got = summarize(write_jsonl(tmp_path / "t.jsonl", records))
    assert got.commits == (Commit("5808fca", "Add validation"), Commit("9abcdef", "First"))
    assert got.pushes == ("main -> main (github.com:acme/api.git)",)
    assert got.open_failures == () and [f.target for f in got.fixed_failures] == ["git commit -m 'wip'"]


def test_each_subagent_is_named_with_its_files_and_result(tmp_path: Path) -> None:
    main = write_jsonl(tmp_path / "sess.jsonl", [
        prompt("package it"),
        call("g1", "Agent", {"description": "Research packaging", "subagent_type": "general-purpose",
                             "prompt": "PKG: look at the project.\nWrite notes."}),
        result("g1", "done"),
    ])
    agents = tmp_path / "sess" / "subagents"
    agents.mkdir(parents=True)
    write_jsonl(agents / "agent-a1.jsonl", [
        prompt("PKG: look at the project.\nWrite notes.", isSidechain=True),
        call("w1", "Write", {"file_path": "/w/docs/packaging.md", "content": ""}, isSidechain=True),
        say("Use pyproject.toml.\nNotes in docs/packaging.md.", isSidechain=True),
    ])
    write_jsonl(agents / "agent-b2.jsonl", [prompt("Unknown origin\nmore", isSidechain=True)])
    write_jsonl(agents / "agent-acompact-1.jsonl", [prompt("Summarize the conversation", isSidechain=True)])
    got = summarize(main)
    assert got.subagents == (
        Subagent("general-purpose", "Research packaging", ("/w/docs/packaging.md",),
                 "Use pyproject.toml.\nNotes in docs/packaging.md."),
        Subagent("", "Unknown origin"),
    )
    assert got.files_written == ("/w/docs/packaging.md",)


def test_a_subagents_passing_run_does_not_settle_a_failure_of_the_main_session(tmp_path: Path) -> None:
    # Subagent files are read after the main one, so their order against it is unknown.
    main = write_jsonl(tmp_path / "sess.jsonl", [
        prompt("test it"), *run_and_answer("m1", "pytest", "Exit code 1\nFAILED tests/test_a.py::test_x", failed=True)])
    agents = tmp_path / "sess" / "subagents"
    agents.mkdir(parents=True)
    write_jsonl(agents / "agent-a1.jsonl", [
        prompt("run the suite", isSidechain=True),
        *run_and_answer("s1", "pytest -q", "Exit code 1\nFAILED tests/test_b.py::test_y", failed=True),
        *run_and_answer("s2", "pytest", "5 passed", failed=False),
    ])
    got = summarize(main)
    assert [f.target for f in got.open_failures] == ["pytest"]
    assert [f.target for f in got.fixed_failures] == ["pytest -q"]


def test_failing_test_names_are_found_at_either_end_of_a_long_output() -> None:
    output = "FAIL: test_first (t.T.test_first)\n" + "noise FAIL-ish ERRORS line\n" * 50_000 + "FAILED tests/t.py::test_last\n"
    assert failing_test_names(output) == ("FAIL: test_first (t.T.test_first)", "FAILED tests/t.py::test_last")
