"""`sfp hook`: every real payload answered validly; every broken input ends as exit 0 and one log line."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

import pytest

from helpers import DATA
from sfp.hooks import HookContext
from sfp.hooks.runner import Policy, load_policy, read_input, run_hook, run_with_policy
from sfp.hooks.protocol import HookEvent, HookInputError, HookResult

PAYLOADS = sorted((DATA / "payloads").glob("*.json"))
ALLOWED_KEYS = {"hookSpecificOutput", "systemMessage", "decision", "reason", "continue", "stopReason"}


def call_hook(raw: bytes, claude_dir: Path, event: str | None = None) -> tuple[int, str, str]:
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as pipe:
            try:
                pipe.write(raw)
            except BrokenPipeError:
                pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    out, err = io.StringIO(), io.StringIO()
    with os.fdopen(read_fd, "rb") as stdin:
        code = run_hook(event, claude_dir, stdin, out, err, environ={})
    feeder.join()
    return code, out.getvalue(), err.getvalue()


def log_lines(claude_dir: Path) -> list[dict[str, object]]:
    path = claude_dir / "logs" / "sfp.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_every_real_payload_gets_a_valid_answer(payload: Path, claude_dir: Path) -> None:
    raw = payload.read_bytes()
    event = json.loads(raw)
    code, out, err = call_hook(raw, claude_dir)
    assert code == 0, err
    assert "Traceback" not in err
    if out:
        answer = json.loads(out)
        assert set(answer) <= ALLOWED_KEYS
        if "hookSpecificOutput" in answer:
            assert event["hook_event_name"] in ("SessionStart", "UserPromptSubmit")
            assert answer["hookSpecificOutput"]["hookEventName"] == event["hook_event_name"]
            assert len(answer["hookSpecificOutput"]["additionalContext"]) < 10_000
    [record] = log_lines(claude_dir)
    assert record["event"] == event["hook_event_name"] and record["session"] == event["session_id"]


def _truncations() -> list[bytes]:
    raw = (DATA / "payloads" / "02-PostToolUse.json").read_bytes()
    return [raw[:n] for n in (1, 2, 10, 57, 100, 300, 600, 900, len(raw) - 1)]


GOOD = json.dumps({"hook_event_name": "SessionStart", "session_id": "s1", "source": "startup"}).encode()
MALFORMED: list[bytes] = [
    b"", b" ", b"\n\n", b"\t", b"null", b"true", b"0", b"-1", b"1e999", b'"SessionStart"', b"[]", b"[{}]",
    b"{}", b"{", b"}", b"{not json", b"{'single': 'quotes'}", b'{"hook_event_name": }',
    b'{"hook_event_name": 5}', b'{"hook_event_name": ""}', b'{"hook_event_name": null}',
    b'{"hook_event_name": ["SessionStart"]}', b'{"hook_event_name": {"x": 1}}', b'{"session_id": "s"}',
    b"\xff\xfe\xfd", b"\x00\x00\x00", "{\"hook_event_name\": \"Sessi\udcffon\"}".encode("utf-8", "surrogatepass"),
    b"\xef\xbb\xbf" + GOOD[:-1], GOOD + GOOD, GOOD + b" trailing", GOOD[:-1], b"[" * 100_000, b"{\"a\":" * 50_000,
    b'{"hook_event_name": "NoSuchEvent", "session_id": "s"}', b'{"hook_event_name": "Notification"}',
    b"NaN", b"Infinity", b'{"hook_event_name": "SessionStart", "a": NaN', b"\x1b[31m{}",
    b'{"hook_event_name": "SessionStart"' + b" " * 1000, b"#!/bin/sh\necho hi\n", b"<xml/>",
    b'{"hook_event_name":"UserPromptSubmit","prompt":12,"session_id":[1],"cwd":{"a":1},"transcript_path":false}',
    b'{"hook_event_name":"SessionStart","source":7,"cwd":"\\u0000","session_id":"s"}',
    b'{"hook_event_name":"SessionStart","cwd":"/nonexistent/\xc3\xa9t\xc3\xa9","session_id":"s"}',
    *_truncations(),
]


@pytest.mark.parametrize("raw", MALFORMED, ids=[f"case{i:02d}" for i in range(len(MALFORMED))])
def test_malformed_input_exits_0_quietly_with_one_log_line(raw: bytes, claude_dir: Path) -> None:
    code, out, err = call_hook(raw, claude_dir)
    assert code == 0
    assert "Traceback" not in err and "Traceback" not in out
    if out:  # a few of these are valid events after all (unknown fields, odd values): still valid answers
        assert set(json.loads(out)) <= ALLOWED_KEYS
    assert len(log_lines(claude_dir)) == 1


def test_there_are_at_least_50_malformed_cases() -> None:
    assert len(MALFORMED) >= 50


def test_oversized_input_is_refused_without_reading_it_all(claude_dir: Path) -> None:
    code, out, _ = call_hook(b'{"hook_event_name": "SessionStart", "x": "' + b"a" * (17 * 1024 * 1024) + b'"}', claude_dir)
    assert code == 0 and out == ""
    assert "limit" in str(log_lines(claude_dir)[0]["message"])


def test_stdin_that_never_closes_gives_up_at_the_deadline() -> None:
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    try:
        with pytest.raises(HookInputError, match="did not close"):
            read_input(read_fd, deadline_s=0.3)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert time.monotonic() - started < 2


def test_event_name_on_the_command_line_wins(claude_dir: Path) -> None:
    code, out, _ = call_hook(b'{"session_id": "s9"}', claude_dir, event="SessionEnd")
    assert code == 0 and out == ""
    assert log_lines(claude_dir)[0]["event"] == "SessionEnd"


EVENT = HookEvent("PreCompact", "s1", None, None, {})


def _run(handler: object, policy: Policy, claude_dir: Path) -> tuple[HookResult, str | None]:
    return run_with_policy(handler, EVENT, claude_dir, {}, policy, time.monotonic())  # type: ignore[arg-type]


def test_a_failing_feature_with_log_only_says_nothing(claude_dir: Path) -> None:
    def broken(event: HookEvent, ctx: HookContext) -> HookResult:
        raise RuntimeError("boom")

    result, note = _run(broken, Policy(on_failure="log_only"), claude_dir)
    assert result == HookResult() and note is not None and "RuntimeError: boom" in note


def test_critical_failure_blocks_with_one_line(claude_dir: Path) -> None:
    from sfp.errors import StorageError

    def no_disk(event: HookEvent, ctx: HookContext) -> HookResult:
        raise StorageError("cannot write /x/backups: No space left on device")

    result, _ = _run(no_disk, Policy(on_failure="critical", user_message="Backup creation failed"), claude_dir)
    assert result.blocking_error == "Backup creation failed: cannot write /x/backups: No space left on device"


def test_retry_once_runs_the_feature_a_second_time(claude_dir: Path) -> None:
    calls = []

    def flaky(event: HookEvent, ctx: HookContext) -> HookResult:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("transient")
        return HookResult(message="ok")

    result, note = _run(flaky, Policy(on_failure="retry_once"), claude_dir)
    assert len(calls) == 2 and result.message == "ok" and note is None


@pytest.mark.parametrize(("max_retries", "attempts", "passes"), [(0, 1, False), (1, 2, False), (2, 3, True)])
def test_max_retries_is_how_many_more_attempts_retry_once_makes(
        claude_dir: Path, max_retries: int, attempts: int, passes: bool) -> None:
    calls = []

    def fails_twice(event: HookEvent, ctx: HookContext) -> HookResult:
        calls.append(1)
        if len(calls) <= 2:
            raise OSError("transient")
        return HookResult(message="ok")

    result, note = _run(fails_twice, Policy(on_failure="retry_once", max_retries=max_retries, budget_ms=5000), claude_dir)
    assert len(calls) == attempts and (result.message == "ok") is passes and (note is None) is passes


def test_fallback_yaml_max_retries_reaches_the_policy(claude_dir: Path, tmp_path: Path) -> None:
    (claude_dir / "sfp").mkdir(parents=True, exist_ok=True)
    (claude_dir / "sfp" / "fallback.yaml").write_text("policies:\n  PreCompact:\n    max_retries: 3\n")
    assert load_policy("PreCompact", claude_dir, str(tmp_path)).max_retries == 3
    assert load_policy("PreCompact", tmp_path / "none", None).max_retries == 1  # the shipped file's value


def test_a_slow_feature_is_cut_short_at_its_budget(claude_dir: Path) -> None:
    def slow(event: HookEvent, ctx: HookContext) -> HookResult:
        time.sleep(30)
        return HookResult(message="never")

    started = time.monotonic()
    result, note = _run(slow, Policy(timeout_action="continue_with_warning", user_message="too slow", budget_ms=300), claude_dir)
    assert time.monotonic() - started < 2
    assert result.message == "⚠️ sfp: too slow" and note is not None and note.startswith("timeout")


def test_a_slow_critical_feature_retries_then_blocks_before_the_client_would_kill_it(claude_dir: Path) -> None:
    calls = []

    def slow(event: HookEvent, ctx: HookContext) -> HookResult:
        calls.append(time.monotonic())
        time.sleep(30)
        return HookResult()

    started = time.monotonic()
    policy = Policy(on_failure="critical", timeout_action="retry_once", user_message="Backup failed", budget_ms=1000)
    result, _ = _run(slow, policy, claude_dir)
    assert len(calls) == 2
    assert time.monotonic() - started < 1.5
    assert result.blocking_error is not None and result.blocking_error.startswith("Backup failed: cut short")


def test_the_project_is_claude_project_dir_even_after_a_cd(tmp_path: Path) -> None:
    # The client moves the payload's cwd with a `cd` in Bash but keeps CLAUDE_PROJECT_DIR at the project.
    ctx = HookContext(tmp_path, {"CLAUDE_PROJECT_DIR": "/work/project"}, 0.0, {})
    assert ctx.project_dir("/work/project/src") == Path("/work/project")
    assert HookContext(tmp_path, {}, 0.0, {}).project_dir("/work/project/src") == Path("/work/project/src")


def test_critical_never_blocks_a_prompt_or_an_answering_stop(claude_dir: Path) -> None:
    def broken(event: HookEvent, ctx: HookContext) -> HookResult:
        raise RuntimeError("boom")

    policy = Policy(on_failure="critical", user_message="failed")
    for event in (HookEvent("UserPromptSubmit", "s", None, None, {}),
                  HookEvent("Stop", "s", None, None, {"stop_hook_active": True})):
        result, note = run_with_policy(broken, event, claude_dir, {}, policy, time.monotonic())
        assert result.blocking_error is None and result.message == "⚠️ sfp: failed"
        assert note is not None and note.endswith("-> log_and_warn")
