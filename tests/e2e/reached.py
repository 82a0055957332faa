"""What reached the model: hook output read out of the requests the client sent, on every client version.

The client wraps what a hook says in its own text, and the wrapping differs between versions (see
README.md): 2.1.332 appends `\\n\\nToday's date is YYYY-MM-DD.` to the first prompt's UserPromptSubmit
context, and sends a Stop hook's block reason twice. These helpers take the client's framing off, exactly
and only where the client put it, so a test compares what sfp said with what arrived, character for
character, and still fails when sfp's output didn't arrive or arrived mangled.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from e2e.model_server import Request, texts_of

# 2.1.332 appends this to the additionalContext of a session's first UserPromptSubmit, in the same string.
DATE_SUFFIX = re.compile(r"\n\nToday's date is \d{4}-\d{2}-\d{2}\.\Z")
# A Stop hook's {"decision": "block", "reason": R} as a user message: "Stop hook feedback:\n" + R (2.1.197),
# or that inside "<system-reminder>\n<the client's preamble>\n" … "\n</system-reminder>" (2.1.332).
STOP_FEEDBACK = "Stop hook feedback:\n"
REMINDER_OPEN, REMINDER_CLOSE = "<system-reminder>\n", "\n</system-reminder>"
# A Stop hook's {"hookSpecificOutput": {"hookEventName": "Stop", "additionalContext": F}}: a user message of
# exactly "<system-reminder>\nStop hook additional context: " + F + "\n</system-reminder>", once, on both versions.
STOP_CONTEXT = "<system-reminder>\nStop hook additional context: "
# … and, on 2.1.332 only, once more as a system message: 'Stop hook blocking error from command: "<cmd>": ' + R.
STOP_BLOCKING_ERROR = 'Stop hook blocking error from command: "'
# 2.1.332 offers some tools only by name (their schemas load through ToolSearch), in a system message.
DEFERRED_TOOLS = "The following deferred tools are now available via ToolSearch."


def messages(request: Request) -> list[dict[str, Any]]:
    return list((request.body or {}).get("messages") or [])


def message_text(message: dict[str, Any]) -> str:
    return "".join(texts_of(message.get("content")))


def without_date_suffix(context: str) -> str:
    """`context` without the date line 2.1.332 appends to the first prompt's context (else as it is)."""
    return DATE_SUFFIX.sub("", context)


def hook_contexts(request: Request, label: str) -> list[str]:
    """Each hook context the request carries after `label` (e.g. "UserPromptSubmit hook additional
    context: "), up to the next such label or the end of its text, without the client's date suffix."""
    found = []
    for message in messages(request):
        for text in texts_of(message.get("content")):
            start = text.find(label)
            while start >= 0:
                end = text.find(label, start + len(label))
                found.append(without_date_suffix(text[start + len(label):end if end >= 0 else len(text)].strip()))
                start = end
    return found


def _feedback(text: str) -> str | None:
    if text.startswith(STOP_FEEDBACK):
        return text[len(STOP_FEEDBACK):]
    if text.startswith(REMINDER_OPEN) and text.endswith(REMINDER_CLOSE) and f"\n{STOP_FEEDBACK}" in text:
        inner = text[len(REMINDER_OPEN):-len(REMINDER_CLOSE)]
        return inner[inner.index(f"\n{STOP_FEEDBACK}") + 1 + len(STOP_FEEDBACK):]
    return None


def _blocking_error(text: str, command: str | None, reasons: list[str]) -> str | None:
    """The reason in one blocking-error text. The command is shown as configured, quotes and all (sfp's
    holds `": `), so without `command` the reason is the one of `reasons` (the feedback copies) the text
    ends with; a text that ends with none of them gives what follows the first `": `, which then
    matches no reason (a mangled copy stays visible)."""
    if not text.startswith(STOP_BLOCKING_ERROR):
        return None
    rest = text[len(STOP_BLOCKING_ERROR):]
    if command is not None:
        head = f'{command}": '
        return rest[len(head):] if rest.startswith(head) else None
    for reason in sorted(reasons, key=len, reverse=True):
        if rest.endswith(f'": {reason}'):
            return reason
    at = rest.find('": ')
    return rest[at + 3:] if at >= 0 else rest


def stop_feedback(request: Request) -> list[str]:
    """The block reasons a Stop hook gave, as the user messages "Stop hook feedback:" carry them: one per
    block on every version, in the order of the history."""
    found = []
    for message in messages(request):
        if message.get("role") == "user":
            found += [r for r in map(_feedback, texts_of(message.get("content"))) if r is not None]
    return found


def stop_contexts(request: Request) -> list[str]:
    """The additionalContext texts a Stop hook sent the model back with, in the order of the history."""
    found = []
    for message in messages(request):
        if message.get("role") == "user":
            found += [t[len(STOP_CONTEXT):-len(REMINDER_CLOSE)] for t in texts_of(message.get("content"))
                      if t.startswith(STOP_CONTEXT) and t.endswith(REMINDER_CLOSE)]
    return found


def stop_hook_answers(request: Request) -> list[str]:
    """Everything a Stop hook sent the model back with, whichever way it did (a block reason once per block,
    or an additionalContext): what a test reads when only "did the Stop hook speak, saying what" matters."""
    return stop_feedback(request) + stop_contexts(request)


def stop_blocking_errors(request: Request, command: str | None = None) -> list[str]:
    """The block reasons in 2.1.332's extra system messages ('Stop hook blocking error from command:
    "<command>": <reason>'); none on 2.1.197. With `command`, only that hook's."""
    found = []
    reasons = stop_feedback(request)
    for message in messages(request):
        if message.get("role") == "system":
            found += [r for r in (_blocking_error(t, command, reasons) for t in texts_of(message.get("content")))
                      if r is not None]
    return found


def stop_reason_copies(request: Request, reason: str) -> int:
    """How many times `reason`, whole and unchanged, reached the model in this request, in any framing."""
    return sum(1 for r in stop_feedback(request) + stop_blocking_errors(request) if r == reason)


def carries_stop_reason(message: dict[str, Any]) -> bool:
    """Does this one message hold a Stop block reason (in either framing)?"""
    texts = list(texts_of(message.get("content")))
    role = message.get("role")
    return ((role == "user" and any(_feedback(t) is not None for t in texts))
            or (role == "system" and any(t.startswith(STOP_BLOCKING_ERROR) for t in texts)))


def deferred_tools(request: Request) -> list[str]:
    """The tools 2.1.332 names in its deferred-tools listing (callable by name; none on 2.1.197)."""
    for message in messages(request):
        for text in texts_of(message.get("content")):
            at = text.find(DEFERRED_TOOLS)
            if at >= 0:
                return list(_listing(text[at:].split("\n")[1:]))
    return []


def _listing(lines: list[str]) -> Iterator[str]:
    for line in lines:
        if not line.strip() or " " in line.strip():
            return
        yield line.strip()


def offered_tools(request: Request) -> set[str]:
    """Every tool the client lets the model call in this request: the `tools` it sends, and the deferred
    ones it lists by name."""
    tools = {str(t.get("name")) for t in (request.body or {}).get("tools") or [] if isinstance(t, dict)}
    return tools | set(deferred_tools(request))
