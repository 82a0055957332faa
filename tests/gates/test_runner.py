"""sfp.gates.runner: every status, and nothing a gate starts outlives its run (timeouts, stops, Ctrl-C)."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from helpers import HAS_PROC, alive_with, needs_proc, refusing_sessions
from sfp.gates.runner import (
    NO_SESSION_NOTE,
    GateResult,
    GateSpec,
    RunSettings,
    chunks,
    invocations,
    missing_tools,
    run_gates,
)

QUICK = RunSettings(grace_ms=300)


def group_members(pgid: int) -> list[int]:
    """Pids of living (not zombie) processes in process group `pgid` (Linux)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def gate(name: str, command: str, timeout_ms: int = 5000, **kw: Any) -> GateSpec:
    return GateSpec(name, command, timeout_ms, **kw)


def run(gates: Sequence[GateSpec], settings: RunSettings = QUICK, cwd: Path | None = None,
        **kw: Any) -> list[GateResult]:
    return run_gates(gates, settings, cwd=cwd or Path.cwd(), **kw)


def only(one: GateSpec, settings: RunSettings = QUICK, **kw: Any) -> GateResult:
    return run([one], settings, **kw)[0]


# --- statuses, shell, environment ---------------------------------------------------------------

def test_exit_zero_passes_and_nonzero_fails_with_stdout_and_stderr_in_order() -> None:
    passed, failed = run([gate("ok", "echo out; echo err >&2; echo out2"), gate("bad", "echo nope >&2; exit 3")])
    assert (passed.status, passed.returncode, passed.output, passed.reason) == ("passed", 0, "out\nerr\nout2\n", None)
    assert (failed.status, failed.returncode, failed.output) == ("failed", 3, "nope\n")
    assert failed.truncated is False


def test_commands_as_users_write_them_run_under_sh() -> None:
    multi_line = 'if command -v definitely-not-a-tool-sfp >/dev/null 2>&1; then\n  exit 1\nelse\n  echo "skipped (not installed)"\nfi\n'
    results = run([gate("if", multi_line), gate("or", 'false 2>&1 || echo "fallback"'), gate("pipe", "printf 'a\\nb\\n' | wc -l")])
    assert [r.status for r in results] == ["passed"] * 3
    assert [r.output.strip() for r in results] == ["skipped (not installed)", "fallback", "2"]


def test_result_carries_the_gate_flags_and_fix() -> None:
    result = only(gate("g", "exit 1", required=True, critical=True, fix="make fmt"))
    assert (result.name, result.required, result.critical, result.fix) == ("g", True, True, "make fmt")


def test_stdin_is_dev_null() -> None:
    result = only(gate("reads", "cat; echo end", timeout_ms=2000))
    assert (result.status, result.output) == ("passed", "end\n")


