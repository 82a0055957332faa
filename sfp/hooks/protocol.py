"""Claude Code's hook protocol, as the real client (2.1.197) behaves.

Input: one JSON object on stdin. Output: what reaches the model goes in
`hookSpecificOutput.additionalContext` (SessionStart, UserPromptSubmit, and Stop, where it also keeps
Claude working: it reaches the model once on 2.1.197 and 2.1.332, and the next Stop has
`stop_hook_active`); `decision: "block"` with a `reason` does that too, but 2.1.332 gives the model
the reason twice;
`systemMessage` is shown to the person; exit 2 with stderr is a blocking
error. A JSON object of any other shape is silently swallowed by the
client, and additionalContext over 10,000 characters reaches the model as
a ~1,900-character preview, so `render` enforces both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from sfp.errors import UsageError
from sfp.infra.record import Record

CONTEXT_EVENTS: Final = frozenset({"SessionStart", "UserPromptSubmit", "Stop"})
BLOCKING_DECISION_EVENTS: Final = frozenset({"Stop", "SubagentStop"})
# Observed: 9,500 characters reached the model whole, 10,500 became a preview.
MAX_CONTEXT_CHARS: Final = 9000
MAX_INPUT_BYTES: Final = 16 * 1024 * 1024


class HookInputError(UsageError):
    """The bytes on stdin are not a hook event we can use."""


class HookEvent(Record):
    name: str
    session_id: str | None
    transcript_path: str | None
    cwd: str | None
    payload: Mapping[str, Any]

    def text(self, key: str) -> str | None:
        value = self.payload.get(key)
        return value if isinstance(value, str) else None

    def flag(self, key: str) -> bool:
        return self.payload.get(key) is True


class HookResult(Record):
    context: str | None = None  # for the model (SessionStart, UserPromptSubmit; on Stop Claude goes on with it)
    message: str | None = None  # for the person (systemMessage)
    block_reason: str | None = None  # Stop: keep Claude working on this
    blocking_error: str | None = None  # exit 2: blocks compaction / refuses the prompt
    deny_reason: str | None = None  # PreToolUse: the tool call does not run; the model is told why
    log_note: str | None = None  # for sfp's log line only (SessionStart: the health status `sfp status` reads)


class Rendered(Record):
    stdout: str
    stderr: str
    exit_code: int


def parse_event(raw: bytes, event_name: str | None = None) -> HookEvent:
    """Turn stdin bytes into a HookEvent, or raise HookInputError saying what is wrong."""
    if not raw.strip():
        raise HookInputError("empty input: expected one JSON object on stdin")
    if len(raw) > MAX_INPUT_BYTES:
        raise HookInputError(f"input of {len(raw):,} bytes is over the {MAX_INPUT_BYTES:,}-byte limit")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise HookInputError(f"input is not JSON: {str(exc)[:120]}") from None
    if not isinstance(payload, dict):
        raise HookInputError(f"input is a JSON {type(payload).__name__}, expected an object")
    name = event_name or payload.get("hook_event_name")
    if not isinstance(name, str) or not name:
        raise HookInputError("no event name: hook_event_name missing and none given on the command line")
    return HookEvent(
        name=name,
        session_id=_str_or_none(payload.get("session_id")),
        transcript_path=_path_or_none(payload.get("transcript_path")),
        cwd=_path_or_none(payload.get("cwd")),
        payload=payload,
    )


def render(event_name: str, result: HookResult) -> Rendered:
    """The stdout, stderr and exit code that make the client do what `result` says."""
    if result.blocking_error:
        return Rendered("", _encodable(one_line(result.blocking_error)) + "\n", 2)
    output: dict[str, Any] = {}
    if result.context and event_name in CONTEXT_EVENTS:
        output["hookSpecificOutput"] = {
            "hookEventName": event_name,
            "additionalContext": fit_context(result.context),
        }
    if result.block_reason and event_name in BLOCKING_DECISION_EVENTS:
        output["decision"] = "block"
        output["reason"] = fit_context(result.block_reason)
    if result.deny_reason and event_name == "PreToolUse":
        output["hookSpecificOutput"] = {
            "hookEventName": event_name,
            "permissionDecision": "deny",
            "permissionDecisionReason": fit_context(result.deny_reason),
        }
    if result.message:
        output["systemMessage"] = result.message
    if not output:
        return Rendered("", "", 0)
    return Rendered(_encodable(json.dumps(output, ensure_ascii=False)) + "\n", "", 0)


def _encodable(text: str) -> str:
    """`text` as UTF-8 can carry it: a lone surrogate from transcript text becomes U+FFFD, not a crash."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def fit_context(text: str, limit: int = MAX_CONTEXT_CHARS) -> str:
    """`text` cut at a line boundary to fit the client's cap, saying that it was cut."""
    if len(text) <= limit:
        return text
    note = "\n[sfp: cut to fit the hook output limit]"
    head = text[: limit - len(note)]
    newline = head.rfind("\n")
    if newline > limit // 2:
        head = head[:newline]
    return head + note


def one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _path_or_none(value: object) -> str | None:
    # No file system takes a NUL in a path; such a "path" is as good as none.
    text = _str_or_none(value)
    return text if text is not None and "\0" not in text else None
