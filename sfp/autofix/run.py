"""Auto-fix: run the formatter configured for a file's type (auto_fix.yaml) on one file.

What is never run, and why:
- a file that is missing, not a regular file, or outside the project once
  symlinks are resolved: a formatter must not touch what isn't the project's;
- a file under an `exclude_dirs` folder (any folder between the project and
  the file; globs such as `*.egg-info` allowed) or whose name matches an
  `exclude_patterns` glob (a pattern holding `/` matches the path relative
  to the project instead);
- a formatter whose program is not installed: the file is skipped and, in a
  hook, the missing program is reported once per session. `npx X` counts as
  installed only when npx is on PATH and `node_modules/.bin/X` exists in the
  file's folder or one above it; npx then runs from that folder with
  `npm_config_yes=false`, so it never downloads a package.

The formatter gets the file's resolved path as its last argument, runs in
its own process group, and on timeout the whole group gets SIGTERM, then
SIGKILL after a grace period (sfp.infra.proc); what it leaves running in the
background when it exits is stopped the same way. A formatter that fails is
reported, never an error of sfp's. Whether the file changed is decided by
its sha256.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from sfp.autofix.formatters import (
    FAILED,
    FORMATTED,
    KILL_GRACE_S,
    OUTPUT_CAP_BYTES,
    OUTSIDE_PROJECT,
    SKIPPED,
    TIMEOUT,
    UNCHANGED,
    AutoFixResult,
    AutoFixSettings,
    Formatter,
    Invocation,
    Missing,
    Outcome,
    config_texts,
    extension_token,
    formatter_for,
    load_settings,
    may_have_formatter,
)
from sfp.autofix.invocation import exclusion, invocation, locate
from sfp.autofix.report import note_missing_program, record_run
from sfp.infra.notes import Note


def run_formatter(call: Invocation, timeout_s: float, grace_s: float = KILL_GRACE_S) -> Outcome:
    """Run `call` in a new process group; on timeout stop the whole group (SIGTERM, then SIGKILL)."""
    from sfp.infra import (
        proc,  # subprocess and selectors: only for a file that has a formatter
    )

    try:
        # interrupted: the hook's own budget is spent, so nothing is left behind and no grace is given
        done = proc.run(call.argv, cwd=call.cwd, env=call.env, timeout_s=max(timeout_s, 0.01), grace_s=grace_s,
                        interrupted_grace_s=0, output_cap=OUTPUT_CAP_BYTES)
    except (OSError, ValueError) as exc:
        return Outcome(None, "", error=f"cannot start {call.argv[0]}: {getattr(exc, 'strerror', None) or exc}")
    return Outcome(done.returncode, done.output, done.timed_out)


def first_line(output: str, limit: int = 200) -> str:
    """The first non-blank line of `output`, redacted and cut to `limit` characters."""
    from sfp.infra.redact import redact

    line = next((line.strip() for line in output.splitlines() if line.strip()), "")
    line = redact(line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def file_digest(path: Path) -> str | None:
    import hashlib

    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# --- the whole run ---------------------------------------------------------------------------------


def auto_fix(
    path: Path | str,
    project: Path,
    claude_dir: Path,
    *,
    session: str | None,
    environ: Mapping[str, str] = os.environ,
    settings: AutoFixSettings | None = None,
    time_limit_s: float | None = None,
) -> AutoFixResult:
    """Format one file if its type has a formatter; record a KPI event for every run of one.

    Without `settings`, auto_fix.yaml is parsed only when a cheap look at its
    raw text says a formatter might exist for the file (the hook's hot path).
    `time_limit_s` caps the whole run, kill grace included.
    """
    started = time.monotonic()
    target, why_not = locate(path, project)
    if target is None:
        skipped = _skipped(Path(path), why_not, started)
        if why_not and why_not.startswith(OUTSIDE_PROJECT):
            skipped = skipped._replace(notes=(Note("info", f"skipped {path}: {why_not}"),))
        return skipped
    if settings is None:
        if not may_have_formatter(target.name, config_texts(claude_dir, project)):
            return _skipped(target, _no_formatter(target.name), started)
        settings = load_settings(claude_dir, project)
    if not settings.enabled:
        return _skipped(target, "auto-fix is off (enabled: false in auto_fix.yaml)", started)
    formatter, disabled = formatter_for(target.name, settings)
    if formatter is None:
        reason = f"formatter {disabled.name} is off in auto_fix.yaml" if disabled else _no_formatter(target.name)
        return _skipped(target, reason, started)
    result = run_one(target, formatter, project, claude_dir, session, environ, settings, time_limit_s, started)
    return result._replace(notes=(*result.notes, *record_run(claude_dir, result, session)))


def run_one(
    target: Path,
    formatter: Formatter,
    project: Path,
    claude_dir: Path,
    session: str | None,
    environ: Mapping[str, str],
    settings: AutoFixSettings,
    time_limit_s: float | None,
    started: float,
) -> AutoFixResult:
    """Exclusions, the program check, the run itself and the verdict, for a file that has a formatter."""
    relative = target.relative_to(os.path.realpath(project))

    def result(status: str, reason: str | None = None, changed: bool = False, output: str | None = None) -> AutoFixResult:
        return AutoFixResult(target, status, formatter.command, reason, _ms(started), formatter.name, changed, output,
                             settings.verbose)

    excluded = exclusion(relative, settings)
    if excluded:
        return result(SKIPPED, excluded)
    call = invocation(formatter, target, project, environ)
    if isinstance(call, Missing):
        note = note_missing_program(claude_dir, session, call, formatter)
        return result(SKIPPED, f"{call.program} is not installed: {call.hint}")._replace(notes=(note,) if note else ())
    timeout_s = settings.timeout_s
    if time_limit_s is not None:
        timeout_s = min(timeout_s, time_limit_s - KILL_GRACE_S)
        if timeout_s <= 0.1:
            return result(SKIPPED, "no time left in the hook's budget")
    before = file_digest(target)
    outcome = run_formatter(call, timeout_s)
    changed = file_digest(target) != before
    if outcome.error:
        return result(FAILED, outcome.error, changed)
    output = first_line(outcome.output) or None
    if outcome.timed_out:
        return result(TIMEOUT, f"stopped after {timeout_s:g} s (timeout)", changed, output)
    if outcome.exit_code != 0:
        return result(FAILED, f"exited {outcome.exit_code}", changed, output)
    return result(FORMATTED if changed else UNCHANGED, None, changed)


def _skipped(path: Path, reason: str | None, started: float) -> AutoFixResult:
    return AutoFixResult(path, SKIPPED, None, reason, _ms(started))


def _no_formatter(file_name: str) -> str:
    token = extension_token(file_name)
    return f"no formatter for .{token} files" if token else "no formatter for files without an extension"


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
