"""Run quality-gate commands in parallel inside hard time bounds, leaving no process behind.

Each gate is `/bin/sh -c COMMAND` (so pipes, `||` and multi-line `if … fi` work)
started in a session of its own, which makes everything it starts one process
group the runner can signal at once: SIGTERM, then SIGKILL after a grace period.
That happens when the gate's time is up, when the run's time is up, on fail_fast,
on a cancel request or Ctrl-C, and also when the gate's shell exits by itself:
background processes it left would otherwise hold the output pipe and linger.
A gate thus ends at its limit plus the few milliseconds its group takes to die,
or plus the grace period if something in it ignores SIGTERM.

Gates the runner stops before their verdict (fail_fast, cancel) or never starts
are reported `skipped` with the reason; only a time limit makes a `timeout`.
Gates run on a pool of threads; each thread only waits on its child, through sfp.infra.proc.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

from sfp.infra import proc
from sfp.infra.proc import Spawn as Spawn
from sfp.infra.proc import spawn_process as spawn_process
from sfp.infra.record import Record

SHELL: Final = "/bin/sh"

PASSED: Final = "passed"
FAILED: Final = "failed"
TIMEOUT: Final = "timeout"
SKIPPED: Final = "skipped"
ERROR: Final = "error"

# Put in a result's reason when the gate had to run without a process group of its own.
NO_SESSION_NOTE: Final = ("the system refused a new process session, so the gate ran without one: "
                          "processes it left in the background were not stopped")


class GateSpec(Record):
    name: str
    command: str  # shell text, run by /bin/sh -c
    timeout_ms: int
    required: bool = False
    critical: bool = False
    env: Mapping[str, str] = MappingProxyType({})  # added to the run's environment
    cwd: Path | None = None  # relative to the run's cwd; None: the run's cwd
    requires: tuple[str, ...] = ()  # tools that must be on PATH, else the gate is skipped (or fails, if it must run)
    fix: str | None = None
    files: tuple[str, ...] = ()  # project-relative: what `{files}` becomes, or what pass_filenames appends
    pass_filenames: bool = False  # append the files to the command as arguments (in chunks under the OS limit)
    builtin: str | None = None  # run in process by sfp instead of `command` (see `builtins` of run_gates)


class GateResult(Record):
    name: str
    status: str  # PASSED | FAILED | TIMEOUT | SKIPPED | ERROR
    returncode: int | None  # the shell's exit status; None when it didn't run to its end
    duration_ms: int
    output: str  # stdout and stderr together, capped, redacted
    reason: str | None  # why skipped, error or timeout; NO_SESSION_NOTE when it applies
    truncated: bool
    required: bool
    critical: bool
    fix: str | None
    cut_by_run_limit: bool = False  # stopped, or never started, because the run's time limit was reached
    missing_tool: str | None = None  # the tool that isn't installed (skipped, or failed when the gate must run)


class RunSettings(Record):
    parallel: bool = True
    max_workers: int | None = None  # None: os.cpu_count()
    # Stop the run once a required or critical gate fails, times out or can't start; a failing
    # optional gate is only reported, as it would not fail the run either.
    fail_fast: bool = False
    timeout_ms: int | None = None  # for the whole run
    output_cap_bytes: int = 64 * 1024  # per gate: the head and the tail are kept
    grace_ms: int = 500  # between SIGTERM and SIGKILL


EventHook = Callable[[str, GateSpec, GateResult | None], None]
# A gate sfp runs in process: (working directory, the gate's files) -> (passed, output).
Builtin = Callable[[Path, Sequence[str]], tuple[bool, str]]
FILES_PLACEHOLDER: Final = "{files}"
# Linux caps one argument at 32 pages (MAX_ARG_STRLEN): `{files}` is expanded inside the `sh -c` text.
MAX_ONE_ARGUMENT: Final = 128 * 1024


def run_gates(
    gates: Sequence[GateSpec],
    settings: RunSettings,
    *,
    cwd: Path,
    redact: Callable[[str], str] = lambda s: s,
    environ: Mapping[str, str] = os.environ,
    on_event: EventHook | None = None,
    clock: Callable[[], float] = time.monotonic,
    cancel: threading.Event | None = None,
    spawn: Spawn = spawn_process,
    builtins: Mapping[str, Builtin] = MappingProxyType({}),
) -> list[GateResult]:
    """Run the gates and return their results in the order of `gates`.

    on_event("start", gate, None) comes just before a gate's command starts (not for gates skipped
    before starting); on_event("end", gate, result) comes once for every gate. Both come from worker
    threads, one call at a time; what on_event raises ends the run (its gates stopped) and propagates.
    Setting `cancel` stops the run: running gates are killed and, like the rest, reported skipped.
    On KeyboardInterrupt every running gate is killed before it propagates.
    """
    run = _Run(settings, cwd, redact, environ, clock, spawn, cancel, on_event)
    run.builtins = builtins
    # Forked before any gate thread starts: if this process is killed, the watcher ends the gates.
    with proc.outlived_by_nothing(run.tag):
        return _run_all(gates, run)


def _run_all(gates: Sequence[GateSpec], run: _Run) -> list[GateResult]:
    workers = min(run.settings.max_workers or os.cpu_count() or 1, len(gates))
    if not run.settings.parallel or workers <= 1:
        return [_run_one(gate, run) for gate in gates]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="sfp-gate") as pool:
        futures = [pool.submit(_run_one, gate, run) for gate in gates]
        try:
            return [future.result() for future in futures]
        except BaseException:
            run.stop("interrupted")  # the workers now end their gates; leaving the `with` waits for them
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def missing_tools(tools: Sequence[str], path: str) -> list[str]:
    """The tools not found as executables on `path` (a PATH value)."""
    import shutil  # shutil drags in compression modules; most gates require nothing

    return [tool for tool in tools if shutil.which(tool, path=path) is None]


class _Run:
    """What the gates of one run share: settings, the world, and whether the run was stopped."""

    def __init__(self, settings: RunSettings, cwd: Path, redact: Callable[[str], str], environ: Mapping[str, str],
                 clock: Callable[[], float], spawn: Spawn, cancel: threading.Event | None,
                 on_event: EventHook | None) -> None:
        self.settings = settings
        self.cwd = cwd
        self.redact = redact
        self.environ = environ
        self.clock = clock
        self.spawn = spawn
        self.cancel = cancel
        self.on_event = on_event
        self.deadline = float("inf") if settings.timeout_ms is None else clock() + settings.timeout_ms / 1000
        self.stopped: str | None = None
        self.no_session = False  # the platform refused one: later gates don't ask again
        self.tag = proc.new_tag()  # each gate's tag starts with it: the run's processes, wherever they went
        self.lock = threading.Lock()
        self.event_lock = threading.Lock()
        self.builtins: Mapping[str, Builtin] = MappingProxyType({})

    def stop(self, reason: str) -> None:
        with self.lock:
            if self.stopped is None:
                self.stopped = reason

    def stop_reason(self) -> str | None:
        if self.stopped is not None:
            return self.stopped
        return "cancelled" if self.cancel is not None and self.cancel.is_set() else None

    def emit(self, kind: str, gate: GateSpec, result: GateResult | None) -> None:
        if self.on_event is not None:
            with self.event_lock:
                self.on_event(kind, gate, result)


def _run_one(gate: GateSpec, run: _Run) -> GateResult:
    try:
        result = _attempt(gate, run)
        if run.settings.fail_fast and (gate.required or gate.critical) and result.status in (FAILED, TIMEOUT, ERROR):
            run.stop(f"fail_fast: gate {gate.name!r} did not pass ({result.status})")
        run.emit("end", gate, result)
    except BaseException:
        run.stop("interrupted")  # the other workers stop now, not when the caller gets to this gate's future
        raise
    return result


def _attempt(gate: GateSpec, run: _Run) -> GateResult:
    why_not = run.stop_reason()
    if why_not is not None:
        return _result(gate, SKIPPED, reason=why_not)
    if run.clock() >= run.deadline:
        return _result(gate, SKIPPED, reason=f"global timeout ({run.settings.timeout_ms} ms) reached before it started",
                       cut_by_run_limit=True)
    env = {**run.environ, **gate.env}
    missing = missing_tools(gate.requires, env.get("PATH", os.defpath))
    if missing:
        return _missing(gate, missing[0])
    if takes_files(gate) and not gate.files:
        return _result(gate, SKIPPED, reason="no files to check")
    cwd = run.cwd / gate.cwd if gate.cwd is not None else run.cwd
    run.emit("start", gate, None)
    started = run.clock()
    if not cwd.is_dir():
        return _result(gate, ERROR, reason=f"could not start: working directory {cwd} does not exist")
    if gate.builtin is not None:
        return _run_builtin(gate, run, cwd, started)
    limit = started + gate.timeout_ms / 1000
    files = [_as_argument(f, run.cwd, cwd) for f in gate.files]
    outputs, done = [], None
    for argv in invocations(gate.command, files, gate.pass_filenames, env):
        try:
            done = proc.run(argv, cwd=cwd, env=env, deadline=min(limit, run.deadline),
                            tag=proc.new_tag(run.tag),
                            grace_s=run.settings.grace_ms / 1000, output_cap=run.settings.output_cap_bytes,
                            should_stop=run.stop_reason, new_session=not run.no_session, clock=run.clock,
                            spawn=run.spawn)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the command or the environment
            return _result(gate, ERROR, duration_ms=_ms_since(started, run), reason=f"could not start {SHELL}: {exc}")
        if not done.own_group:
            run.no_session = True  # later gates don't ask again
        outputs.append(done.output)
        if done.returncode != 0:
            break  # a failing chunk is the verdict; a timed-out or stopped one ends the gate
    assert done is not None  # invocations() yields at least one command
    tool = _missing_leading_tool(gate.command, done.returncode, env)
    if tool is not None:
        # `ruff check .` with no ruff: the shell says "not found" (127). A gate that can't run
        # says nothing about the code: skipped, as with `requires` (failed when it must run).
        return _missing(gate, tool, _ms_since(started, run))
    cut_by_run_limit = done.timed_out and limit > run.deadline
    status, reason = _verdict(done, gate, run, cut_by_run_limit)
    if not done.own_group:
        reason = f"{reason}; {NO_SESSION_NOTE}" if reason else NO_SESSION_NOTE
    output = "".join(outputs)
    truncated = done.truncated or len(output.encode("utf-8", "replace")) > run.settings.output_cap_bytes
    if len(outputs) > 1 and len(output) > run.settings.output_cap_bytes:
        half = run.settings.output_cap_bytes // 2
        output = output[:half] + "\n[sfp: output cut]\n" + output[-half:]
    return _result(gate, status, done.returncode, _ms_since(started, run), run.redact(output), reason,
                   truncated, cut_by_run_limit)


def takes_files(gate: GateSpec) -> bool:
    """Whether the gate is given its files: `{files}` in its command, pass_filenames, or a builtin."""
    return gate.builtin is not None or gate.pass_filenames or FILES_PLACEHOLDER in gate.command


def invocations(command: str, files: Sequence[str], pass_filenames: bool,
                env: Mapping[str, str] | None = None) -> list[list[str]]:
    """The argvs that run `command` on `files`: one, unless the files need chunks to stay under the OS limits.

    `{files}` becomes the names, each shell-quoted (the shell reads them as words, never as code);
    pass_filenames hands them to `sh -c 'COMMAND "$@"'` as arguments (the shell never parses them at all).
    """
    import shlex

    if FILES_PLACEHOLDER in command:
        budget = MAX_ONE_ARGUMENT - len(command.encode("utf-8", "surrogateescape")) - 1024
        quoted = [shlex.quote(f) for f in files]
        return [[SHELL, "-c", command.replace(FILES_PLACEHOLDER, " ".join(chunk))]
                for chunk in chunks(quoted, max(budget, 4096))]
    if pass_filenames:
        script = command.rstrip() + ' "$@"'
        return [[SHELL, "-c", script, SHELL, *chunk] for chunk in chunks(list(files), _argument_budget(script, env))]
    return [[SHELL, "-c", command]]


def chunks(items: Sequence[str], budget: int) -> list[list[str]]:
    """`items` in order, in lists whose arguments (bytes, a NUL and a pointer each) stay within `budget`."""
    out: list[list[str]] = [[]]
    used = 0
    for item in items:
        cost = len(item.encode("utf-8", "surrogateescape")) + 1 + 8
        if out[-1] and used + cost > budget:
            out.append([])
            used = 0
        out[-1].append(item)
        used += cost
    return out


def _argument_budget(script: str, env: Mapping[str, str] | None) -> int:
    """What the file arguments may take of ARG_MAX: less the environment, the script and a margin."""
    try:
        arg_max = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):
        arg_max = 128 * 1024
    arg_max = min(arg_max if arg_max > 0 else 128 * 1024, 2 * 1024 * 1024)
    environment = sum(len(k) + len(v) + 2 + 8 for k, v in (env or os.environ).items())
    return max((arg_max - environment - len(script) - 16 * 1024) // 2, 4096)


def _as_argument(name: str, project: Path, cwd: Path) -> str:
    """A project-relative name as the gate's command should see it: relative to the gate's own folder,
    and never mistaken for an option (`-rf.py` becomes `./-rf.py`)."""
    if cwd != project:
        name = os.path.relpath(project / name, cwd)
    return f"./{name}" if name.startswith("-") else name


def _run_builtin(gate: GateSpec, run: _Run, cwd: Path, started: float) -> GateResult:
    builtin = run.builtins.get(gate.builtin or "")
    if builtin is None:
        return _result(gate, ERROR, reason=f"sfp has no built-in gate `{gate.builtin}`")
    try:
        passed, output = builtin(cwd, [_as_argument(f, run.cwd, cwd) for f in gate.files])
    except Exception as exc:  # a builtin that breaks is this gate's error, never the run's end
        return _result(gate, ERROR, duration_ms=_ms_since(started, run), reason=f"built-in gate failed: {exc}")
    return _result(gate, PASSED if passed else FAILED, 0 if passed else 1, _ms_since(started, run),
                   run.redact(output))


def _missing(gate: GateSpec, tool: str, duration_ms: int = 0) -> GateResult:
    """A gate whose tool isn't installed: skipped when optional; a failure when it is required or critical."""
    if not (gate.required or gate.critical):
        return _result(gate, SKIPPED, duration_ms=duration_ms, reason=f"{tool} not installed", missing_tool=tool)
    marks = " and `critical: false`" if gate.critical else ""
    text = f"{tool} is not installed; install it or mark the gate `required: false`{marks}"
    return _result(gate, FAILED, duration_ms=duration_ms, output=text + "\n", reason=text, missing_tool=tool)


