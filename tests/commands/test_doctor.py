"""`sfp doctor` finds each way hooks stop firing, and says how to fix it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import Run, clean_env
from sfp.claude import settings as cc


@pytest.fixture
def pyz(built: dict[str, Path], tmp_path: Path, claude_dir: Path):  # type: ignore[no-untyped-def]
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))

    def run(*args: str) -> Run:
        done = subprocess.run([sys.executable, str(built["shiv"]), *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def findings(run: Run) -> list[dict[str, str]]:
    return json.loads(run.out)["findings"]  # type: ignore[no-any-return]


def broken(run: Run) -> list[str]:
    return [f["title"] for f in findings(run) if f["status"] == "broken"]


def set_hooks(claude_dir: Path, command: str, timeout: int = 10) -> None:
    groups = {e: [{"hooks": [{"type": "command", "command": command, "timeout": timeout}]}]
              for e in cc.EVENTS}
    (claude_dir / "settings.json").write_text(json.dumps({"hooks": groups}))


def test_a_good_install_is_all_ok(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert pyz("install").code == 0
    run = pyz("doctor", "--json")
    assert run.code == 0, run.out
    titles = [f["title"] for f in findings(run)]
    assert any(f"sfp installed for {', '.join(cc.EVENTS)}" in t for t in titles)
    assert sum("hook answered in" in t for t in titles) == len(cc.EVENTS)


def test_not_installed(pyz) -> None:  # type: ignore[no-untyped-def]
    run = pyz("doctor", "--json")
    assert run.code == 1
    assert "sfp is not installed in any settings file" in broken(run)
    [finding] = [f for f in findings(run) if f["title"].startswith("sfp is not installed")]
    assert "sfp install" in finding["fix"]


def test_command_path_gone(pyz, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    set_hooks(claude_dir, f"{sys.executable} {tmp_path / 'moved' / 'sfp.pyz'} hook")
    run = pyz("doctor", "--json", "--no-probe")
    assert run.code == 1 and any(t.startswith(f"{tmp_path / 'moved' / 'sfp.pyz'} does not exist") for t in broken(run))


def test_a_hook_that_would_block_for_a_reason_not_its_own_is_broken(pyz, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    set_hooks(claude_dir, f"{sys.executable} {tmp_path / 'moved' / 'sfp.pyz'} hook")
    run = pyz("doctor", "--json")
    assert "UserPromptSubmit hook would block (exit 2): Claude Code would refuse every prompt" in broken(run)
    [finding] = [f for f in findings(run) if f["title"].startswith("UserPromptSubmit hook would block")]
    assert "can't open file" in finding["message"] and "never blocks" in finding["fix"]
    assert any("unguarded" in f["title"] for f in findings(run) if f["status"] == "warn")


def test_doctor_reports_timeout_drift(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert pyz("install").code == 0
    path = claude_dir / "settings.json"
    settings = json.loads(path.read_text())
    settings["hooks"]["Stop"][0]["hooks"][0]["timeout"] = 60
    path.write_text(json.dumps(settings))
    [drift] = [f for f in findings(pyz("doctor", "--json", "--no-probe")) if "differ from fallback.yaml" in f["title"]]
    assert drift["status"] == "warn" and "Stop 60 s (fallback.yaml: 120 s)" in drift["title"]
    assert pyz("install").code == 0  # repairs it
    assert not [f for f in findings(pyz("doctor", "--json", "--no-probe")) if "differ from fallback.yaml" in f["title"]]


def test_interpreter_too_old(pyz, claude_dir: Path, tmp_path: Path, built: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\necho 3.9\n")
    old.chmod(0o755)
    set_hooks(claude_dir, f"{old} {built['shiv']} hook")
    run = pyz("doctor", "--json", "--no-probe")
    assert run.code == 1
    [finding] = [f for f in findings(run) if f["title"].startswith(f"interpreter {old} (in ")]
    assert finding["status"] == "broken" and finding["message"] == f"interpreter {old} is Python 3.9; sfp needs 3.11 or newer"


def test_settings_json_invalid(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "settings.json").write_text('{"hooks": ')
    run = pyz("doctor", "--json")
    assert run.code == 1 and f"{claude_dir / 'settings.json'} is not valid JSON" in broken(run)


def test_a_hook_that_times_out(pyz, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    slow = tmp_path / "slow" / "sfp.pyz"
    slow.parent.mkdir()
    slow.write_text("sleep 30\n")
    set_hooks(claude_dir, f"/bin/sh {slow} hook", timeout=1)
    run = pyz("doctor", "--json")
    assert run.code == 1
    assert "Stop hook did not answer within its 1 s timeout" in broken(run)


def test_an_unwritable_backup_folder(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "backups").write_text("a file where the backups folder should be")
    run = pyz("doctor", "--json", "--no-probe")
    assert run.code == 1 and f"{claude_dir / 'backups'} is a file, not a folder" in broken(run)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any folder mode")
def test_a_read_only_backup_folder(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "backups").mkdir(mode=0o500)
    run = pyz("doctor", "--json", "--no-probe")
    assert f"{claude_dir / 'backups'} is not writable" in broken(run)


def test_human_output_names_each_fix(pyz) -> None:  # type: ignore[no-untyped-def]
    run = pyz("doctor")
    assert "FAIL sfp is not installed in any settings file" in run.out and "fix: run `sfp install`" in run.out


def test_an_enabled_plugin_of_no_known_marketplace_is_broken(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "settings.json").write_text(json.dumps({"enabledPlugins": {"sfp@local": True}}))
    run = pyz("doctor", "--json", "--no-probe")
    assert run.code == 1
    assert "enabledPlugins names sfp@local, but no marketplace `local` is known: no sfp hook fires" in broken(run)
    assert not any("enabled as a plugin" in f["title"] for f in findings(run))


def test_a_marketplace_plugin_and_settings_hooks_at_once(pyz, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert pyz("plugin", str(tmp_path / "market"), "--marketplace", "local").code == 0
    root = claude_dir / "plugins" / "cache" / "local" / "sfp" / "0.1.0"  # what `claude plugin install` copies
    import shutil

    shutil.copytree(tmp_path / "market" / "plugins" / "sfp", root)
    (claude_dir / "plugins" / "known_marketplaces.json").write_text(json.dumps(
        {"local": {"source": {"source": "directory", "path": str(tmp_path / "market")},
                   "installLocation": str(tmp_path / "market")}}))
    (claude_dir / "plugins" / "installed_plugins.json").write_text(json.dumps(
        {"version": 2, "plugins": {"sfp@local": [{"scope": "user", "installPath": str(root)}]}}))
    (claude_dir / "settings.json").write_text(json.dumps({"enabledPlugins": {"sfp@local": True}}))
    run = pyz("doctor", "--json", "--no-probe")
    assert run.code == 0, run.out
    assert "sfp runs as marketplace sfp@local" in [f["title"] for f in findings(run)]
    assert pyz("install").code == 0
    [twice] = [f for f in findings(pyz("doctor", "--json", "--no-probe")) if "every hook runs twice" in f["title"]]
    assert twice["status"] == "warn" and "`sfp.pyz uninstall`" in twice["fix"]


def test_a_broken_config_is_a_finding_with_its_line(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "fallback.yaml").write_text("policies: [unclosed\n")
    run = pyz("doctor", "--json", "--no-probe")
    assert any(t.startswith("fallback.yaml can't be used: ") and "fallback.yaml:1:" in t for t in broken(run))


def test_the_probe_reports_a_guarded_hook_that_could_not_run_sfp(pyz, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sfp.claude import settings as cc

    set_hooks(claude_dir, cc.hook_command(sys.executable, str(tmp_path / "moved" / "sfp.pyz")))
    run = pyz("doctor", "--json")
    assert "SessionStart hook can't run sfp" in broken(run)
    assert not any("unguarded" in f["title"] for f in findings(run))


def test_the_probe_runs_a_project_install_s_own_sfp(built: dict[str, Path], tmp_path: Path, claude_dir: Path) -> None:
    import shutil

    project = tmp_path / "project"
    (project / "tools").mkdir(parents=True)
    shutil.copyfile(built["shiv"], project / "tools" / "sfp.pyz")
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    for args in (["install", "--scope", "project"], ["doctor", "--json"]):
        done = subprocess.run([sys.executable, str(project / "tools" / "sfp.pyz"), *args], capture_output=True,
                              text=True, env=env, cwd=project, timeout=120)
    answered = [f["title"] for f in json.loads(done.stdout)["findings"] if "hook answered in" in f["title"]]
    assert len(answered) == len(cc.EVENTS), done.stdout


def test_doctor_says_when_current_models_get_no_task_tools(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert pyz("install").code == 0
    titles = [f["title"] for f in findings(pyz("doctor", "--json", "--no-probe"))]
    assert any("no task tools" in t for t in titles)
    settings = claude_dir / "settings.json"
    value = json.loads(settings.read_text())
    settings.write_text(json.dumps({**value, "env": {"CLAUDE_CODE_ENABLE_TODO_TOOLS": "1"}}))
    titles = [f["title"] for f in findings(pyz("doctor", "--json", "--no-probe"))]
    assert any("task tools on" in t for t in titles) and not any("no task tools" in t for t in titles)
