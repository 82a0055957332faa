"""sfp.infra.proc: a child and all it starts end within their bounds, and its pipes never deadlock."""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from helpers import HAS_PROC, alive_with, needs_proc, refusing_sessions
from sfp.infra import proc
from sfp.infra.proc import CappedOutput, Completed, group_has_living


class Stat(NamedTuple):
    state: str
    ppid: int
    pgrp: int


def stat_of(pid: int) -> Stat | None:
    """A process's state, parent and group from /proc; None once it is gone (reaped)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return Stat(fields[0], int(fields[1]), int(fields[2]))


def sh(script: str, **kw: Any) -> Completed:
    return proc.run(["/bin/sh", "-c", script], **kw)


def timed(script: str, **kw: Any) -> tuple[Completed, float]:
    started = time.monotonic()
    done = sh(script, **kw)
    return done, time.monotonic() - started


# --- exit status and output ----------------------------------------------------------------------

def test_a_child_that_exits_by_itself_gives_its_status_and_output_in_order() -> None:
    done = sh("echo out; echo err >&2; exit 3")
    assert done == Completed(3, "out\nerr\n", False, False, None, True)


@needs_proc
def test_the_child_leads_a_group_of_its_own() -> None:
    done = sh("echo $$ $(cut -d' ' -f5 /proc/$$/stat)")
    pid, pgid = done.output.split()
    assert pid == pgid and int(pgid) != os.getpgrp()


def test_a_program_that_does_not_exist_raises() -> None:
    with pytest.raises(FileNotFoundError):
        proc.run(["/no/such/program-sfp"])


# --- time limits and the whole group -------------------------------------------------------------

@needs_proc
def test_timeout_returns_promptly_and_leaves_no_zombie(marker: str) -> None:
    done, elapsed = timed(f"echo $$; exec sleep {marker}", timeout_s=0.2, grace_s=2)
    assert (done.timed_out, done.returncode, done.stopped) == (True, None, None)
    assert 0.2 <= elapsed < 0.5  # the sleep dies of SIGTERM: the grace isn't waited out
    assert stat_of(int(done.output)) is None  # reaped, not a zombie


@needs_proc
def test_a_child_ignoring_sigterm_is_killed_after_the_grace(marker: str) -> None:
    done, elapsed = timed(f"trap '' TERM; sleep {marker}", timeout_s=0.1, grace_s=0.3)
    assert done.timed_out
    assert 0.4 <= elapsed < 0.9
    assert alive_with(marker) == []


def test_sigterm_comes_first_so_the_child_can_clean_up(marker: str) -> None:
    done = sh(f"trap 'echo cleaned up; exit 0' TERM; sleep {marker} & wait", timeout_s=0.2, grace_s=2)
    assert done.timed_out and done.output == "cleaned up\n"


@needs_proc
@pytest.mark.parametrize("redirect", ["", ">/dev/null 2>&1"], ids=["holding-the-pipe", "detached-from-it"])
def test_a_grandchild_left_in_the_background_is_killed(marker: str, redirect: str) -> None:
    done, elapsed = timed(f"sleep {marker} {redirect} & echo $!", timeout_s=10)
    assert (done.returncode, done.timed_out) == (0, False)
    assert elapsed < 0.5  # not held until the timeout by the pipe the grandchild keeps open
    grandchild = stat_of(int(done.output))
    assert grandchild is None or grandchild.state in ("Z", "X")  # orphaned: init reaps it
    assert alive_with(marker) == []


@needs_proc
def test_no_member_of_the_group_is_left_alive_or_unreaped(marker: str) -> None:
    done = sh(f"echo $$; (trap '' TERM; sleep {marker}) & (trap '' TERM; sleep {marker}) & wait",
              timeout_s=0.1, grace_s=0.1)
    leader = int(done.output)
    assert stat_of(leader) is None
    assert not group_has_living(leader)
    assert alive_with(marker) == []


def test_should_stop_ends_the_child_with_its_reason(marker: str) -> None:
    stop_at = time.monotonic() + 0.1
    done, elapsed = timed(f"sleep {marker}", timeout_s=10,
                          should_stop=lambda: "enough" if time.monotonic() >= stop_at else None)
    assert (done.stopped, done.timed_out, done.returncode) == ("enough", False, None)
    assert elapsed < 0.4


def test_the_deadline_is_read_on_the_given_clock(marker: str) -> None:
    ticks = iter(range(0, 10**6, 100))  # each look at this clock is 100 s later
    started = time.monotonic()
    done = proc.run(["sleep", marker], timeout_s=150, clock=lambda: float(next(ticks)))
    assert done.timed_out and time.monotonic() - started < 0.5


def test_an_exception_while_waiting_kills_the_group_with_the_interrupted_grace(marker: str) -> None:
    stop_at = time.monotonic() + 0.1

    def interrupt() -> str | None:
        if time.monotonic() >= stop_at:
            raise KeyboardInterrupt
        return None

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        sh(f"trap '' TERM; sleep {marker}", timeout_s=10, grace_s=5, interrupted_grace_s=0, should_stop=interrupt)
    assert time.monotonic() - started < 0.8
    if HAS_PROC:
        assert alive_with(marker) == []


# --- stdin ----------------------------------------------------------------------------------------

def test_stdin_is_delivered_and_stdout_can_be_kept_apart_from_stderr() -> None:
    done = sh("cat; echo err >&2", stdin=b"hello\n", keep_stdout=True)
    assert (done.returncode, done.stdout, done.output) == (0, b"hello\n", "err\n")


def test_without_stdin_the_child_reads_dev_null() -> None:
    done = sh("cat; echo end", timeout_s=2)
    assert (done.timed_out, done.output) == (False, "end\n")


def test_a_large_stdin_and_stdout_at_once_do_not_deadlock() -> None:
    data = os.urandom(3 * 1024 * 1024)  # far more than a pipe holds, both ways
    results: list[Completed] = []
    worker = threading.Thread(target=lambda: results.append(proc.run(["cat"], stdin=data, keep_stdout=True,
                                                                     timeout_s=10)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "deadlocked"
    [done] = results
    assert (done.returncode, done.timed_out) == (0, False) and done.stdout == data


def test_a_child_that_reads_no_stdin_is_no_error() -> None:
    done = sh("echo ignored it", stdin=b"x" * (1024 * 1024), timeout_s=5)
    assert (done.returncode, done.output) == (0, "ignored it\n")


# --- output cap -----------------------------------------------------------------------------------

def test_long_output_keeps_head_and_tail() -> None:
    done = sh("seq 1 20000", output_cap=1000)
    assert done.truncated and done.returncode == 0
    assert done.output.startswith("1\n2\n3\n") and done.output.endswith("19999\n20000\n")
    assert "bytes cut] …\n" in done.output and len(done.output.encode()) < 1100


def test_capped_output_under_the_cap_is_exact_and_invalid_utf8_is_replaced() -> None:
    out = CappedOutput(10)
    out.add(b"12345")
    out.add(b"\xff6789")
    assert out.text() == ("12345\ufffd6789", False)


def test_capped_output_never_tears_a_character_at_the_cut() -> None:
    out = CappedOutput(11)
    out.add("é".encode() * 100)
    text, truncated = out.text()
    assert truncated and "\ufffd" not in text
    assert text.startswith("éé") and text.endswith("éé")


def test_capped_output_memory_stays_bounded() -> None:
    out = CappedOutput(1000)
    for _ in range(2000):
        out.add(b"x" * 4096)
    assert len(out.head) + len(out.tail) <= 2 * 1000 + 4096
    assert out.total == 2000 * 4096


# --- no new session allowed -----------------------------------------------------------------------

@pytest.mark.parametrize("filename", [None, "cwd"], ids=["unnamed", "named-after-the-cwd-as-popen-does"])
def test_a_refused_session_falls_back_to_a_plain_child_and_says_so(tmp_path: Path, filename: str | None) -> None:
    calls: list[bool] = []
    error = PermissionError(errno.EPERM, "Operation not permitted", str(tmp_path) if filename else None)
    done = sh("echo hi", cwd=tmp_path, spawn=refusing_sessions(calls, error))
    assert (done.returncode, done.output, done.own_group) == (0, "hi\n", False)
    assert calls == [True, False]


def test_a_permission_error_on_the_program_itself_is_raised_not_a_fallback() -> None:
    calls: list[bool] = []
    error = PermissionError(errno.EACCES, "Permission denied", "/bin/sh")
    with pytest.raises(PermissionError):
        sh("true", spawn=refusing_sessions(calls, error))
    assert calls == [True]


def test_without_a_session_a_timeout_still_kills_the_child(marker: str) -> None:
    calls: list[bool] = []
    done, elapsed = timed(f"exec sleep {marker}", timeout_s=0.1, new_session=False,
                          spawn=refusing_sessions(calls, PermissionError(errno.EPERM, "refused")))
    assert (done.timed_out, done.own_group, calls) == (True, False, [False])
    assert elapsed < 0.5
    if HAS_PROC:
        assert alive_with(marker) == []


# --- group_has_living -----------------------------------------------------------------------------

@needs_proc
def test_a_group_of_zombies_counts_as_gone(tmp_path: Path, marker: str) -> None:
    leader = subprocess.Popen(["/bin/sh", "-c", f"exec sleep {marker}"], start_new_session=True)
    try:
        def fake_proc(state: str) -> Path:
            root = tmp_path / state
            (root / "4242").mkdir(parents=True)
            (root / "4242" / "stat").write_text(f"4242 (a (weird) name) {state} 1 {leader.pid} {leader.pid} 0 -1\n")
            (root / "self").mkdir()
            return root

        assert group_has_living(leader.pid, fake_proc("S")) is True
        assert group_has_living(leader.pid, fake_proc("Z")) is False
        assert group_has_living(leader.pid, tmp_path / "no-proc") is True
    finally:
        leader.kill()
        leader.wait()
    assert group_has_living(leader.pid) is False
