"""PreCompact under faults: killed at any moment, out of disk space, hostile config. Nothing listed is
ever half there, nothing is written outside the claude dir and the project, no secret is stored."""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import DATA, ROOT, clean_env
from sfp.backup.model import BackupSettings
from sfp.backup.restore import verify_backup
from sfp.backup.store import list_backups
from sfp.handoff.store import list_handoffs, load_handoff

TRANSCRIPT = DATA / "transcripts" / "bb4d8064-6c68-4243-a46f-ce1e3b32b275.jsonl"
SECRET = "ghp_" + "Qz8Lm2Vx" * 5  # sfp: allow-secret


def setup(tmp_path: Path) -> tuple[Path, Path, str]:
    claude, project = tmp_path / "claude", tmp_path / "project"
    (claude / ".context").mkdir(parents=True)
    (claude / ".context" / "CLAUDE.md").write_text("# Identity\nme\n")
    project.mkdir()
    transcript = tmp_path / "t.jsonl"
    planted = {"type": "user", "message": {"role": "user", "content": f"deploy with token {SECRET} please"},
               "timestamp": "2026-01-01T00:00:00Z", "sessionId": "s1", "cwd": str(project)}
    transcript.write_bytes(TRANSCRIPT.read_bytes() + json.dumps(planted).encode() + b"\n")
    payload = json.dumps({"hook_event_name": "PreCompact", "session_id": "s1", "cwd": str(project),
                          "transcript_path": str(transcript), "trigger": "auto"})
    return claude, project, payload


def start_hook(claude: Path, payload: str, limit_bytes: int | None = None) -> subprocess.Popen[bytes]:
    def limits() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    hook = subprocess.Popen([sys.executable, "-m", "sfp", "hook"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**clean_env(claude), "PYTHONPATH": str(ROOT)},
                            preexec_fn=limits)
    assert hook.stdin is not None
    hook.stdin.write(payload.encode())
    hook.stdin.close()
    return hook


def finish(hook: subprocess.Popen[bytes], timeout: float = 60) -> tuple[bytes, bytes]:
    """Its stdout and stderr once it exits (stdin was written and closed at the start)."""
    assert hook.stdout is not None and hook.stderr is not None
    out, err = hook.stdout.read(), hook.stderr.read()
    hook.wait(timeout)
    return out, err


def assert_whole_and_private(claude: Path, tmp_path: Path) -> None:
    """Every listed backup verifies, every listed handoff loads, no secret is stored, nothing leaked out."""
    for backup in list_backups(claude):
        assert verify_backup(claude, backup, BackupSettings()).problems == ()
    for stored in list_handoffs(claude):
        assert load_handoff(stored) is not None and stored.markdown.read_text().startswith("# Handoff")
    for path in claude.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert SECRET.encode() not in path.read_bytes(), f"{path} holds the planted secret"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claude", "project", "t.jsonl"]


@pytest.mark.slow
def test_killed_at_random_moments_it_leaves_whole_backups_and_handoffs_or_none(tmp_path: Path) -> None:
    claude, _, payload = setup(tmp_path)
    chance = random.Random(20261201)
    for _ in range(16):
        hook = start_hook(claude, payload)
        time.sleep(chance.uniform(0.0, 0.35))
        hook.send_signal(signal.SIGKILL)
        hook.wait()
        assert_whole_and_private(claude, tmp_path)
    finished = start_hook(claude, payload)
    finish(finished)
    assert finished.returncode == 0  # and a later compaction still works
    assert_whole_and_private(claude, tmp_path)
    assert list_backups(claude) and list_handoffs(claude)


def test_out_of_disk_space_blocks_the_compaction_with_a_clear_reason_and_leaves_nothing_half(
        tmp_path: Path) -> None:
    claude, _, payload = setup(tmp_path)
    hook = start_hook(claude, payload, limit_bytes=600)  # files bigger than this can't be written
    out, err = finish(hook)
    assert hook.returncode == 2 and out == b""
    assert err.decode().startswith("Backup creation failed - compaction blocked to prevent data loss: ")
    assert b"Traceback" not in err
    assert_whole_and_private(claude, tmp_path)
    assert list_backups(claude) == []


@pytest.mark.parametrize("hostile", [
    "backup:\n  retry_delay_ms: -1\n",  # unknown key in sfp.yaml: a warning, never a crash
    "backup:\n  keep: .inf\n",
    "backup:\n  keep: 100000000000000000000000000000000\n",
    "backup: [1, 2\n",
])
def test_a_hostile_user_config_never_makes_a_failed_backup_pass(tmp_path: Path, hostile: str) -> None:
    claude, _, payload = setup(tmp_path)
    (claude / "sfp").mkdir()
    (claude / "sfp" / "sfp.yaml").write_text(hostile)
    (claude / "backups").write_text("a file in the way")  # so the backup must fail
    hook = start_hook(claude, payload)
    out, err = finish(hook)
    assert hook.returncode == 2 and b"Traceback" not in err, err


@pytest.mark.parametrize("policy", ["retry_delay_ms: -1", "timeout: .inf", "budget_ms: 100000000000000000000",
                                    "timeout: .nan", "max_retries: 1000"])
def test_a_hostile_fallback_policy_is_left_out_and_the_block_stays(tmp_path: Path, policy: str) -> None:
    claude, _, payload = setup(tmp_path)
    (claude / "sfp").mkdir()
    (claude / "sfp" / "fallback.yaml").write_text(f"policies:\n  PreCompact:\n    {policy}\n")
    (claude / "backups").write_text("a file in the way")
    hook = start_hook(claude, payload)
    out, err = finish(hook)
    assert hook.returncode == 2 and b"Traceback" not in err, err
    log = (claude / "logs" / "sfp.log").read_text()
    assert "config layer left out" in log and "fallback.yaml:3:" in log


def test_a_fifo_or_dev_zero_as_config_neither_hangs_nor_exhausts_memory(tmp_path: Path) -> None:
    claude, _, payload = setup(tmp_path)
    (claude / "sfp").mkdir()
    os.mkfifo(claude / "sfp" / "fallback.yaml")
    (claude / "sfp" / "sfp.yaml").symlink_to("/dev/zero")
    hook = start_hook(claude, payload)
    out, err = finish(hook, 30)
    assert hook.returncode == 0 and b"Traceback" not in err
    log = (claude / "logs" / "sfp.log").read_text()
    assert "is not a regular file" in log


def test_a_cwd_with_a_name_over_255_characters_still_gets_its_backup(tmp_path: Path) -> None:
    claude, _, payload = setup(tmp_path)
    long_cwd = str(tmp_path / ("x" * 300) / "project")
    hook = start_hook(claude, payload.replace(json.dumps(str(tmp_path / "project")), json.dumps(long_cwd)))
    out, err = finish(hook)
    assert hook.returncode == 0 and b"Traceback" not in err, err
    assert list_backups(claude) and list_handoffs(claude)