def test_environment_is_environ_plus_gate_env_and_cwd_is_relative_to_the_run(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    environ = {"PATH": os.environ["PATH"], "A": "from-run", "B": "overridden"}
    result = only(gate("env", 'echo "$A $B ${HOME-unset}"; pwd', env={"B": "from-gate"}, cwd=Path("sub")),
                  cwd=tmp_path, environ=environ)
    assert result.output.splitlines() == ["from-run from-gate unset", str((tmp_path / "sub").resolve())]


@needs_proc
def test_each_gate_leads_its_own_session_and_group() -> None:
    result = only(gate("ids", "echo $$ $(cut -d' ' -f5,6 /proc/$$/stat)"))
    pid, pgrp, session = result.output.split()
    assert pid == pgrp == session
    assert int(pgrp) != os.getpgrp()


def test_missing_tool_is_skipped_not_failed_and_never_started(tmp_path: Path) -> None:
    events: list[tuple[str, str]] = []
    result = only(gate("lint", "touch ran", requires=("sh", "no-such-tool-sfp")), cwd=tmp_path,
                  on_event=lambda kind, g, r: events.append((kind, g.name)))
    assert (result.status, result.reason, result.returncode) == ("skipped", "no-such-tool-sfp not installed", None)
    assert result.missing_tool == "no-such-tool-sfp"
    assert not (tmp_path / "ran").exists()
    assert events == [("end", "lint")]


@pytest.mark.parametrize("marks, text", [
    ({"required": True}, "no-such-tool-sfp is not installed; install it or mark the gate `required: false`"),
    ({"critical": True}, "no-such-tool-sfp is not installed; install it or mark the gate `required: false` "
                         "and `critical: false`"),
])
def test_a_missing_tool_fails_a_gate_that_must_run(tmp_path: Path, marks: dict[str, bool], text: str) -> None:
    for one in (gate("lint", "touch ran", requires=("no-such-tool-sfp",), **marks),
                gate("lint", "no-such-tool-sfp check .", **marks)):  # the shell's 127
        result = only(one, cwd=tmp_path)
        assert (result.status, result.reason, result.output, result.missing_tool) == (
            "failed", text, text + "\n", "no-such-tool-sfp")
    assert not (tmp_path / "ran").exists()


# --- the gate's files ---------------------------------------------------------------------------------

HOSTILE = ["plain.py", "with space.py", "it's.py", 'quote".py', "$(touch pwned).py", "`touch pwned2`.py",
           "new\nline.py", "-rf.py", "semi;touch pwned3.py"]


@pytest.mark.parametrize("how", [{"command": "printf '%s\\0' {files} > seen"},
                                 {"command": "printf '%s\\0' > seen", "pass_filenames": True}])
def test_file_names_reach_the_command_whole_and_never_run(tmp_path: Path, how: dict[str, Any]) -> None:
    for name in HOSTILE:
        (tmp_path / name).write_text("")
    command = how.pop("command")
    result = only(gate("names", command, files=tuple(HOSTILE), **how), cwd=tmp_path)
    assert result.status == "passed", result
    seen = (tmp_path / "seen").read_text().split("\0")[:-1]
    assert seen == [("./" + n if n.startswith("-") else n) for n in HOSTILE]
    assert not any((tmp_path / p).exists() for p in ("pwned", "pwned2", "pwned3"))


def test_files_are_relative_to_a_gates_own_folder(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    result = only(gate("g", "echo {files}", cwd=Path("web"), files=("web/a.ts", "b.py")), cwd=tmp_path)
    assert result.output == "a.ts ../b.py\n"


def test_a_gate_that_takes_files_and_has_none_is_skipped() -> None:
    for one in (gate("g", "echo {files}"), gate("g", "echo", pass_filenames=True)):
        assert (only(one).status, only(one).reason) == ("skipped", "no files to check")


def test_many_files_go_in_chunks_under_the_argument_limits(tmp_path: Path) -> None:
    names = tuple(f"{'d' * 200}/{i:05}-{'x' * 100}.py" for i in range(6000))  # 1.9 MB of names
    assert len(invocations("wc {files}", names, False)) > 1
    assert all(len(argv[2].encode()) < 128 * 1024 for argv in invocations("wc {files}", names, False))
    appended = invocations("printf '%s\\n' >> seen", names, True)
    assert len(appended) > 1 and [n for argv in appended for n in argv[4:]] == list(names)
    for how in ({"command": "printf '%s\\n' {files} >> seen"},
                {"command": "printf '%s\\n' >> seen", "pass_filenames": True}):
        (tmp_path / "seen").unlink(missing_ok=True)
        command = str(how.pop("command"))
        result = only(gate("many", command, 20_000, files=names, **how), cwd=tmp_path)
        assert result.status == "passed", result.output
        assert (tmp_path / "seen").read_text().splitlines() == list(names)


def test_chunks_keep_order_and_respect_the_budget() -> None:
    assert chunks(["aa", "bb", "cc"], 22) == [["aa", "bb"], ["cc"]]
    assert chunks(["a" * 50], 10) == [["a" * 50]]  # one item is never split
    assert chunks([], 10) == [[]]


def test_a_builtin_runs_in_process_on_the_gates_files(tmp_path: Path) -> None:
    seen: list[tuple[Path, list[str]]] = []

    def builtin(cwd: Path, files: Sequence[str]) -> tuple[bool, str]:
        seen.append((cwd, list(files)))
        return False, "a.py:1: found\n"

    result = only(gate("mine", "", builtin="mine", files=("a.py",)), cwd=tmp_path, builtins={"mine": builtin})
    assert (result.status, result.returncode, result.output) == ("failed", 1, "a.py:1: found\n")
    assert seen == [(tmp_path, ["a.py"])]
    assert only(gate("x", "", builtin="nope", files=("a.py",))).status == "error"


def test_required_tool_is_looked_up_on_the_gate_path(tmp_path: Path) -> None:
    tool = tmp_path / "bin" / "my-linter"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho linted\n")
    tool.chmod(0o755)
    path = f"{tool.parent}:{os.environ['PATH']}"
    assert missing_tools(["my-linter", "sh"], os.environ["PATH"]) == ["my-linter"]
    result = only(gate("lint", "my-linter", requires=("my-linter",), env={"PATH": path}))
    assert (result.status, result.output) == ("passed", "linted\n")


def test_missing_working_directory_is_an_error(tmp_path: Path) -> None:
    result = only(gate("g", "true", cwd=Path("gone")), cwd=tmp_path)
    assert result.status == "error"
    assert result.reason is not None and str(tmp_path / "gone") in result.reason and "does not exist" in result.reason


def test_an_unstartable_shell_or_environment_is_an_error() -> None:
    def no_shell(argv: Sequence[str], cwd: Path, env: Mapping[str, str], new_session: bool) -> subprocess.Popen[bytes]:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/bin/sh")

    missing = only(gate("g", "true"), spawn=no_shell)
    assert missing.status == "error" and missing.reason is not None and "/bin/sh" in missing.reason
    bad_env = only(gate("g", "true", env={"X": "a\0b"}))
    assert bad_env.status == "error" and bad_env.reason is not None and "could not start" in bad_env.reason


# --- time limits and killing the whole group ----------------------------------------------------

def test_timeout_kills_the_grandchildren_too(marker: str) -> None:
    started = time.monotonic()
    result = only(gate("slow", f"echo $$; sleep {marker} & sleep {marker}; wait", timeout_ms=1000), RunSettings())
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and result.reason == "timed out after 1000 ms"
    assert elapsed < 2.0
    assert 1000 <= result.duration_ms <= 1300  # within 10 % + 200 ms of the limit
    assert alive_with(marker) == []
    if HAS_PROC:
        assert group_members(int(result.output.split()[0])) == []


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(marker: str) -> None:
    started = time.monotonic()
    result = only(gate("stubborn", f"trap '' TERM; sleep {marker}", timeout_ms=300), RunSettings(grace_ms=300))
    assert result.status == "timeout"
    assert 0.6 <= time.monotonic() - started < 1.5  # SIGTERM was ignored; SIGKILL came after the grace
    assert alive_with(marker) == []


def test_a_grandchild_ignoring_sigterm_is_killed_after_the_grace(marker: str) -> None:
    result = only(gate("stubborn", f"(trap '' TERM; sleep {marker}) & wait", timeout_ms=300), RunSettings(grace_ms=300))
    assert result.status == "timeout"
    assert alive_with(marker) == []


def test_background_grandchild_holding_the_pipe_does_not_hang_the_gate(marker: str) -> None:
    started = time.monotonic()
    holds, detached = run([gate("bg", f"sleep {marker} & echo done"),
                           gate("bg-quiet", f"sleep {marker} >/dev/null 2>&1 & echo done")], RunSettings())
    assert time.monotonic() - started < 1.0
    assert (holds.status, holds.returncode, holds.output) == ("passed", 0, "done\n")
    assert (detached.status, detached.output) == ("passed", "done\n")
    assert alive_with(marker) == []


def test_global_timeout_stops_the_running_and_skips_the_rest(marker: str) -> None:
    gates = [gate("a", f"sleep {marker}", timeout_ms=10_000), gate("b", f"sleep {marker}", timeout_ms=10_000)]
    started = time.monotonic()
    first, second = run(gates, RunSettings(parallel=False, timeout_ms=400, grace_ms=300))
    assert time.monotonic() - started < 1.5
    assert (first.status, first.reason) == ("timeout", "global timeout (400 ms) reached")
    assert second.status == "skipped" and second.reason is not None and second.reason.startswith("global timeout")
    assert alive_with(marker) == []


def test_the_gate_limit_applies_when_it_is_shorter_than_the_global_one(marker: str) -> None:
    result = only(gate("a", f"sleep {marker}", timeout_ms=200), RunSettings(timeout_ms=5000, grace_ms=300))
    assert (result.status, result.reason) == ("timeout", "timed out after 200 ms")
    assert result.cut_by_run_limit is False


def test_only_gates_the_run_limit_stopped_or_never_started_are_cut_by_it(marker: str) -> None:
    gates = [gate("quick", "true"), gate("own-limit", f"sleep {marker}", timeout_ms=100),
             gate("cut", f"sleep {marker}", timeout_ms=10_000), gate("never", "true")]
    results = run(gates, RunSettings(parallel=False, timeout_ms=600, grace_ms=300))
    assert [(r.status, r.cut_by_run_limit) for r in results] == [
        ("passed", False), ("timeout", False), ("timeout", True), ("skipped", True)]
    cancelled = threading.Event()
    cancelled.set()
    assert [r.cut_by_run_limit for r in run(gates[:1], RunSettings(timeout_ms=600), cancel=cancelled)] == [False]


# --- fail_fast, cancel, Ctrl-C ------------------------------------------------------------------

def test_fail_fast_skips_what_follows_a_required_failure(tmp_path: Path) -> None:
    gates = [gate("must", "exit 1", required=True), gate("next", "touch ran")]
    failed, skipped = run(gates, RunSettings(parallel=False, fail_fast=True), cwd=tmp_path)
    assert failed.status == "failed"
    assert skipped.status == "skipped" and skipped.reason == "fail_fast: gate 'must' did not pass (failed)"
    assert not (tmp_path / "ran").exists()


def test_fail_fast_ignores_failures_of_optional_gates() -> None:
    results = run([gate("optional", "exit 1"), gate("next", "true")], RunSettings(parallel=False, fail_fast=True))
    assert [r.status for r in results] == ["failed", "passed"]


def test_fail_fast_kills_gates_running_in_parallel(marker: str) -> None:
    gates = [gate("long", f"sleep {marker}", timeout_ms=10_000), gate("crit", "sleep 0.2; exit 2", critical=True)]
    started = time.monotonic()
    long, crit = run(gates, RunSettings(max_workers=2, fail_fast=True, grace_ms=300))
    assert time.monotonic() - started < 1.5
    assert crit.status == "failed"
    assert (long.status, long.returncode) == ("skipped", None)
    assert long.reason == "fail_fast: gate 'crit' did not pass (failed)"
    assert alive_with(marker) == []


def test_cancel_stops_running_gates_and_skips_the_rest(marker: str) -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        started = time.monotonic()
        results = run([gate(n, f"sleep {marker}", timeout_ms=10_000) for n in "abc"], RunSettings(max_workers=2),
                      cancel=cancel)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 1.5
    assert [(r.status, r.reason) for r in results] == [("skipped", "cancelled")] * 3
    assert alive_with(marker) == []


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "parallel"])
def test_ctrl_c_kills_every_running_gate_before_propagating(marker: str, parallel: bool) -> None:
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    gates = [gate(n, f"sleep {marker}", timeout_ms=10_000) for n in "ab"]
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job inherits SIGINT ignored
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run(gates, RunSettings(parallel=parallel, max_workers=2, grace_ms=300))
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert alive_with(marker) == []


