"""Run one child process inside hard time bounds, leaving nothing it started behind.

The child is started in a session of its own, which makes everything it starts one
process group that can be signalled at once: SIGTERM, then SIGKILL after a grace
period. That happens when the deadline passes, when `should_stop` gives a reason,
on Ctrl-C (or any exception while waiting), and also when the child exits by
itself: background processes it left would otherwise hold its pipes and linger.
Where the system refuses a new session (some sandboxes forbid setsid()), the child
runs plainly and the result says so: only the child itself is signalled then.

Output is read through pipes into bounded memory (the head and the tail are kept),
stdin bytes are written as the child reads them, and both go through one selector,
so a child that writes a lot before it reads everything can't deadlock with us.
Every member of the group is waited for: the child is reaped, and the others (which
init reaps) are waited for until none of them is alive, as /proc tells.

A process that leaves the group (`setsid`, a double fork) is still found: every child
gets a tag in its environment (SFP_PROC_TAG), which its descendants inherit, and when
the child ends, every process carrying the tag is killed (a /proc walk; one that wipes
its own environment escapes this). `outlived_by_nothing()` forks a watcher that does
the same if this process itself dies first, killed by the client with SIGKILL.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import IO, Final

from sfp.infra.record import Record

GRACE_S: Final = 0.5  # between SIGTERM and SIGKILL, unless the caller says otherwise
OUTPUT_CAP_BYTES: Final = 64 * 1024

_POLL_S: Final = 0.05  # how soon a running child's stop request is noticed, or its exit while a pipe is held
_DRAIN_S: Final = 0.2  # reading after SIGKILL: a process that left the group could hold a pipe forever
_REAP_S: Final = 2.0  # only a process stuck in the kernel outlives SIGKILL this long
_CHUNK: Final = 65536
_LINE_LOOKBACK: Final = 512  # how far back a cut looks for a line end, so lines (and secrets) stay whole
_CONTINUATION: Final = range(0x80, 0xC0)  # UTF-8 continuation bytes
TAG_VARIABLE: Final = "SFP_PROC_TAG"
_tags = iter(range(1, 1 << 62))

# spawn(argv, cwd, env, new_session): the started child, its stdout (and stderr, or stdin) piped as asked of run().
Spawn = Callable[[Sequence[str], Path, Mapping[str, str], bool], subprocess.Popen[bytes]]


class Completed(Record):
    returncode: int | None  # its exit status; None when it was stopped, or outlived SIGKILL
    output: str  # stdout and stderr together (only stderr with keep_stdout), capped, as text
    truncated: bool  # a middle part of `output` was cut
    timed_out: bool  # the deadline came before its exit
    stopped: str | None  # should_stop's reason, when that came before its exit
    own_group: bool  # it led a process group of its own; False: the system refused a new session
    stdout: bytes = b""  # with keep_stdout: all of stdout, not capped


def spawn_process(argv: Sequence[str], cwd: Path, env: Mapping[str, str], new_session: bool, *,
                  stdin: bool = False, split_stdout: bool = False) -> subprocess.Popen[bytes]:
    """Start argv reading /dev/null (or a pipe), writing stdout and stderr into one pipe (or two)."""
    return subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE if split_stdout else subprocess.STDOUT,
                            start_new_session=new_session)


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout_s: float | None = None,
    deadline: float | None = None,
    grace_s: float = GRACE_S,
    interrupted_grace_s: float | None = None,
    output_cap: int = OUTPUT_CAP_BYTES,
    keep_stdout: bool = False,
    should_stop: Callable[[], str | None] | None = None,
    new_session: bool = True,
    clock: Callable[[], float] = time.monotonic,
    spawn: Spawn | None = None,
    proc_root: Path = Path("/proc"),
    tag: str | None = None,
) -> Completed:
    """Run argv to its end or until it is stopped, and end its whole process group either way.

    `tag` (default: one of this process's own) marks the child and its descendants, and all of them
    are killed when the child ends, even those that left its group.

    `deadline` is a time on `clock`; `timeout_s` counts from now; with both, the earlier one
    counts. `should_stop` is asked every few tens of milliseconds; a reason it gives stops the
    child. Without `stdin` the child reads /dev/null. With `keep_stdout`, stdout is kept apart
    and whole (for data passed through a filter) and `output` holds only stderr. `new_session`
    False doesn't ask for a session (a caller that saw it refused before). When an exception
    (Ctrl-C, a caller's alarm) ends the wait, `interrupted_grace_s` replaces `grace_s` if given,
    for a caller with no time left to give. Without `spawn`,
    spawn_process opens the pipes these ask for; a given `spawn` must open them itself.
    Raises OSError or ValueError (a NUL byte in argv or env) when the child can't start.
    """
    if timeout_s is not None:
        limit = clock() + timeout_s
        deadline = limit if deadline is None else min(deadline, limit)
    if spawn is None:
        spawn = partial(spawn_process, stdin=stdin is not None, split_stdout=keep_stdout)
    tag = tag or new_tag()
    environ = {**(os.environ if env is None else env), TAG_VARIABLE: tag}
    proc, own_group = _launch(argv, Path(os.curdir) if cwd is None else cwd, environ, new_session, spawn)
    child = _Child(proc, own_group, CappedOutput(output_cap), stdin, keep_stdout, clock, proc_root, tag)
    try:
        timed_out, stopped = _wait_for_exit(child, deadline, should_stop, clock)
    except BaseException:
        child.end(grace_s if interrupted_grace_s is None else interrupted_grace_s)
        raise
    child.end(grace_s)
    text, truncated = child.output.text()
    returncode = None if timed_out or stopped is not None else child.returncode
    return Completed(returncode, text, truncated, timed_out, stopped, own_group, bytes(child.stdout))


def _launch(argv: Sequence[str], cwd: Path, env: Mapping[str, str], new_session: bool,
            spawn: Spawn) -> tuple[subprocess.Popen[bytes], bool]:
    """The started child, and whether it leads a process group of its own."""
    if new_session:
        try:
            return spawn(argv, cwd, env, True), True
        except PermissionError as exc:
            # Popen names the cwd for any failure before exec, setsid()'s included; a failing
            # chdir() fails again below and is raised from there.
            if exc.filename is not None and os.fspath(exc.filename) != os.fspath(cwd):
                raise  # the program itself can't be run
    return spawn(argv, cwd, env, False), False


def _wait_for_exit(child: _Child, deadline: float | None, should_stop: Callable[[], str | None] | None,
                   clock: Callable[[], float]) -> tuple[bool, str | None]:
    """(timed out, stop reason): both empty once the child exits by itself."""
    while not child.exited():
        why = should_stop() if should_stop is not None else None
        if why is not None:
            return False, why
        left = _POLL_S if deadline is None else deadline - clock()
        if left <= 0:
            return True, None
        child.pump(min(left, _POLL_S))
    return False, None


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
    """Output in bounded memory: the first half of the cap, and a rolling last half."""

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


class _Child:
    """A started child: its pipes, the stdin still to write, and the output read so far.

    The child is reaped only at the very end, so until then its pid - the group's id - can't
    be reused and signalling the group can't hit a stranger.
    """

    def __init__(self, proc: subprocess.Popen[bytes], own_group: bool, output: CappedOutput, stdin: bytes | None,
                 keep_stdout: bool, clock: Callable[[], float], proc_root: Path, tag: str) -> None:
        self.proc = proc
        self.tag = tag
        self.own_group = own_group
        self.output = output
        self.stdout = bytearray()
        self.clock = clock
        self.proc_root = proc_root
        self.selector = selectors.DefaultSelector()
        self.reading = 0  # pipes not yet at their end
        self.pending = memoryview(stdin or b"")
        self.nap = 0.0002
        self.returncode: int | None = None
        if proc.stdout is not None:
            self._watch(proc.stdout, self.stdout.extend if keep_stdout else output.add)
        if proc.stderr is not None:
            self._watch(proc.stderr, output.add)
        if proc.stdin is not None:
            if self.pending:
                os.set_blocking(proc.stdin.fileno(), False)  # a write must never wait for the child to read
                self.selector.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
            else:
                self._close_stdin()

    def _watch(self, pipe: IO[bytes], sink: Callable[[bytes], object]) -> None:
        self.selector.register(pipe.fileno(), selectors.EVENT_READ, sink)
        self.reading += 1

    def exited(self) -> bool:
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def drained(self) -> bool:
        return self.reading == 0

    def pump(self, timeout: float) -> None:
        """Read and write what the pipes take within `timeout` seconds; without pipes, just wait a little."""
        if not self.selector.get_map():
            # the child is about to exit, or runs on without output: look again soon, then less often
            time.sleep(max(min(timeout, self.nap), 0))
            self.nap = min(self.nap * 2, _POLL_S)
            return
        for key, _events in self.selector.select(max(timeout, 0)):
            if key.data is None:
                self._feed()
            else:
                self._read(key.fd, key.data)

    def _read(self, fd: int, sink: Callable[[bytes], object]) -> None:
        data = os.read(fd, _CHUNK)
        if data:
            sink(data)
        else:
            self.selector.unregister(fd)
            self.reading -= 1

    def _feed(self) -> None:
        assert self.proc.stdin is not None
        try:
            written = os.write(self.proc.stdin.fileno(), self.pending[:_CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:  # the child closed its stdin or exited: what it didn't read is dropped
            written = len(self.pending)
        self.pending = self.pending[written:]
        if not self.pending:
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.proc.stdin is None or self.proc.stdin.closed:
            return
        with contextlib.suppress(KeyError):
            self.selector.unregister(self.proc.stdin.fileno())
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def signal(self, signum: int) -> None:
        try:
            if self.own_group:
                os.killpg(self.proc.pid, signum)
            else:
                os.kill(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):  # all gone; macOS says EPERM for a group of zombies
            pass

    def wait_for_group(self, limit_s: float) -> None:
        """Give members that don't hold a pipe time to die of the SIGKILL, so that none is seen alive later."""
        until, nap = self.clock() + limit_s, 0.001
        while self.clock() < until and group_has_living(self.proc.pid, self.proc_root):
            time.sleep(nap)
            nap = min(nap * 2, 0.02)

    def end(self, grace_s: float) -> None:
        """SIGTERM the group; once it is gone (child exited, pipes closed) or the grace is over, SIGKILL; reap."""
        try:
            self._close_stdin()
            self.signal(signal.SIGTERM)
            until = self.clock() + grace_s
            while not (self.drained() and self.exited()) and (left := until - self.clock()) > 0:
                self.pump(min(left, _POLL_S))
            self.signal(signal.SIGKILL)  # also reaches group members that don't hold a pipe
            until = self.clock() + _DRAIN_S
            while not self.drained() and (left := until - self.clock()) > 0:
                self.pump(left)
            try:
                self.returncode = self.proc.wait(_REAP_S)
            except subprocess.TimeoutExpired:
                self.returncode = None
            if self.own_group:
                self.wait_for_group(_DRAIN_S)
            kill_tagged(self.tag, self.proc_root)  # what left the group: setsid, double forks
        finally:
            self.selector.close()
            for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()


# --- descendants that left the group ---------------------------------------------------------------


def new_tag(prefix: str | None = None) -> str:
    """A tag no other child of any process carries: this pid, a counter, and a random part."""
    import secrets

    return f"{prefix or f'{os.getpid()}.{secrets.token_hex(4)}'}.{next(_tags)}"


def tagged(tag: str, proc_root: Path = Path("/proc")) -> list[int]:
    """The pids whose environment holds `TAG_VARIABLE=tag...` (a run's prefix finds all its children)."""
    needle = f"{TAG_VARIABLE}={tag}".encode()
    found = []
    try:
        entries = list(os.scandir(proc_root))
    except OSError:
        return []
    me = os.getpid()
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(os.path.join(entry.path, "environ"), "rb") as file:
                data = file.read()
        except OSError:
            continue  # gone, or not ours to read (then not ours to kill either)
        index = data.find(needle)
        after = data[index + len(needle):index + len(needle) + 1]
        # Whole variable, and the tag whole or followed by a child's part: tag "7.1" is not "7.10".
        if index >= 0 and (index == 0 or data[index - 1] == 0) and after in (b"", b"\0", b"."):
            found.append(int(entry.name))
    return found


def kill_tagged(tag: str, proc_root: Path = Path("/proc")) -> int:
    """SIGKILL every process carrying `tag` (a prefix matches); how many were signalled."""
    killed = 0
    for pid in tagged(tag, proc_root):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


@contextlib.contextmanager
def outlived_by_nothing(tag: str, proc_root: Path = Path("/proc")) -> Iterator[None]:
    """While the block runs, a forked watcher waits on a pipe only this process holds: when this
    process ends, however it ends (a client's SIGKILL included), the watcher kills every process
    carrying `tag`. Fork it before any thread starts; where fork or /proc is missing, it is a no-op."""
    if not hasattr(os, "fork") or not proc_root.is_dir():
        yield
        return
    read_end, write_end = os.pipe()
    try:
        watcher = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        yield
        return
    if watcher == 0:  # the watcher: no Python cleanup, no return into the caller's code
        try:
            os.close(write_end)
            for fd in (0, 1, 2):  # the client waits for the hook's pipes to close: don't hold them
                with contextlib.suppress(OSError):
                    os.close(fd)
            os.setsid()  # out of the hook's group: a kill of the group must not take the watcher too
            while os.read(read_end, 1):
                pass
            kill_tagged(tag, proc_root)
        finally:
            os._exit(0)
    os.close(read_end)
    try:
        yield
    finally:
        os.close(write_end)  # the watcher wakes, finds nothing left, exits
        with contextlib.suppress(ChildProcessError):
            os.waitpid(watcher, 0)
