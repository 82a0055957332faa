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
Gates run on a pool of threads; each thread only waits on its child.
"""

from __future__ import annotations

from types import MappingProxyType

import codecs
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final, NamedTuple

SHELL: Final = "/bin/sh"

PASSED: Final = "passed"
FAILED: Final = "failed"
TIMEOUT: Final = "timeout"
SKIPPED: Final = "skipped"
ERROR: Final = "error"

# Put in a result's reason when the gate had to run without a process group of its own.
NO_SESSION_NOTE: Final = ("the system refused a new process session, so the gate ran without one: "
                          "processes it left in the background were not stopped")

_POLL_S: Final = 0.05  # how soon a running gate notices a stop request, or its shell gone while the pipe is held
_DRAIN_S: Final = 0.2  # reading after SIGKILL: a process that left the group could hold the pipe forever
_REAP_S: Final = 2.0  # only a process stuck in the kernel outlives SIGKILL this long
_CHUNK: Final = 65536
_LINE_LOOKBACK: Final = 512  # how far back a cut looks for a line end, so lines (and secrets) stay whole
_CONTINUATION: Final = range(0x80, 0xC0)  # UTF-8 continuation bytes


class GateSpec(NamedTuple):
    name: str
    command: str  # shell text, run by /bin/sh -c
    timeout_ms: int
    required: bool = False
    critical: bool = False
    env: Mapping[str, str] = MappingProxyType({})  # added to the run's environment
    cwd: Path | None = None  # relative to the run's cwd; None: the run's cwd
    requires: tuple[str, ...] = ()  # tools that must be on PATH, else the gate is skipped
    fix: str | None = None
    description: str | None = None


class GateResult(NamedTuple):
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


class RunSettings(NamedTuple):
    parallel: bool = True
    max_workers: int | None = None  # None: os.cpu_count()
    # Stop the run once a required or critical gate fails, times out or can't start; a failing
    # optional gate is only reported, as it would not fail the run either.
    fail_fast: bool = False
    timeout_ms: int | None = None  # for the whole run
    output_cap_bytes: int = 64 * 1024  # per gate: the head and the tail are kept
    grace_ms: int = 500  # between SIGTERM and SIGKILL


EventHook = Callable[[str, GateSpec, GateResult | None], None]
Spawn = Callable[[Sequence[str], Path, Mapping[str, str], bool], subprocess.Popen[bytes]]


def spawn_process(argv: Sequence[str], cwd: Path, env: Mapping[str, str], new_session: bool) -> subprocess.Popen[bytes]:
    """Start argv reading /dev/null, writing stdout and stderr into one pipe; in a new session if asked."""
    return subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=new_session)


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
) -> list[GateResult]:
    """Run the gates and return their results in the order of `gates`.

    on_event("start", gate, None) comes just before a gate's command starts (not for gates skipped
    before starting); on_event("end", gate, result) comes once for every gate. Both come from worker
    threads, one call at a time; what on_event raises ends the run (its gates stopped) and propagates.
    Setting `cancel` stops the run: running gates are killed and, like the rest, reported skipped.
    On KeyboardInterrupt every running gate is killed before it propagates.
    """
    run = _Run(settings, cwd, redact, environ, clock, spawn, cancel, on_event)
    workers = min(settings.max_workers or os.cpu_count() or 1, len(gates))
    if not settings.parallel or workers <= 1:
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


def group_has_living(pgid: int, proc_root: Path = Path("/proc")) -> bool:
    """Whether process group `pgid` has a member that isn't a zombie (without /proc: any member).

    Orphaned zombies stay in the group until init reaps them, which some sandboxes' init does
    only every second or two, so signal 0 alone can't tell a finished group from a living one.
    """
    try:
        os.killpg(pgid, 0)  # signal 0 only asks, so a reused id would come to no harm
    except (ProcessLookupError, PermissionError):  # macOS says EPERM for a group of zombies
        return False
    if not proc_root.is_dir():
        return True
    for entry in os.scandir(proc_root):
        if entry.name.isdigit():
            try:
                with open(os.path.join(entry.path, "stat"), "rb") as stat:
                    fields = stat.read().rpartition(b")")[2].split()  # the name before ")" may hold spaces
            except OSError:
                continue
            if len(fields) > 2 and fields[0] not in (b"Z", b"X") and int(fields[2]) == pgid:
                return True
    return False


class CappedOutput:
    """A gate's output in bounded memory: the first half of the cap, and a rolling last half."""

    def __init__(self, cap: int) -> None:
        self.head_cap = max(cap, 0) // 2
        self.tail_cap = max(cap, 0) - self.head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > 2 * self.tail_cap:  # trimming only now and then keeps add() linear
            del self.tail[: len(self.tail) - self.tail_cap]

    def text(self) -> tuple[str, bool]:
        """The output as text, and whether a middle part was cut (marked `… [N bytes cut] …`)."""
        head, tail = bytes(self.head), bytes(self.tail[max(len(self.tail) - self.tail_cap, 0):])
        if len(head) + len(tail) == self.total:
            return (head + tail).decode("utf-8", "replace"), False
        head, tail = _cut_head(head), _cut_tail(tail)
        shown_head = codecs.getincrementaldecoder("utf-8")("replace").decode(head)  # drops a torn last character
        marker = f"… [{self.total - len(head) - len(tail)} bytes cut] …\n"
        if shown_head and not shown_head.endswith("\n"):
            marker = "\n" + marker
        return shown_head + marker + tail.decode("utf-8", "replace"), True


