"""The installed hook command never blocks for a broken sfp; diagnose_install tells every route apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import clean_env
from sfp.claude import settings as cc
from sfp.health.installed import BROKEN, OK, WARN, diagnose_install, expected_timeouts

PRECOMPACT = {"hook_event_name": "PreCompact", "session_id": "s", "trigger": "manual", "custom_instructions": None}


def run_hook(command: str, tmp_path: Path, claude_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    payload = json.dumps({**PRECOMPACT, "cwd": str(tmp_path), "transcript_path": str(tmp_path / "none.jsonl")})
    return subprocess.run(["/bin/sh", "-c", command], input=payload, capture_output=True, text=True, timeout=60,
                          env={**clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv")), **env})


def skipped(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, (done.returncode, done.stderr)
    message = json.loads(done.stdout)["systemMessage"]
    assert isinstance(message, str) and "sfp hook skipped" in message and "\n" not in message
    return message


def test_a_moved_sfp_is_a_message_not_a_block(tmp_path: Path, claude_dir: Path) -> None:
    unguarded = run_hook(f"{sys.executable} {tmp_path / 'moved' / 'sfp.pyz'} hook", tmp_path, claude_dir)
    assert unguarded.returncode == 2  # what the old command did: every prompt refused
    message = skipped(run_hook(cc.hook_command(sys.executable, str(tmp_path / "moved" / "sfp.pyz")), tmp_path, claude_dir))
    assert "No such file" in message and "sfp.pyz install" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_sfp_is_a_message(tmp_path: Path, claude_dir: Path, built: dict[str, Path]) -> None:
    pyz = tmp_path / "sfp.pyz"
    pyz.write_bytes(built["shiv"].read_bytes())
    pyz.chmod(0)
    assert "Permission denied" in skipped(run_hook(cc.hook_command(sys.executable, str(pyz)), tmp_path, claude_dir))


@pytest.mark.parametrize("content", [b"", b"not a zip at all\n", b"#!/usr/bin/env python3\nraise SystemExit(2)\n"])
def test_a_damaged_sfp_is_a_message(tmp_path: Path, claude_dir: Path, content: bytes) -> None:
    pyz = tmp_path / "sfp.pyz"
    pyz.write_bytes(content)
    assert "not a zipapp" in skipped(run_hook(cc.hook_command(sys.executable, str(pyz)), tmp_path, claude_dir))


def test_a_truncated_sfp_never_blocks(tmp_path: Path, claude_dir: Path, built: dict[str, Path]) -> None:
    pyz = tmp_path / "sfp.pyz"
    pyz.write_bytes(built["shiv"].read_bytes()[:-5000])  # the zip's directory cut off
    done = run_hook(cc.hook_command(sys.executable, str(pyz)), tmp_path, claude_dir)
    assert done.returncode in (0, 1)


def test_a_zipapp_broken_inside_is_one_line_and_exit_1(tmp_path: Path, claude_dir: Path) -> None:
    import zipfile

    pyz = tmp_path / "sfp.pyz"
    with zipfile.ZipFile(pyz, "w") as archive:
        archive.writestr("__main__.py", "import a_module_that_is_not_there\n")
    done = run_hook(cc.hook_command(sys.executable, str(pyz)), tmp_path, claude_dir)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "put a fresh sfp.pyz there" in done.stderr


def test_an_old_python_is_a_message(tmp_path: Path, claude_dir: Path, built: dict[str, Path]) -> None:
    # The guard's own test, made to see 3.9 (no Python that old needs to be installed).
    guard = cc.GUARD.replace("sys.version_info<(3,11)", "(3,9)<(3,11)")
    command = cc.hook_command(sys.executable, str(built["shiv"])).replace(cc.GUARD, guard)
    message = skipped(run_hook(command, tmp_path, claude_dir))
    assert "needs Python 3.11" in message and "install" in message


def test_sfp_s_own_block_still_gets_through(tmp_path: Path, claude_dir: Path, built: dict[str, Path]) -> None:
    (claude_dir / "backups").write_text("a file where the backups folder should be")
    done = run_hook(cc.hook_command(sys.executable, str(built["shiv"])), tmp_path, claude_dir)
    assert done.returncode == 2 and "compaction blocked" in done.stderr


def test_a_bare_name_is_found_on_path(tmp_path: Path, claude_dir: Path, built: dict[str, Path]) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sfp.pyz").write_bytes(built["shiv"].read_bytes())
    done = run_hook(cc.hook_command(sys.executable, "sfp.pyz"), tmp_path, claude_dir,
                    PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert done.returncode == 0 and "skipped" not in done.stdout, done.stdout + done.stderr


def test_the_hook_runs_isolated_from_pythonpath(tmp_path: Path, claude_dir: Path, built: dict[str, Path]) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "json.py").write_text("raise SystemExit(2)\n")  # a module that would shadow the stdlib
    done = run_hook(cc.hook_command(sys.executable, str(built["shiv"])), tmp_path, claude_dir, PYTHONPATH=str(evil))
    assert done.returncode == 0, done.stderr


def test_command_parts_reads_old_and_new_commands() -> None:
    assert cc.command_parts("/usr/bin/python3 /x/sfp.pyz hook") == cc.CommandParts("/usr/bin/python3", "/x/sfp.pyz", False)
    assert cc.command_parts(cc.hook_command("py", "/a b/sfp.pyz")) == cc.CommandParts("py", "/a b/sfp.pyz", True)
    plugin = cc.hook_command("py", '"${CLAUDE_PLUGIN_ROOT}/sfp.pyz"', pyz_is_shell=True)
    assert cc.command_parts(plugin) == cc.CommandParts("py", "${CLAUDE_PLUGIN_ROOT}/sfp.pyz", True)
    assert cc.is_sfp_command(plugin) and "'" not in cc.GUARD


# ------------------------------------------------------------------------------------------------
# Routes


def write(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def settings_hooks(command: str, timeout: int = 10) -> dict[str, object]:
    return cc.with_sfp_hooks({}, cc.hook_entries(command, {e: timeout for e in cc.EVENTS}))


def marketplace(claude_dir: Path, tmp_path: Path, built: dict[str, Path], name: str = "local") -> Path:
    """What `claude plugin marketplace add` + `install` leave behind (observed on 2.1.197 and 2.1.332)."""
    root = claude_dir / "plugins" / "cache" / name / "sfp" / "0.1.0"
    (root / "hooks").mkdir(parents=True)
    (root / "sfp.pyz").write_bytes(built["shiv"].read_bytes())
    command = cc.hook_command(sys.executable, '"${CLAUDE_PLUGIN_ROOT}/sfp.pyz"', pyz_is_shell=True)
    write(root / "hooks" / "hooks.json", settings_hooks(command))
    write(claude_dir / "plugins" / "known_marketplaces.json",
          {name: {"source": {"source": "directory", "path": str(tmp_path / "m")}, "installLocation": str(tmp_path / "m")}})
    write(claude_dir / "plugins" / "installed_plugins.json",
          {"version": 2, "plugins": {f"sfp@{name}": [{"scope": "user", "installPath": str(root)}]}})
    return root


def test_settings_route(claude_dir: Path, built: dict[str, Path]) -> None:
    write(claude_dir / "settings.json", settings_hooks(cc.hook_command(sys.executable, str(built["shiv"]))))
    found = diagnose_install(claude_dir, None, environ={})
    assert [r.kind for r in found.routes] == ["settings"] and found.findings == []


def test_an_unguarded_command_is_a_warning(claude_dir: Path, built: dict[str, Path]) -> None:
    write(claude_dir / "settings.json", settings_hooks(f"{sys.executable} {built['shiv']} hook"))
    [finding] = diagnose_install(claude_dir, None, environ={}).findings
    assert finding.status == WARN and "unguarded" in finding.title and "sfp.pyz install" in finding.fix


def test_a_marketplace_plugin(claude_dir: Path, tmp_path: Path, built: dict[str, Path]) -> None:
    root = marketplace(claude_dir, tmp_path, built)
    write(claude_dir / "settings.json", {"enabledPlugins": {"sfp@local": True}})
    found = diagnose_install(claude_dir, None, environ={})
    assert [(r.kind, r.where) for r in found.routes] == [("marketplace", "sfp@local")] and found.findings == []
    # Running as that plugin's hook is the same route, not a second one.
    assert len(diagnose_install(claude_dir, None, environ={"CLAUDE_PLUGIN_ROOT": str(root)}).routes) == 1
    (root / "sfp.pyz").unlink()
    assert [f.status for f in diagnose_install(claude_dir, None, environ={}).findings] == [BROKEN]


def test_an_enabled_plugin_of_no_known_marketplace_is_broken(claude_dir: Path) -> None:
    write(claude_dir / "settings.json", {"enabledPlugins": {"sfp@local": True}})
    found = diagnose_install(claude_dir, None, environ={})
    [finding] = found.findings
    assert found.routes == [] and finding.status == BROKEN and "no marketplace `local` is known" in finding.title
    assert "--marketplace local" in finding.fix


def test_enabled_but_not_installed_is_broken(claude_dir: Path, tmp_path: Path, built: dict[str, Path]) -> None:
    marketplace(claude_dir, tmp_path, built)
    write(claude_dir / "plugins" / "installed_plugins.json", {"version": 2, "plugins": {}})
    write(claude_dir / "settings.json", {"enabledPlugins": {"sfp@local": True}})
    [finding] = diagnose_install(claude_dir, None, environ={}).findings
    assert finding.status == BROKEN and finding.fix == "claude plugin install sfp@local"


def test_a_disabled_plugin_is_no_route(claude_dir: Path, tmp_path: Path, built: dict[str, Path], project: Path) -> None:
    marketplace(claude_dir, tmp_path, built)
    write(claude_dir / "settings.json", {"enabledPlugins": {"sfp@local": True}})
    write(project / ".claude" / "settings.local.json", {"enabledPlugins": {"sfp@local": False}})
    assert diagnose_install(claude_dir, project, environ={}).routes == []


def test_plugin_dir_route(claude_dir: Path, tmp_path: Path, built: dict[str, Path]) -> None:
    folder = tmp_path / "plug"
    (folder / "hooks").mkdir(parents=True)
    (folder / "sfp.pyz").write_bytes(built["shiv"].read_bytes())
    write(folder / "hooks" / "hooks.json",
          settings_hooks(cc.hook_command(sys.executable, '"${CLAUDE_PLUGIN_ROOT}/sfp.pyz"', pyz_is_shell=True)))
    found = diagnose_install(claude_dir, None, environ={"CLAUDE_PLUGIN_ROOT": str(folder)})
    assert [r.kind for r in found.routes] == ["plugin-dir"] and found.findings == []


def test_two_routes_at_once_warn_with_the_line_that_removes_one(claude_dir: Path, tmp_path: Path,
                                                                built: dict[str, Path]) -> None:
    marketplace(claude_dir, tmp_path, built)
    write(claude_dir / "settings.json", {**settings_hooks(cc.hook_command(sys.executable, str(built["shiv"]))),
                                         "enabledPlugins": {"sfp@local": True}})
    found = diagnose_install(claude_dir, None, environ={})
    [finding] = found.findings
    assert finding.status == WARN and "every hook runs twice" in finding.title
    assert "`sfp.pyz uninstall`" in finding.fix


def test_timeout_drift_against_fallback_yaml(claude_dir: Path, built: dict[str, Path]) -> None:
    timeouts = expected_timeouts(claude_dir, None)
    assert timeouts["Stop"] == 120 and timeouts["PreCompact"] == 60
    write(claude_dir / "settings.json", settings_hooks(cc.hook_command(sys.executable, str(built["shiv"])), timeout=10))
    [finding] = diagnose_install(claude_dir, None, environ={}, timeouts=timeouts).findings
    assert finding.status == WARN and "Stop 10 s (fallback.yaml: 120 s)" in finding.title
    assert "install" in finding.fix


def test_health_agrees_with_the_diagnosis(claude_dir: Path) -> None:
    from sfp.health.checks import UNHEALTHY, check_plugin_integrity

    write(claude_dir / "settings.json", {"enabledPlugins": {"sfp@nowhere": True}})
    check = check_plugin_integrity(claude_dir, None, deep=False, as_hook=True, environ={})
    assert check.status == UNHEALTHY and "no marketplace `nowhere` is known" in check.message
    assert OK == "ok"


def test_an_unguarded_command_is_quiet_at_session_start_but_not_in_the_cli(claude_dir: Path, built: dict[str, Path]) -> None:
    from sfp.health.checks import DEGRADED, HEALTHY, check_plugin_integrity

    write(claude_dir / "settings.json", settings_hooks(f"{sys.executable} {built['shiv']} hook"))
    assert check_plugin_integrity(claude_dir, None, deep=False, as_hook=True, environ={}).status == HEALTHY
    cli = check_plugin_integrity(claude_dir, None, deep=False, environ={})
    assert cli.status == DEGRADED and "unguarded" in cli.message
