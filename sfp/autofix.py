"""Auto-fix: run the formatter configured for a file's type (auto_fix.yaml) on one file.

What is never run, and why:
- a file that is missing, not a regular file, or outside the project once
  symlinks are resolved: a formatter must not touch what isn't the project's;
- a file under an `exclude_dirs` folder (any folder between the project and
  the file; globs such as `*.egg-info` allowed) or whose name matches an
  `exclude_patterns` glob (a pattern holding `/` matches the path relative
  to the project instead);
- a formatter whose program is not installed: the file is skipped and, in a
  hook, the missing program is logged once per session. `npx X` counts as
  installed only when npx is on PATH and `node_modules/.bin/X` exists in the
  file's folder or one above it; npx then runs from that folder with
  `npm_config_yes=false`, so it never downloads a package.

The formatter gets the file's resolved path as its last argument, runs in
its own process group, and on timeout the whole group gets SIGTERM, then
SIGKILL after a grace period. A formatter that fails is reported, never an
error of sfp's. Whether the file changed is decided by its sha256.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, NamedTuple

if TYPE_CHECKING:
    import subprocess

FORMATTED: Final = "formatted"
UNCHANGED: Final = "unchanged"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"
TIMEOUT: Final = "timeout"

DEFAULT_TIMEOUT_S: Final = 15.0
KILL_GRACE_S: Final = 1.0
OUTPUT_CAP_BYTES: Final = 64 * 1024
MISSING_MARKER_MAX_AGE_S: Final = 7 * 24 * 3600
KPI_KIND: Final = "auto_fix"
NO_SUCH_FILE: Final = "no such file"
OUTSIDE_PROJECT: Final = "outside the project"


# NamedTuples rather than frozen dataclasses: this module loads after every edit Claude makes,
# and building a dataclass costs several times more at import.
class Formatter(NamedTuple):
    name: str  # the key under `formatters:` (python, typescript)
    command: str  # as configured, without the file: "ruff format"
    extensions: tuple[str, ...]  # lower case, each starting with "."
    enabled: bool = True
    requires: tuple[str, ...] = ()  # more programs that must be on PATH


class AutoFixSettings(NamedTuple):
    enabled: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    formatters: tuple[Formatter, ...] = ()
    exclude_dirs: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    verbose: bool = False


class AutoFixResult(NamedTuple):
    path: Path
    status: str  # formatted | unchanged | skipped | failed | timeout
    formatter: str | None  # the command, e.g. "ruff format"
    reason: str | None
    duration_ms: float
    file_type: str | None = None  # the formatter's name, e.g. "python"
    changed: bool = False
    output: str | None = None  # the formatter's first line of output, redacted (failed / timeout)
    verbose: bool = False  # options.verbose: failures are worth a message even when the file is untouched


class Invocation(NamedTuple):
    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str]


class Missing(NamedTuple):
    program: str
    hint: str


class Outcome(NamedTuple):
    exit_code: int | None  # None: killed on timeout, or could not start
    output: str
    timed_out: bool = False
    error: str | None = None  # why it could not start


# --- settings --------------------------------------------------------------------------------------


def settings_from(data: Mapping[str, Any]) -> AutoFixSettings:
    """AutoFixSettings from a merged auto_fix config (already schema-checked)."""
    formatters = data.get("formatters") or {}
    timeout = data.get("timeout", DEFAULT_TIMEOUT_S)
    options = data.get("options") or {}
    return AutoFixSettings(
        enabled=data.get("enabled", True) is not False,
        timeout_s=float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else DEFAULT_TIMEOUT_S,
        formatters=tuple(formatter_from(name, raw) for name, raw in formatters.items() if isinstance(raw, Mapping)),
        exclude_dirs=tuple(str(d).strip("/") for d in data.get("exclude_dirs") or ()),
        exclude_patterns=tuple(str(p) for p in data.get("exclude_patterns") or ()),
        verbose=options.get("verbose") is True if isinstance(options, Mapping) else False,
    )


def formatter_from(name: str, raw: Mapping[str, Any]) -> Formatter:
    return Formatter(
        name=name,
        command=str(raw.get("command") or "").strip(),
        extensions=tuple(normalise_extension(str(e)) for e in raw.get("extensions") or () if str(e).strip(".")),
        enabled=raw.get("enabled", True) is not False,
        requires=tuple(str(r) for r in raw.get("requires") or ()),
    )


def normalise_extension(extension: str) -> str:
    """`py`, `.py` and `.PY` all mean `.py`."""
    bare = extension.strip().lower()
    return bare if bare.startswith(".") else "." + bare


def load_settings(claude_dir: Path, project: Path | None) -> AutoFixSettings:
    from sfp.config.layers import load_config

    return settings_from(load_config("auto_fix", claude_dir, project).data)


def formatter_for(file_name: str, settings: AutoFixSettings) -> tuple[Formatter | None, Formatter | None]:
    """(the enabled formatter for `file_name`, else a disabled one that would have matched).

    The longest matching extension wins, so `.d.ts` can differ from `.ts`; on a tie the later
    formatter wins, so one a user or project layer adds beats a built-in one.
    """
    name = file_name.lower()
    best: tuple[int, Formatter] | None = None
    disabled: Formatter | None = None
    for formatter in settings.formatters:
        length = max((len(e) for e in formatter.extensions if name.endswith(e) and len(name) > len(e)), default=0)
        if not length:
            continue
        if not formatter.enabled or not formatter.command:
            disabled = disabled or formatter
        elif best is None or length >= best[0]:
            best = (length, formatter)
    return (best[1] if best else None), disabled


# --- the cheap check on the hot path ---------------------------------------------------------------


def extension_token(file_name: str) -> str | None:
    """What any configured extension matching `file_name` must contain: its last suffix, without the dot."""
    dot = file_name.rfind(".")
    token = file_name[dot + 1:].lower() if dot >= 0 else ""
    return token or None


def may_have_formatter(file_name: str, config_texts: Sequence[str]) -> bool:
    """False only when no config layer can name a formatter for `file_name`: then nothing needs parsing.

    An extension that matches `x.tar.gz` ends in `gz`, so `gz` must appear in
    some layer as a word of its own. A layer holding a backslash might spell
    it with a YAML escape, so such a layer always counts as a maybe.
    """
    token = extension_token(file_name)
    if token is None:
        return False
    return any("\\" in text or has_word(text.lower(), token) for text in config_texts)


_WORD_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def has_word(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` not touching a letter, digit or `_` (`rs` is not in `formatters`)."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or text[start - 1] not in _WORD_CHARS) and (end == len(text) or text[end] not in _WORD_CHARS):
            return True
        start = text.find(word, start + 1)
    return False


def config_texts(claude_dir: Path, project: Path | None) -> list[str]:
    """The raw text of every auto_fix layer that exists: built-in, user, project."""
    from sfp.config.layers import default_text, layer_files

    texts = [default_text("auto_fix")]
    for path in layer_files("auto_fix", claude_dir, project):
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


# --- which file, and may it be touched -------------------------------------------------------------


def locate(path: Path | str, project: Path) -> tuple[Path | None, str | None]:
    """(the file's real path, None) when auto-fix may touch it, else (None, why not)."""
    import stat

    given = Path(path)
    if not given.is_absolute():
        given = project / given
    real = Path(os.path.realpath(given))
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return None, NO_SUCH_FILE
    if not stat.S_ISREG(mode):
        return None, "not a regular file"
    root = Path(os.path.realpath(project))
    if real == root or not real.is_relative_to(root):
        return None, f"{OUTSIDE_PROJECT} {root}"
    return real, None


def exclusion(relative: Path, settings: AutoFixSettings) -> str | None:
    """Why `relative` (a path inside the project) is excluded, or None."""
    from fnmatch import fnmatch

    for folder in relative.parts[:-1]:
        for pattern in settings.exclude_dirs:
            if fnmatch(folder, pattern):
                return f"in excluded folder {folder} (exclude_dirs: {pattern})"
    for pattern in settings.exclude_patterns:
        subject = relative.as_posix() if "/" in pattern else relative.name
        if fnmatch(subject, pattern):
            return f"excluded by pattern {pattern}"
    return None


# --- how to run it ---------------------------------------------------------------------------------


def invocation(formatter: Formatter, target: Path, project: Path, environ: Mapping[str, str]) -> Invocation | Missing:
    """The command line for `formatter` on `target`, or what is missing to run it."""
    import shlex
    import shutil

    try:
        words = shlex.split(formatter.command)
    except ValueError as exc:
        return Missing(formatter.command, f"its command can't be split into words ({exc}); fix it in auto_fix.yaml")
    if not words:
        return Missing(formatter.name, "it has no command; set one in auto_fix.yaml")
    search_path = environ.get("PATH", os.defpath)
    program = words[0]
    if "/" in program and not os.path.isabs(program):
        program = str(project / program)
    found = shutil.which(program, path=search_path)
    if found is None:
        return Missing(words[0], f"install it, or set formatters.{formatter.name}.enabled: false in auto_fix.yaml")
    for required in formatter.requires:
        if shutil.which(required, path=search_path) is None:
            return Missing(required, f"formatters.{formatter.name} requires it; install it")
    env = dict(environ)
    cwd = project
    if Path(found).name == "npx":
        package = npx_package(words[1:])
        if package is None:
            return Missing(formatter.command, "it names no package after npx")
        home = local_bin_home(package, target.parent)
        if home is None:
            return Missing(package, f"npx would download it: install it in the project (npm install --save-dev {package})")
        # npm exec installs missing packages without asking when stdin isn't a terminal; this makes it refuse.
        env["npm_config_yes"] = "false"
        cwd = home
    return Invocation((found, *words[1:], str(target)), cwd, env)


def npx_package(args: Sequence[str]) -> str | None:
    """The program `npx ARGS` runs: the first word that isn't an option (or an option's value)."""
    skip_next = False
    for word in args:
        if skip_next:
            skip_next = False
        elif word in ("-p", "--package", "-c", "--call"):
            skip_next = True
        elif not word.startswith("-"):
            return word.rsplit("@", 1)[0] if word.rfind("@") > 0 else word
    return None


def local_bin_home(program: str, start: Path) -> Path | None:
    """The nearest folder from `start` upwards whose `node_modules/.bin/<program>` can run."""
    name = program.rsplit("/", 1)[-1]
    for folder in (start, *start.parents):
        candidate = folder / "node_modules" / ".bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return folder
    return None


def run_formatter(call: Invocation, timeout_s: float, grace_s: float = KILL_GRACE_S) -> Outcome:
    """Run `call` in a new process group; on timeout stop the whole group (SIGTERM, then SIGKILL)."""
    import subprocess
    import tempfile

    # Output goes to a file, not a pipe: a child left holding a pipe would stall us until the timeout.
    with tempfile.TemporaryFile() as sink:
        try:
            process = subprocess.Popen(
                call.argv, cwd=call.cwd, env=dict(call.env), stdin=subprocess.DEVNULL,
                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:
            return Outcome(None, "", error=f"cannot start {call.argv[0]}: {exc.strerror or exc}")
        timed_out = False
        try:
            process.wait(timeout=max(timeout_s, 0.01))
        except subprocess.TimeoutExpired:
            timed_out = True
            stop_group(process, grace_s)
        finally:
            if process.returncode is None:  # we were interrupted (the hook's own budget): leave nothing behind
                stop_group(process, 0)
        return Outcome(None if timed_out else process.returncode, _read_output(sink), timed_out)


def stop_group(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the process group led by `process`, wait up to `grace_s` for it to go, then SIGKILL what's left."""
    import signal

    group = process.pid
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if process.poll() is not None and not _group_alive(group):
            break
        time.sleep(0.02)
    _signal_group(group, signal.SIGKILL)
    process.wait()


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_output(sink: IO[bytes]) -> str:
    sink.seek(0)
    return sink.read(OUTPUT_CAP_BYTES).decode("utf-8", "replace")


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
        if why_not and why_not.startswith(OUTSIDE_PROJECT):
            from sfp.infra.log import write_log

            write_log(claude_dir, "info", "auto_fix", f"skipped {path}: {why_not}", session=session)
        return _skipped(Path(path), why_not, started)
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
    record_run(claude_dir, result, session)
    return result


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
        note_missing_program(claude_dir, session, call, formatter)
        return result(SKIPPED, f"{call.program} is not installed: {call.hint}")
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


# --- what is kept and said -------------------------------------------------------------------------


def record_run(claude_dir: Path, result: AutoFixResult, session: str | None) -> None:
    """Append the run's `auto_fix` KPI event, and log a formatter that failed. Never raises."""
    from sfp.errors import SfpError
    from sfp.kpi.store import append_event

    data = {
        "extension": "." + (extension_token(result.path.name) or ""),
        "file_type": result.file_type,
        "formatter": result.formatter,
        "status": result.status,
        "changed": result.changed,
        "reason": result.reason,
        "duration_ms": result.duration_ms,
    }
    try:
        append_event(claude_dir, KPI_KIND, data, session=session)
    except SfpError as exc:
        from sfp.infra.log import write_log

        write_log(claude_dir, "warning", "auto_fix", f"KPI event not recorded: {exc}", session=session)
    if result.status in (FAILED, TIMEOUT):
        from sfp.infra.log import write_log

        detail = f": {result.output}" if result.output else ""
        write_log(claude_dir, "warning", "auto_fix",
                  f"{result.formatter} on {result.path.name} {result.status}: {result.reason}{detail}", session=session)


def note_missing_program(claude_dir: Path, session: str | None, missing: Missing, formatter: Formatter) -> None:
    """Log a missing formatter program once per session (a marker file under sfp/state remembers it)."""
    if session is None:
        return  # run by hand: the person reads the reason on the line printed for the file
    from sfp.infra.log import write_log

    if not first_time_missing(claude_dir, session, missing.program):
        return
    write_log(claude_dir, "warning", "auto_fix",
              f"{missing.program} is not installed, so {formatter.name} files are not formatted: {missing.hint}",
              session=session)


def first_time_missing(claude_dir: Path, session: str, program: str, now: float | None = None) -> bool:
    """True the first time `program` is reported missing in `session`; remembers that it was."""
    import json

    from sfp.infra import paths
    from sfp.errors import SfpError
    from sfp.infra.storage import ensure_private_dir, write_atomic

    folder = paths.state_dir(claude_dir)
    marker = folder / f"autofix-missing-{_safe_name(session)}.json"
    try:
        known = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = []
    if not isinstance(known, list):
        known = []
    if program in known:
        return False
    try:
        ensure_private_dir(folder)
        if not known:
            prune_missing_markers(folder, time.time() if now is None else now)
        write_atomic(marker, json.dumps(sorted({*map(str, known), program})) + "\n")
    except SfpError:
        pass  # logging it again next time is the worst that can happen
    return True


def prune_missing_markers(folder: Path, now: float, max_age_s: float = MISSING_MARKER_MAX_AGE_S) -> None:
    """Delete markers of sessions older than `max_age_s`: one is written per session that lacks a formatter."""
    for marker in folder.glob("autofix-missing-*.json"):
        try:
            if now - marker.stat().st_mtime > max_age_s:
                marker.unlink()
        except OSError:
            continue


def _safe_name(session: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in session)[:80]
    return cleaned or "unknown"


def display_path(path: Path, project: Path) -> str:
    """`path` relative to the project when inside it (as the person knows it), else as given."""
    try:
        return path.relative_to(os.path.realpath(project)).as_posix()
    except ValueError:
        return str(path)


def hook_message(result: AutoFixResult, project: Path) -> str | None:
    """The one line for the person after a hook run, or None when there is nothing worth saying."""
    shown = display_path(result.path, project)
    tool = short_name(result.formatter or "")
    if result.status == FORMATTED:
        return f"🧹 sfp: formatted {shown} with {tool}"
    detail = f": {result.output}" if result.output else ""
    if result.status in (FAILED, TIMEOUT) and result.changed:
        return f"⚠️ sfp: {tool} changed {shown} but {_failure(result)}{detail}; check the file"
    if result.status in (FAILED, TIMEOUT) and result.verbose:
        return f"⚠️ sfp: {tool} on {shown} {_failure(result)}{detail}"
    return None


def short_name(command: str) -> str:
    """`ruff format`, `npx prettier`, `python3`: the tool, not the whole command line, for a one-line message."""
    words = command.split()
    if len(words) > 1 and words[1].replace("-", "").isalnum() and not words[1].startswith("-"):
        return " ".join(words[:2])
    return words[0] if words else command


def _failure(result: AutoFixResult) -> str:
    if result.status == TIMEOUT:
        return f"was {result.reason}"
    return result.reason or "failed"
