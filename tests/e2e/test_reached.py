"""reached.py on requests shaped as each client version sends them (no client needed): the helpers take
off only the client's framing, so a missing or mangled hook output still shows."""

from __future__ import annotations

from typing import Any

from e2e.model_server import Request
from e2e.reached import (carries_stop_reason, hook_contexts, offered_tools, stop_blocking_errors, stop_contexts,
                         stop_feedback, stop_hook_answers, stop_reason_copies)

LABEL = "UserPromptSubmit hook additional context: "
REASON = 'sfp quality gates failed (no-debug-print).\n\n## no-debug-print\n./app.py:3:print("debug")'
# sfp's guarded hook command holds quotes and `": ` itself.
COMMAND = '/usr/bin/python3 -I -c \'print(json.dumps({"a": 1}))\' /home/u/sfp.pyz hook'
PREAMBLE = "The text below is the output of a hook that the user set up."


def request(*messages: dict[str, Any], tools: tuple[str, ...] = ("Bash",)) -> Request:
    return Request("POST", "/v1/messages", "main",
                   {"messages": list(messages), "tools": [{"name": name} for name in tools]})


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def system(text: str) -> dict[str, Any]:
    return {"role": "system", "content": text}


def stop_197(reason: str = REASON) -> list[dict[str, Any]]:
    return [user(f"Stop hook feedback:\n{reason}")]


def stop_332(reason: str = REASON, second: str | None = None) -> list[dict[str, Any]]:
    return [user(f"<system-reminder>\n{PREAMBLE}\nStop hook feedback:\n{reason}\n</system-reminder>"),
            system(f'Stop hook blocking error from command: "{COMMAND}": {reason if second is None else second}')]


def test_the_date_line_comes_off_the_context_and_nothing_else() -> None:
    block = "[sfp] Context:\n[U:rules] Answer in haiku"
    with_date = request(system(f"skills…\n\n{LABEL}{block}\n\nToday's date is 2026-12-01."))
    later = request(system(f"{LABEL}{block} Today's date is 2026-12-01."))

    assert hook_contexts(with_date, LABEL) == [block]
    assert hook_contexts(request(system(f"{LABEL}{block}")), LABEL) == [block]
    assert hook_contexts(later, LABEL) == [f"{block} Today's date is 2026-12-01."]
    assert hook_contexts(request(system("skills…\n\nToday's date is 2026-12-01.")), LABEL) == []


def test_one_block_is_one_feedback_on_both_versions_and_the_copies_are_counted() -> None:
    old, new = request(*stop_197()), request(*stop_332())

    assert stop_feedback(old) == stop_feedback(new) == [REASON]
    assert (stop_blocking_errors(old), stop_blocking_errors(new)) == ([], [REASON])
    assert stop_blocking_errors(new, command=COMMAND) == [REASON]
    assert (stop_reason_copies(old, REASON), stop_reason_copies(new, REASON)) == (1, 2)
    assert all(carries_stop_reason(m) for m in stop_332()) and not carries_stop_reason(user("done"))


def test_a_stop_additional_context_is_read_once_and_exactly() -> None:
    answered = request(user("done"), user(f"<system-reminder>\nStop hook additional context: {REASON}\n</system-reminder>"))

    assert stop_contexts(answered) == [REASON] and stop_feedback(answered) == []
    assert stop_hook_answers(answered) == [REASON] == stop_hook_answers(request(*stop_197()))
    assert stop_contexts(request(user(f"<system-reminder>\nStop hook additional context: {REASON}"))) == []


def test_a_mangled_or_missing_reason_is_not_counted() -> None:
    cut = request(*stop_332(second=REASON[:20]))
    wrapped_badly = request(user(f"<system-reminder>\nStop hook feedback:\n{REASON}"))

    assert stop_blocking_errors(cut) != [REASON] and stop_reason_copies(cut, REASON) == 1
    assert stop_feedback(wrapped_badly) == []
    assert stop_reason_copies(request(user("done")), REASON) == 0


def test_deferred_tools_count_as_offered() -> None:
    listing = ("# Environment\nThe following deferred tools are now available via ToolSearch. Their schemas are "
               "NOT loaded:\nCronCreate\nTaskCreate\nTaskUpdate\n\nAvailable agent types for the Agent tool:")

    assert offered_tools(request(system(listing), tools=("Bash", "ToolSearch"))) == {
        "Bash", "ToolSearch", "CronCreate", "TaskCreate", "TaskUpdate"}
    assert offered_tools(request(user("hi"))) == {"Bash"}