def test_an_error_in_on_event_stops_the_other_gates(marker: str) -> None:
    def explode(kind: str, g: GateSpec, result: GateResult | None) -> None:
        if kind == "start" and g.name == "b":
            time.sleep(0.1)
            raise RuntimeError("display broke")

    gates = [gate("a", f"sleep {marker}", timeout_ms=10_000), gate("b", "true")]
    with pytest.raises(RuntimeError, match="display broke"):
        run(gates, RunSettings(max_workers=2, grace_ms=300), on_event=explode)
    assert alive_with(marker) == []


# --- no new session allowed ----------------------------------------------------------------------

def test_without_a_new_session_the_gate_runs_plainly_and_says_so(marker: str) -> None:
    calls: list[bool] = []
    spawn = refusing_sessions(calls, PermissionError(errno.EPERM, "Operation not permitted"))
    gates = [gate("ok", "echo hi"), gate("slow", f"exec sleep {marker}", timeout_ms=200)]
    passed, timed_out = run(gates, RunSettings(parallel=False, grace_ms=300), spawn=spawn)
    assert (passed.status, passed.output, passed.reason) == ("passed", "hi\n", NO_SESSION_NOTE)
    assert timed_out.status == "timeout" and timed_out.reason == f"timed out after 200 ms; {NO_SESSION_NOTE}"
    assert calls == [True, False, False]  # refused once, not asked again
    assert alive_with(marker) == []


