"""The health check's five checks and their thresholds, on a fake /proc and real folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import DATA
from sfp.health.checks import (
    DEFAULT_THRESHOLDS, DEGRADED, HEALTHY, UNHEALTHY, check_context_integrity, check_disk_space,
    check_memory_usage, check_python_version, report_as_json, run_health, thresholds_from,
)


def fake_proc(tmp_path: Path, rss_kb: int, available_kb: int, name: str = "claude") -> Path:
    """A /proc where this test's parent process is Claude Code with `rss_kb` resident."""
    root = tmp_path / "proc"
    me = root / str(os.getppid())
    me.mkdir(parents=True)
    (me / "status").write_text(f"Name:\t{name}\nPPid:\t1\nVmRSS:\t{rss_kb} kB\n")
    (me / "cmdline").write_bytes(f"/usr/bin/{name}\0-p\0".encode())
    (root / "meminfo").write_text(f"MemTotal: 16000000 kB\nMemFree: 100 kB\nMemAvailable: {available_kb} kB\n")
    return root


@pytest.mark.parametrize("version, status", [((3, 11, 0), HEALTHY), ((3, 11, 2), HEALTHY), ((3, 13, 1), HEALTHY),
                                             ((3, 10, 12), UNHEALTHY), ((3, 10), UNHEALTHY)])
def test_python_version(version: tuple[int, ...], status: str) -> None:
    assert check_python_version(version).status == status


def test_python_version_says_the_patch_level_found_and_required() -> None:
    # 3.11.0-3.11.4 are supported: the YAML parser avoids their regex bug (tests/config/miniyaml/test_old_pythons.py).
    healthy = check_python_version((3, 11, 2))
    assert healthy.message == "Python 3.11.2" and healthy.details["required"] == ">=3.11.0"
    old = check_python_version((3, 10, 13))
    assert old.message == "Python 3.10.13 is too old; sfp needs 3.11.0 or newer" and old.details["version"] == "3.10.13"
    assert check_python_version().details["version"] == ".".join(map(str, sys.version_info[:3]))


def test_no_context_folder_is_tags_not_set_up_and_healthy(claude_dir: Path) -> None:
    (claude_dir / "CLAUDE.md").write_text("# My memory\n")
    check = check_context_integrity(claude_dir)
    assert check.status == HEALTHY and check.message.startswith("TAGs not set up")
    assert "CLAUDE.md is there" in check.message and check.details["memory_file"] == str(claude_dir / "CLAUDE.md")


def test_context_missing_is_degraded_empty_is_unhealthy_present_is_healthy(claude_dir: Path) -> None:
    context = claude_dir / ".context" / "CLAUDE.md"
    context.parent.mkdir()
    assert check_context_integrity(claude_dir).status == DEGRADED  # the folder is there, its CLAUDE.md lost
    context.write_text("  \n")
    empty = check_context_integrity(claude_dir)
    assert empty.status == UNHEALTHY and "sfp restore --latest" in (empty.fix or "")
    context.write_text("# Identity\nme\n")
    assert check_context_integrity(claude_dir).status == HEALTHY


@pytest.mark.parametrize("rss_mb, available_mb, status", [
    (300, 8000, HEALTHY), (2500, 8000, DEGRADED), (5000, 8000, UNHEALTHY), (300, 500, DEGRADED), (300, 100, UNHEALTHY),
])
def test_memory_thresholds(tmp_path: Path, rss_mb: int, available_mb: int, status: str) -> None:
    check = check_memory_usage(DEFAULT_THRESHOLDS, proc_root=fake_proc(tmp_path, rss_mb * 1024, available_mb * 1024),
                               platform="linux")
    assert check.status == status
    assert check.details["process_rss_mb"] == pytest.approx(rss_mb)
    assert check.details["available_mb"] == pytest.approx(available_mb)


def test_memory_of_a_non_claude_parent_is_not_judged(tmp_path: Path) -> None:
    check = check_memory_usage(DEFAULT_THRESHOLDS, proc_root=fake_proc(tmp_path, 9_000_000, 8_000_000, name="bash"),
                               platform="linux")
    assert check.status == HEALTHY and "process_rss_mb" not in check.details


