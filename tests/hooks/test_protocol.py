"""The output shapes the real client acts on (see hook-protocol.md), and nothing it would swallow."""

from __future__ import annotations

import json

import pytest

from sfp.hooks.protocol import MAX_CONTEXT_CHARS, HookInputError, HookResult, fit_context, parse_event, render


def test_context_for_session_start_uses_hook_specific_output() -> None:
    rendered = render("SessionStart", HookResult(context="hello"))
    assert json.loads(rendered.stdout) == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "hello"}}
    assert rendered.exit_code == 0


def test_context_is_dropped_for_events_whose_context_never_reaches_the_model() -> None:
    assert render("PostToolUse", HookResult(context="x")).stdout == ""


def test_stop_block_is_a_decision_with_a_reason() -> None:
    answer = json.loads(render("Stop", HookResult(block_reason="fix lint", message="gates failed")).stdout)
    assert answer == {"decision": "block", "reason": "fix lint", "systemMessage": "gates failed"}


def test_block_is_ignored_outside_stop() -> None:
    assert render("UserPromptSubmit", HookResult(block_reason="no")).stdout == ""


def test_blocking_error_is_exit_2_with_one_stderr_line() -> None:
    rendered = render("PreCompact", HookResult(blocking_error="Backup failed:\n disk full"))
    assert (rendered.stdout, rendered.stderr, rendered.exit_code) == ("", "Backup failed: disk full\n", 2)


def test_an_empty_result_prints_nothing() -> None:
    assert render("SessionStart", HookResult()).stdout == ""


def test_long_context_is_cut_under_the_client_cap_and_says_so() -> None:
    text = "\n".join(f"line {i} " + "x" * 80 for i in range(500))
    cut = fit_context(text)
    assert len(cut) <= MAX_CONTEXT_CHARS < 10_000
    assert cut.endswith("[sfp: cut to fit the hook output limit]")
    assert cut.splitlines()[-2].startswith("line ")  # cut at a line boundary


@pytest.mark.parametrize("raw, message", [
    (b"", "empty input"), (b"[1]", "JSON list"), (b"{", "not JSON"), (b"{}", "no event name"),
])
def test_parse_event_says_what_is_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(HookInputError, match=message):
        parse_event(raw)


def test_parse_event_tolerates_wrong_typed_fields() -> None:
    event = parse_event(b'{"hook_event_name": "Stop", "session_id": 5, "cwd": ["x"], "stop_hook_active": "yes"}')
    assert (event.name, event.session_id, event.cwd, event.flag("stop_hook_active")) == ("Stop", None, None, False)