def _cut_head(head: bytes) -> bytes:
    end = head.rfind(b"\n", len(head) - min(_LINE_LOOKBACK, len(head) // 4))
    return head[: end + 1] if end >= 0 else head


def _cut_tail(tail: bytes) -> bytes:
    start = tail.find(b"\n", 0, min(_LINE_LOOKBACK, len(tail) // 4))
    if start >= 0:
        return tail[start + 1:]
    skip = 0
    while skip < min(3, len(tail)) and tail[skip] in _CONTINUATION:
        skip += 1
    return tail[skip:]


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
        self.lock = threading.Lock()
        self.event_lock = threading.Lock()

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
    if why_not is None and run.clock() >= run.deadline:
        why_not = f"global timeout ({run.settings.timeout_ms} ms) reached before it started"
    if why_not is not None:
        return _result(gate, SKIPPED, reason=why_not)
    env = {**run.environ, **gate.env}
    missing = missing_tools(gate.requires, env.get("PATH", os.defpath))
    if missing:
        return _result(gate, SKIPPED, reason=f"requires {', '.join(missing)} (not on PATH)")
    cwd = run.cwd / gate.cwd if gate.cwd is not None else run.cwd
    run.emit("start", gate, None)
    started = run.clock()
    if not cwd.is_dir():
        return _result(gate, ERROR, reason=f"could not start: working directory {cwd} does not exist")
    try:
        proc, own_group = _launch(gate.command, cwd, env, run)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the command or the environment
        return _result(gate, ERROR, duration_ms=_ms_since(started, run), reason=f"could not start {SHELL}: {exc}")
    status, reason, returncode, output = _supervise(proc, own_group, gate, started, run)
    text, truncated = output.text()
    tool = _missing_leading_tool(gate.command, returncode, env)
    if tool is not None:
        # `ruff check .` with no ruff: the shell says "not found" (127). A gate that can't run
        # says nothing about the code, so it is skipped, as with `requires`.
        return _result(gate, SKIPPED, duration_ms=_ms_since(started, run), reason=f"requires {tool} (not on PATH)")
    if not own_group:
        reason = f"{reason}; {NO_SESSION_NOTE}" if reason else NO_SESSION_NOTE
    return _result(gate, status, returncode, _ms_since(started, run), run.redact(text), reason, truncated)


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


def _launch(command: str, cwd: Path, env: Mapping[str, str], run: _Run) -> tuple[subprocess.Popen[bytes], bool]:
    """The gate's shell, and whether it leads a process group of its own."""
    argv = [SHELL, "-c", command]
    if not run.no_session:
        try:
            return run.spawn(argv, cwd, env, True), True
        except PermissionError as exc:
            if exc.filename is not None:  # the shell or the folder can't be used, not the session
                raise
            run.no_session = True  # seen in sandboxes that forbid setsid()
    return run.spawn(argv, cwd, env, False), False


def _supervise(proc: subprocess.Popen[bytes], own_group: bool, gate: GateSpec, started: float,
               run: _Run) -> tuple[str, str | None, int | None, CappedOutput]:
    """Wait for the gate while reading its output; end its group whatever happens, even Ctrl-C."""
    limit = started + gate.timeout_ms / 1000
    deadline = min(limit, run.deadline)
    late = (f"timed out after {gate.timeout_ms} ms" if limit <= run.deadline
            else f"global timeout ({run.settings.timeout_ms} ms) reached")
    child = _Child(proc, own_group, CappedOutput(run.settings.output_cap_bytes), run.clock)
    try:
        stopped = _wait_for_exit(child, deadline, late, run)
    finally:
        child.end(run.settings.grace_ms / 1000)
    if stopped is not None:
        return stopped[0], stopped[1], None, child.output
    if child.returncode is None:
        return ERROR, "the shell did not exit after SIGKILL", None, child.output
    return (PASSED if child.returncode == 0 else FAILED), None, child.returncode, child.output


def _wait_for_exit(child: _Child, deadline: float, late: str, run: _Run) -> tuple[str, str] | None:
    """None once the gate's shell exits by itself; else the status and reason to stop it with."""
    while not child.exited():
        why = run.stop_reason()
        if why is not None:
            return SKIPPED, why
        left = deadline - run.clock()
        if left <= 0:
            return TIMEOUT, late
        child.pump(min(left, _POLL_S))
    return None


class _Child:
    """A started gate: its shell, the pipe its whole group writes to, and the output read so far.

    The shell is reaped only at the very end, so until then its pid - the group's id - can't be
    reused and signalling the group can't hit a stranger.
    """

    def __init__(self, proc: subprocess.Popen[bytes], own_group: bool, output: CappedOutput,
                 clock: Callable[[], float]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.own_group = own_group
        self.output = output
        self.clock = clock
        self.pipe = proc.stdout
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.pipe, selectors.EVENT_READ)
        self.eof = False
        self.nap = 0.0002
        self.returncode: int | None = None

    def exited(self) -> bool:
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def pump(self, timeout: float) -> None:
        """Read what arrives within `timeout` seconds; after the pipe closed, just wait a little."""
        if self.eof:
            # the shell is about to exit, or runs on without output: look again soon, then less often
            time.sleep(max(min(timeout, self.nap), 0))
            self.nap = min(self.nap * 2, _POLL_S)
            return
        if self.selector.select(max(timeout, 0)):
            data = os.read(self.pipe.fileno(), _CHUNK)
            if data:
                self.output.add(data)
            else:
                self.eof = True
                self.selector.unregister(self.pipe)

    def signal(self, signum: int) -> None:
        try:
            if self.own_group:
                os.killpg(self.proc.pid, signum)
            else:
                os.kill(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):  # all gone; macOS says EPERM for a group of zombies
            pass

    def wait_for_group(self, limit_s: float) -> None:
        """Give members that don't hold the pipe time to die of the SIGKILL, so that none is seen alive later."""
        until, nap = self.clock() + limit_s, 0.001
        while self.clock() < until and group_has_living(self.proc.pid):
            time.sleep(nap)
            nap = min(nap * 2, 0.02)

    def end(self, grace_s: float) -> None:
        """SIGTERM the group; once it is gone (shell exited, pipe closed) or the grace is over, SIGKILL; reap."""
        try:
            self.signal(signal.SIGTERM)
            until = self.clock() + grace_s
            while not (self.eof and self.exited()) and (left := until - self.clock()) > 0:
                self.pump(min(left, _POLL_S))
            self.signal(signal.SIGKILL)  # also reaches group members that don't hold the pipe
            until = self.clock() + _DRAIN_S
            while not self.eof and (left := until - self.clock()) > 0:
                self.pump(left)
            try:
                self.returncode = self.proc.wait(_REAP_S)
            except subprocess.TimeoutExpired:
                self.returncode = None
            if self.own_group:
                self.wait_for_group(_DRAIN_S)
        finally:
            self.selector.close()
            self.pipe.close()


def _ms_since(started: float, run: _Run) -> int:
    return max(int((run.clock() - started) * 1000), 0)


def _result(gate: GateSpec, status: str, returncode: int | None = None, duration_ms: int = 0, output: str = "",
            reason: str | None = None, truncated: bool = False) -> GateResult:
    return GateResult(gate.name, status, returncode, duration_ms, output, reason, truncated, gate.required,
                      gate.critical, gate.fix)
