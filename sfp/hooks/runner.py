"""`sfp hook`: read one event, run its feature inside a time budget, answer the client.

Whatever goes wrong — empty or broken input, a feature that raises or runs
out of time — ends as exit 0 and a log line, unless the event's policy in
fallback.yaml says to block (exit 2), as PreCompact does when its backup
could not be written.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from sfp.hooks import HANDLERS, HookContext
from sfp.hooks.protocol import (
    MAX_INPUT_BYTES,
    HookEvent,
    HookInputError,
    HookResult,
    parse_event,
    render,
)
from sfp.infra.log import write_log
from sfp.infra.record import Record

STDIN_DEADLINE_S = 5.0
DEFAULT_TIMEOUT_S = 10.0

Handler = Callable[[HookEvent, HookContext], HookResult]


class BudgetExceeded(BaseException):
    """Raised in the handler when its time is up (BaseException: no `except Exception` may swallow it)."""


class Policy(Record):
    """One event's entry in fallback.yaml's `policies` (the schema has checked every value)."""

    on_failure: str = "log_only"
    timeout_action: str = "continue"
    user_message: str = ""
    timeout: float = DEFAULT_TIMEOUT_S  # what the client waits, in seconds
    budget_ms: int | None = None
    max_retries: int = 1  # how many more attempts retry_once makes
    retry_delay_ms: int = 0

    def budget_s(self) -> float:
        if self.budget_ms is not None:
            return self.budget_ms / 1000
        return max(min(self.timeout * 0.8, self.timeout - 1.5), 0.5)

    def attempts(self) -> int:
        return 1 + self.max_retries if "retry_once" in (self.on_failure, self.timeout_action) else 1


def run_hook(
    event_name: str | None,
    claude_dir: Path,
    stdin: IO[bytes],
    stdout: IO[str],
    stderr: IO[str],
    environ: Mapping[str, str] = os.environ,
) -> int:
    started = time.monotonic()
    try:
        event = parse_event(read_input(stdin.fileno()), event_name)
    except HookInputError as exc:
        write_log(claude_dir, "warning", event_name or "hook", f"bad hook input: {exc}", duration_ms=_ms(started))
        return 0
    started = time.monotonic()  # the budget is for the work: a slow writer on stdin doesn't eat it
    module = HANDLERS.get(event.name)
    if module is None:
        write_log(claude_dir, "info", event.name, "no sfp feature for this event", session=event.session_id)
        return 0
    from sfp.config.layers import lenient_layers

    with lenient_layers() as config_problems:
        policy = load_policy(event.name, claude_dir, environ.get("CLAUDE_PROJECT_DIR") or event.cwd)
        result, note = run_with_policy(_import_handler(module), event, claude_dir, environ, policy, started)
    for problem in config_problems:
        write_log(claude_dir, "warning", event.name, f"config layer left out, the layers below used: {problem}",
                  session=event.session_id)
    rendered = render(event.name, result)
    stdout.write(rendered.stdout)
    stderr.write(rendered.stderr)
    level = "warning" if note else "info"
    write_log(claude_dir, level, event.name, note or _summary(result, rendered.exit_code),
              session=event.session_id, duration_ms=_ms(started))
    return rendered.exit_code


def run_with_policy(
    handler: Handler,
    event: HookEvent,
    claude_dir: Path,
    environ: Mapping[str, str],
    policy: Policy,
    started: float,
) -> tuple[HookResult, str | None]:
    """Run `handler` within the budget; on failure or timeout apply the policy. Returns (result, log note)."""
    deadline = started + policy.budget_s()
    attempts = policy.attempts()
    problem = ""
    timed_out = False
    memo: dict[str, Any] = {}  # what an attempt leaves for the retries of the same event
    for attempt in range(attempts):
        # Each attempt gets an even share of what is left, so a retry still has time.
        share = 1 / (attempts - attempt) if attempt + 1 < attempts else 1.0
        share = max(share, 0.6) if attempt == 0 and attempts > 1 else share
        attempt_deadline = time.monotonic() + (deadline - time.monotonic()) * share
        ctx = HookContext(claude_dir, environ, attempt_deadline, memo)
        try:
            return _call_with_alarm(handler, event, ctx), None
        except BudgetExceeded:
            timed_out, problem = True, f"cut short after {_ms(started):.0f} ms (budget {policy.budget_s():.1f} s)"
        except Exception as exc:  # noqa: BLE001 - the policy decides; a hook never prints a traceback
            timed_out, problem = False, _describe(exc)
        if attempt + 1 < attempts and policy.retry_delay_ms:
            time.sleep(min(policy.retry_delay_ms / 1000, max(deadline - time.monotonic() - 0.5, 0)))
        if time.monotonic() >= deadline - 0.2:
            break
    action = policy.timeout_action if timed_out else policy.on_failure
    if action == "retry_once":  # retried already: what's left is the failure policy
        action = policy.on_failure if policy.on_failure != "retry_once" else "log_only"
    if action == "critical" and not may_block(event):
        action = "log_and_warn"
    return apply_action(action, policy, problem), f"{'timeout' if timed_out else 'failed'}: {problem} -> {action}"


NEVER_BLOCK = frozenset({"SessionStart", "UserPromptSubmit", "PostToolUse", "SessionEnd"})


def may_block(event: HookEvent) -> bool:
    """Whether a failure may block: never a session start, a prompt or an edit (whatever fallback.yaml
    says), nor a Stop that already answers a block, which would loop."""
    return event.name not in NEVER_BLOCK and not (event.name == "Stop" and event.flag("stop_hook_active"))


def apply_action(action: str, policy: Policy, problem: str) -> HookResult:
    message = policy.user_message or "sfp hook failed"
    if action == "critical":
        return HookResult(blocking_error=f"{message}: {problem}")
    if action in ("continue_with_warning", "log_and_warn"):
        return HookResult(message=f"⚠️ sfp: {message}")
    if action == "continue_with_summary":
        return HookResult(message=f"⚠️ sfp: {message} ({problem})")
    return HookResult()


def _call_with_alarm(handler: Handler, event: HookEvent, ctx: HookContext) -> HookResult:
    remaining = ctx.remaining()
    if remaining <= 0:
        raise BudgetExceeded()

    def on_alarm(signum: int, frame: object) -> None:
        raise BudgetExceeded()

    # SIGTERM too: the client (or a person) ending the hook must not orphan what it started.
    previous = {sig: signal.signal(sig, on_alarm) for sig in (signal.SIGALRM, signal.SIGTERM)}
    signal.setitimer(signal.ITIMER_REAL, remaining)
    try:
        return handler(event, ctx)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)


class _StdinDeadline(Exception):
    pass


def read_input(fd: int, limit: int = MAX_INPUT_BYTES, deadline_s: float = STDIN_DEADLINE_S) -> bytes:
    """All of stdin, or HookInputError when it is too big or doesn't end in time.

    A timer signal ends a blocked read at the deadline (the select module would be
    one more C extension to load on every hook).
    """

    def expire(signum: int, frame: object) -> None:
        raise _StdinDeadline()

    chunks: list[bytes] = []
    size = 0
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, deadline_s)
    try:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise HookInputError(f"input over the {limit:,}-byte limit")
            chunks.append(chunk)
    except _StdinDeadline:
        raise HookInputError(f"stdin did not close within {deadline_s:g} s") from None
    except OSError as exc:
        raise HookInputError(f"cannot read stdin: {exc.strerror}") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_policy(event_name: str, claude_dir: Path, cwd: str | None) -> Policy:
    """The event's policy from fallback.yaml (a broken layer is left out by `lenient_layers`)."""
    from sfp.config.layers import load_config
    from sfp.config.typed import record
    from sfp.errors import ConfigError

    try:
        config = load_config("fallback", claude_dir, Path(cwd) if cwd else None)
    except ConfigError:  # only the built-in layer can still fail: a damaged sfp, which health reports
        return Policy()
    return record(config.get("policies", event_name), Policy)


def _import_handler(module_name: str) -> Handler:
    import importlib

    module = importlib.import_module(module_name)
    handler: Handler = module.handle
    return handler


def _describe(exc: BaseException) -> str:
    from sfp.errors import SfpError

    if isinstance(exc, SfpError):
        return str(exc)
    import traceback

    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    location = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return f"bug: {type(exc).__name__}: {exc}{location}"


def _summary(result: HookResult, exit_code: int) -> str:
    parts = []
    if result.context:
        parts.append(f"context {len(result.context)} chars")
    if result.message:
        parts.append("message")
    if result.block_reason:
        parts.append("blocked stop")
    if exit_code:
        parts.append(f"exit {exit_code}")
    if result.log_note:
        parts.append(result.log_note)
    return "handled" + (": " + ", ".join(parts) if parts else "")


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