def test_a_permission_error_on_the_shell_itself_is_an_error_not_a_fallback() -> None:
    calls: list[bool] = []
    spawn = refusing_sessions(calls, PermissionError(errno.EACCES, "Permission denied", "/bin/sh"))
    result = only(gate("g", "true"), spawn=spawn)
    assert result.status == "error" and result.reason is not None and "Permission denied" in result.reason
    assert calls == [True]


# --- output --------------------------------------------------------------------------------------

def test_long_output_keeps_head_and_tail_and_counts_the_cut() -> None:
    result = only(gate("seq", "seq 1 20000"), RunSettings(output_cap_bytes=1000))
    assert result.status == "passed" and result.truncated
    assert result.output.startswith("1\n2\n3\n") and result.output.endswith("19999\n20000\n")
    found = re.search(r"\n… \[(\d+) bytes cut\] …\n", result.output)
    assert found is not None
    total = len("".join(f"{n}\n" for n in range(1, 20001)))
    kept = len(result.output.encode()) - len(found.group(0).encode()) + 1  # the marker line's leading \n is kept text
    assert int(found.group(1)) + kept == total
    assert kept <= 1000


def test_a_flood_of_output_neither_deadlocks_nor_grows_the_result() -> None:
    result = only(gate("flood", "head -c 5000000 /dev/zero | tr '\\0' a; echo; echo last"))
    assert result.status == "passed" and result.truncated
    assert len(result.output) < 70 * 1024 and result.output.endswith("last\n")


