"""`sfp logs`: the last N records, readable or raw; follow mode sees new lines."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

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
    assert json.loads(raw.out)["message"] == "record 29"


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