def _verdict(done: proc.Completed, gate: GateSpec, run: _Run, cut_by_run_limit: bool) -> tuple[str, str | None]:
    if done.stopped is not None:
        return SKIPPED, done.stopped
    if done.timed_out:
        return TIMEOUT, (f"global timeout ({run.settings.timeout_ms} ms) reached" if cut_by_run_limit
                         else f"timed out after {gate.timeout_ms} ms")
    if done.returncode is None:
        return ERROR, "the shell did not exit after SIGKILL"
    return (PASSED if done.returncode == 0 else FAILED), None


def _missing_leading_tool(command: str, returncode: int | None, env: Mapping[str, str]) -> str | None:
    """The command's first word when the shell couldn't find it (exit 127), else None."""
    if returncode != 127:
        return None
    import shlex

    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None
    while words and "=" in words[0] and not words[0].startswith("="):
        words = words[1:]  # VAR=value prefixes
    if not words or "/" in words[0] or words[0] in _SHELL_WORDS:
        return None
    return words[0] if missing_tools([words[0]], env.get("PATH", os.defpath)) else None


# Words that start shell syntax, not a tool: an `if` block's 127 says nothing about `if`.
_SHELL_WORDS: Final = frozenset({
    "if", "for", "while", "until", "case", "{", "(", "!", "[", "[[", "test", "exec", "command", "cd",
    "export", "set", "eval", "time", "nohup", "env", "sudo", "xargs",
})


def _ms_since(started: float, run: _Run) -> int:
    return max(int((run.clock() - started) * 1000), 0)


def _result(gate: GateSpec, status: str, returncode: int | None = None, duration_ms: int = 0, output: str = "",
            reason: str | None = None, truncated: bool = False, cut_by_run_limit: bool = False,
            missing_tool: str | None = None) -> GateResult:
    return GateResult(gate.name, status, returncode, duration_ms, output, reason, truncated, gate.required,
                      gate.critical, gate.fix, cut_by_run_limit, missing_tool)
