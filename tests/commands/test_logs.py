"""`sfp logs`: the last N records, readable or raw; follow mode sees new lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SfpRunner
from helpers import ROOT, clean_env
from sfp.infra.log import write_log


def test_last_n_records(sfp: SfpRunner, claude_dir: Path) -> None:
    for i in range(30):
        write_log(claude_dir, "info", "Stop", f"record {i}", session="abcdef123456", duration_ms=i)
    run = sfp("logs", "-n", "3")
    lines = run.out.splitlines()
    assert len(lines) == 3 and "record 29" in lines[-1] and "[abcdef12]" in lines[-1] and "(29 ms)" in lines[-1]
    raw = sfp("logs", "-n", "1", "--json")
    record = json.loads(raw.out)
    assert record["schema"] == "sfp.log-record/1" and record["message"] == "record 29"
    assert record["session_id"] == "abcdef123456" and record["event"] == "Stop" and record["duration_ms"] == 29
    assert record["created_at"].endswith("Z") and "time" not in record and "session" not in record


def test_a_line_that_is_not_a_record_keeps_the_shape(sfp: SfpRunner, claude_dir: Path) -> None:
    write_log(claude_dir, "info", "Stop", "whole")
    with (claude_dir / "logs" / "sfp.log").open("a") as log:
        log.write("torn {\n")
    first, second = [json.loads(line) for line in sfp("logs", "--json").out.splitlines()]
    assert set(first) == set(second) and second["message"] == "torn {" and second["created_at"] is None


def test_no_log_yet_says_where_it_would_be(sfp: SfpRunner, claude_dir: Path) -> None:
    run = sfp("logs")
    assert run.code == 0 and str(claude_dir / "logs" / "sfp.log") in run.out


def test_follow_prints_records_appended_later(claude_dir: Path) -> None:
    write_log(claude_dir, "info", "SessionStart", "before")
    env = {**clean_env(claude_dir), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sfp", "logs", "-f", "-n", "1"], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None
        assert "before" in proc.stdout.readline()
        time.sleep(0.3)
        write_log(claude_dir, "warning", "Stop", "after")
        assert "after" in proc.stdout.readline()
    finally:
        proc.kill()
        proc.wait()


def test_a_file_where_the_log_folder_should_be_is_an_error_not_no_records(sfp: SfpRunner, claude_dir: Path) -> None:
    (claude_dir / "logs").write_text("not a folder\n")
    for args in (("logs",), ("logs", "--json")):
        run = sfp(*args)
        assert run.code == 1 and run.out == "" and run.err.count("\n") == 1, run
        assert str(claude_dir / "logs") in run.err and "is a file" in run.err and "no log records" not in run.err


def test_a_folder_where_the_log_file_should_be_is_an_error(sfp: SfpRunner, claude_dir: Path) -> None:
    (claude_dir / "logs" / "sfp.log").mkdir(parents=True)
    run = sfp("logs")
    assert run.code == 1 and "is a folder" in run.err and str(claude_dir / "logs" / "sfp.log") in run.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway; the file-for-a-folder test covers it")
def test_an_unreadable_log_folder_is_an_error(sfp: SfpRunner, claude_dir: Path) -> None:
    write_log(claude_dir, "info", "Stop", "hidden")
    (claude_dir / "logs").chmod(0)
    try:
        run = sfp("logs")
    finally:
        (claude_dir / "logs").chmod(0o700)
    assert run.code == 1 and "can't read sfp's log" in run.err and "permissions" in run.err
