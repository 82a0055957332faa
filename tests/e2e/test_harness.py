"""The harness itself, proved against the real client with plain shell hooks (no sfp involved)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from e2e.client import Sandbox, hook_settings, merge_hooks
from e2e.model_server import SUMMARY_TEXT, ModelServer, all_text, call, say

pytestmark = pytest.mark.e2e


def print_json(value: Any) -> str:
    """A shell command that prints `value` as one line of JSON."""
    return f"printf '%s\\n' {shlex.quote(json.dumps(value))}"


def on(event: str, command: str) -> dict[str, Any]:
    return hook_settings(command, events=[event])


def test_session_start_additional_context_reaches_the_first_request(sandbox: Sandbox, model: ModelServer) -> None:
    context = {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "MARKER-123"}}
    sandbox.write_settings(on("SessionStart", print_json(context)))
    model.push(say("Hello."))

    result = sandbox.run("hi")

    assert result.output["result"] == "Hello."
    assert result.session_id
    first = model.main_requests()[0]
    assert "MARKER-123" in all_text(first)


def test_a_bare_json_object_from_a_hook_does_not_reach_the_model(sandbox: Sandbox, model: ModelServer) -> None:
    ran = sandbox.root / "bare-json-hook-ran"
    sandbox.write_settings(merge_hooks(
        on("SessionStart", f"touch {shlex.quote(str(ran))}; " + print_json({"foo": "MARKER-456"})),
        # The control: plain text from a hook of the same event does reach the model.
        on("SessionStart", "echo PLAIN-789"),
    ))

    sandbox.run("hi")

    assert ran.exists(), "the bare-JSON hook never ran, so its silence proves nothing"
    sent = "\n".join(all_text(r) for r in model.requests)
    assert "PLAIN-789" in all_text(model.main_requests()[0])
    assert "MARKER-456" not in sent


def test_a_scripted_write_really_writes_the_file(sandbox: Sandbox, model: ModelServer) -> None:
    target = sandbox.project / "notes" / "hello.txt"
    model.push(call("Write", file_path=str(target), content="written by the e2e script\n"), say("Wrote it."))

    result = sandbox.run("write the file")

    assert target.read_text(encoding="utf-8") == "written by the e2e script\n"
    assert result.output["result"] == "Wrote it."
    requests = model.main_requests()
    assert len(requests) == 2
    assert "File created successfully" in all_text(requests[1])
    assert model.remaining == 0


def test_compact_runs_pre_compact_and_the_summary_reaches_the_next_request(
        sandbox: Sandbox, model: ModelServer) -> None:
    payload = sandbox.root / "pre-compact.json"
    sandbox.write_settings(on("PreCompact", f"cat > {shlex.quote(str(payload))}"))
    model.push(say("First answer."), say("Second answer."), say("Third answer."))

    session = sandbox.run("first question").session_id
    sandbox.run("second question", resume=session)
    compacted = sandbox.run("/compact", resume=session)
    after = sandbox.run("third question", resume=session)

    assert compacted.session_id == session == after.session_id
    event = json.loads(payload.read_text(encoding="utf-8"))
    assert (event["hook_event_name"], event["trigger"], event["session_id"]) == ("PreCompact", "manual", session)
    [compaction] = model.compact_requests()
    assert "First answer." in all_text(compaction)
    follow_up = all_text(model.main_requests()[-1])
    assert SUMMARY_TEXT in follow_up
    assert "First answer." not in follow_up, "the compacted turns were sent again"
    assert "third question" in follow_up
    records = sandbox.transcript(session)
    assert any(r.get("subtype") == "compact_boundary" for r in records)
    assert any(r.get("isCompactSummary") for r in records)


def test_the_client_stays_inside_the_sandbox(sandbox: Sandbox, model: ModelServer) -> None:
    sandbox.run("hi")

    assert [r.kind for r in model.requests if r.kind not in ("probe", "main")] == []
    assert model.unknown_paths == []
    assert any(sandbox.claude_dir.glob("projects/*/*.jsonl")), "the transcript is not under the sandbox's claude dir"
