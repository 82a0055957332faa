"""Processes that leave their group (setsid, double forks) are ended too; so are a killed hook's gates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from helpers import ROOT
from sfp.infra import proc

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")

ESCAPES = textwrap.dedent("""\
    import os, sys, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            open(sys.argv[1], "w").write(str(os.getpid()))
            time.sleep(300)
        os._exit(0)
    time.sleep(300)
""")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def wait_for(path: Path, seconds: float = 10) -> int:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def gone(pid: int, seconds: float = 5) -> bool:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_a_child_that_setsids_and_double_forks_is_killed_when_its_run_ends(tmp_path: Path) -> None:
    script, pidfile = tmp_path / "escape.py", tmp_path / "pid"
    script.write_text(ESCAPES)
    done = proc.run([sys.executable, str(script), str(pidfile)], timeout_s=1.0, grace_s=0.1)
    escaped = wait_for(pidfile)
    assert done.timed_out and gone(escaped)


def test_a_tag_is_matched_whole_so_one_run_never_kills_anothers(tmp_path: Path) -> None:
    tag = f"test.{uuid.uuid4().hex}"
    sleepers = [subprocess.Popen(["sleep", "30"], env={**os.environ, proc.TAG_VARIABLE: t})
                for t in (f"{tag}.1", f"{tag}.10", f"{tag}.1.2")]
    try:
        assert sorted(proc.tagged(f"{tag}.1")) == sorted([sleepers[0].pid, sleepers[2].pid])
        assert proc.tagged(f"{tag}.10") == [sleepers[1].pid]
        assert proc.kill_tagged(tag) == 3
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()


HOOK = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from sfp.gates.runner import GateSpec, RunSettings, run_gates
    gate = GateSpec("hang", f"{sys.executable} {sys.argv[1]} {sys.argv[2]}", 60_000)
    run_gates([gate], RunSettings(), cwd=Path(sys.argv[3]))
""")


def test_gates_die_with_a_hook_the_client_kills(tmp_path: Path) -> None:
    script, pidfile, hook = tmp_path / "escape.py", tmp_path / "pid", tmp_path / "hook.py"
    script.write_text(ESCAPES)
    hook.write_text(HOOK)
    runner = subprocess.Popen([sys.executable, str(hook), str(script), str(pidfile), str(tmp_path)],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        escaped = wait_for(pidfile)
        os.killpg(runner.pid, signal.SIGKILL)  # as a client ending a hook that ran too long
        runner.wait()
        assert gone(escaped), "the gate's escaped grandchild outlived the killed hook"
    finally:
        with pytest.raises(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