def test_thresholds_come_from_config() -> None:
    limits = thresholds_from({"disk_free": {"degraded_mb": 10**9}})
    check = check_disk_space(Path("/"), limits)
    assert check.status == DEGRADED and limits["disk_free"]["unhealthy_mb"] == 100


def test_disk_space_measures_the_nearest_existing_folder(tmp_path: Path) -> None:
    check = check_disk_space(tmp_path / "not" / "yet", DEFAULT_THRESHOLDS)
    assert check.details["path"] == str(tmp_path) and check.details["free_mb"] > 0


def test_report_has_the_runbook_shape_and_names(claude_dir: Path) -> None:
    (claude_dir / ".context").mkdir()
    report = report_as_json(run_health(claude_dir))
    assert set(report) == {"schema", "status", "checks"} and report["schema"] == "sfp.health/1" and report["status"] in (HEALTHY, DEGRADED, UNHEALTHY)
    assert [c["name"] for c in report["checks"]] == [
        "python_version", "plugin_integrity", "context_integrity", "memory_usage", "disk_space"]
    for check in report["checks"]:
        assert set(check) == {"name", "status", "message", "details"}
    assert report["status"] == DEGRADED  # the context folder is there, its CLAUDE.md missing


def test_the_recorded_proc_tree_finds_claude_from_the_hook(tmp_path: Path) -> None:
    # The tree recorded from the real client: python3 (4242) -> sh (4200) -> claude (4100).
    from sfp.health.sysinfo import claude_process

    found = claude_process(start_pid=4200, proc_root=DATA / "proc", platform="linux")
    assert found is not None and found.pid == 4100 and found.name == "claude"


def test_cli_exit_code_follows_status(sfp, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    degraded = sfp("health", "--json")
    assert degraded.code == 0 and degraded.json()["status"] == DEGRADED
    context = claude_dir / ".context" / "CLAUDE.md"
    context.parent.mkdir()
    context.write_text("")
    unhealthy = sfp("health")
    assert unhealthy.code == 1 and "FAIL context_integrity" in unhealthy.out and "fix:" in unhealthy.out


def install_entry(claude_dir: Path, command: str) -> None:
    import json

    hooks = {"Stop": [{"hooks": [{"type": "command", "command": command}]}]}
    (claude_dir / "settings.json").write_text(json.dumps({"hooks": hooks}))


def test_not_installed_is_degraded_in_the_cli_but_not_as_a_hook(claude_dir: Path) -> None:
    from sfp.health.checks import check_plugin_integrity

    cli = check_plugin_integrity(claude_dir, None, deep=False, environ={})
    assert cli.status == DEGRADED and "sfp install" in (cli.fix or "")
    assert check_plugin_integrity(claude_dir, None, deep=False, as_hook=True, environ={}).status == HEALTHY
    assert check_plugin_integrity(claude_dir, None, deep=False, environ={"CLAUDE_PLUGIN_ROOT": "/p"}).status == HEALTHY


def test_an_installed_hook_whose_file_is_gone_is_unhealthy(claude_dir: Path, tmp_path: Path) -> None:
    from sfp.health.checks import check_plugin_integrity

    install_entry(claude_dir, f"python3 {tmp_path / 'gone' / 'sfp.pyz'} hook")
    check = check_plugin_integrity(claude_dir, None, deep=False, as_hook=True, environ={})
    assert check.status == UNHEALTHY and "does not exist" in check.message


def test_an_installed_hook_with_an_old_interpreter_is_unhealthy_in_the_cli(claude_dir: Path, tmp_path: Path) -> None:
    from sfp.health.checks import check_plugin_integrity

    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\necho 3.9\n")
    old.chmod(0o755)
    pyz = tmp_path / "sfp.pyz"
    pyz.write_text("")
    install_entry(claude_dir, f"{old} {pyz} hook")
    check = check_plugin_integrity(claude_dir, None, deep=True, environ={})
    assert check.status == UNHEALTHY and "older than 3.11" in check.message