def test_output_is_redacted_before_it_is_kept() -> None:
    seen: list[str] = []

    def redact(text: str) -> str:
        seen.append(text)
        return text.replace("hunter2-sfp", "***")

    result = only(gate("leak", "echo password=hunter2-sfp; exit 1"), redact=redact)
    assert result.output == "password=***\n"
    assert seen == ["password=hunter2-sfp\n"]


# --- parallelism, order, events ------------------------------------------------------------------

def test_gates_run_in_parallel_and_results_keep_the_order_of_the_gates() -> None:
    gates = [gate(f"g{i}", f"sleep {0.6 - i * 0.15:.2f}; echo {i}") for i in range(4)]
    started = time.monotonic()
    results = run(gates, RunSettings(max_workers=4))
    assert time.monotonic() - started < 1.8  # one after another would take 1.5 s plus the four starts
    assert [(r.name, r.output) for r in results] == [(f"g{i}", f"{i}\n") for i in range(4)]


def test_four_sleeps_of_a_second_overlap() -> None:
    started = time.monotonic()
    results = run([gate(f"g{i}", "sleep 1") for i in range(4)], RunSettings(max_workers=4))
    assert time.monotonic() - started < 3.0
    assert {r.status for r in results} == {"passed"}


def test_not_parallel_runs_one_after_another() -> None:
    events: list[tuple[str, str]] = []
    run([gate(n, "sleep 0.05") for n in "abc"], RunSettings(parallel=False),
        on_event=lambda kind, g, r: events.append((kind, g.name)))
    assert events == [("start", "a"), ("end", "a"), ("start", "b"), ("end", "b"), ("start", "c"), ("end", "c")]


def test_on_event_gets_start_then_end_with_the_result_one_call_at_a_time() -> None:
    busy = threading.Lock()
    overlaps: list[str] = []
    events: list[tuple[str, str, GateResult | None]] = []

    def on_event(kind: str, g: GateSpec, result: GateResult | None) -> None:
        if not busy.acquire(blocking=False):
            overlaps.append(g.name)
            return
        try:
            events.append((kind, g.name, result))
            time.sleep(0.01)
        finally:
            busy.release()

    gates = [gate(f"g{i}", "true") for i in range(6)] + [gate("skip", "true", requires=("no-such-tool-sfp",))]
    results = run(gates, RunSettings(max_workers=6), on_event=on_event)
    assert overlaps == []
    for g, result in zip(gates, results):
        mine = [(kind, r) for kind, name, r in events if name == g.name]
        expected = [("end", result)] if g.name == "skip" else [("start", None), ("end", result)]
        assert mine == expected
        assert mine[-1][1] is result


def test_no_gates_no_results() -> None:
    assert run([]) == []
