"""`sfp install` / `sfp uninstall` through the zipapp, on settings files people really have."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import Run, clean_env
from sfp.claude import settings as cc

EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "PreCompact", "PostCompact",
          "TaskCreated", "TaskCompleted", "SessionEnd"]

ODD_SETTINGS = """{"model":"opus",   "env": {"GREETING": "¡hola! 你好 🚀"},
  "hooks": {
      "PostToolUse": [ {"matcher": "Bash", "hooks": [{"type": "command", "command": "echo ran >> /tmp/log"}]} ],
      "Stop": [{"hooks": [{"type":"command","command":"notify-send done","timeout":5}]}]
  },
  "permissions": {"allow": ["Bash(git status:*)"], "deny": []}, "nested": {"deep": [1, 2.5, null, true, "x"]}
}
"""


@pytest.fixture
def sfp_pyz(built: dict[str, Path], tmp_path: Path, claude_dir: Path):  # type: ignore[no-untyped-def]
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))

    def run(*args: str, cwd: Path | None = None) -> Run:
        done = subprocess.run([sys.executable, str(built["shiv"]), *args], capture_output=True, text=True,
                              env=env, cwd=cwd or tmp_path, timeout=60)
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def sfp_commands(settings: dict) -> dict[str, list[str]]:  # type: ignore[type-arg]
    return {event: [h["command"] for g in groups for h in g["hooks"] if "sfp" in h["command"]]
            for event, groups in settings.get("hooks", {}).items()}


def test_install_adds_every_event_with_absolute_paths_and_timeouts(sfp_pyz, claude_dir: Path, built: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    run = sfp_pyz("install")
    assert run.code == 0, run.err
    settings = json.loads((claude_dir / "settings.json").read_text())
    for event in EVENTS:
        [group] = settings["hooks"][event]
        [hook] = group["hooks"]
        assert cc.command_parts(hook["command"]) == cc.CommandParts(sys.executable, str(built["shiv"].resolve()), True)
        assert " -I -c " in hook["command"]  # isolated from the person's PYTHONPATH and user site
        assert hook["type"] == "command" and isinstance(hook["timeout"], int)
    assert settings["hooks"]["PostToolUse"][0]["matcher"] == "Write|Edit|MultiEdit"
    assert "matcher" not in settings["hooks"]["Stop"][0]
    assert settings["hooks"]["Stop"][0]["hooks"][0]["timeout"] == 120  # fallback.yaml's Stop timeout
    assert stat.S_IMODE((claude_dir / "settings.json").stat().st_mode) == 0o600


def test_install_then_uninstall_gives_back_the_same_value(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text(ODD_SETTINGS, encoding="utf-8")
    original = json.loads(ODD_SETTINGS)
    assert sfp_pyz("install").code == 0
    installed = json.loads(path.read_text(encoding="utf-8"))
    assert installed["env"] == original["env"] and installed["permissions"] == original["permissions"]
    assert installed["hooks"]["PostToolUse"][0] == original["hooks"]["PostToolUse"][0]  # the other hook stays first
    assert sfp_pyz("uninstall").code == 0
    assert json.loads(path.read_text(encoding="utf-8")) == original


def test_install_twice_equals_once(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text(ODD_SETTINGS, encoding="utf-8")
    sfp_pyz("install")
    once = path.read_text(encoding="utf-8")
    again = sfp_pyz("install")
    assert again.code == 0 and "already up to date" in again.out
    assert path.read_text(encoding="utf-8") == once


def test_install_backs_up_the_old_file(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text(ODD_SETTINGS, encoding="utf-8")
    run = sfp_pyz("install")
    [backup] = claude_dir.glob("settings.json.sfp-backup-*")
    assert backup.read_text(encoding="utf-8") == ODD_SETTINGS and str(backup) in run.out


@pytest.mark.parametrize("text", ['{"hooks": {', "[1, 2]", '{"a": 1,}', "\ufeff{oops",
                                  # JSON reads these, and would write them back as Infinity/NaN: not JSON
                                  '{"limit": 1e400}', '{"x": NaN}', '{"x": -Infinity}',
                                  "[" * 100000])  # deeper than the JSON parser goes
def test_invalid_json_is_refused_and_left_untouched(sfp_pyz, claude_dir: Path, text: str) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text(text, encoding="utf-8")
    for command in ("install", "uninstall"):
        run = sfp_pyz(command)
        assert run.code == 2 and run.err.startswith(f"sfp: error: {path}") and run.err.count("\n") == 1
        assert path.read_text(encoding="utf-8") == text
    assert not list(claude_dir.glob("settings.json.sfp-backup-*"))


def test_dry_run_prints_a_diff_and_writes_nothing(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text('{"model": "opus"}', encoding="utf-8")
    run = sfp_pyz("install", "--dry-run")
    assert run.code == 0 and '+  "hooks": {' in run.out and "dry run" in run.out
    assert path.read_text() == '{"model": "opus"}'


def in_project(built: dict[str, Path], project: Path, tmp_path: Path, claude_dir: Path):  # type: ignore[no-untyped-def]
    """Run the sfp.pyz copied into `project/tools/`, as a team that commits it would."""
    import shutil

    (project / "tools").mkdir(exist_ok=True)
    pyz = project / "tools" / "sfp.pyz"
    shutil.copyfile(built["shiv"], pyz)
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))

    def run(*args: str, **extra: str) -> Run:
        done = subprocess.run([sys.executable, str(pyz), *args], capture_output=True, text=True,
                              env={**env, **extra}, cwd=project, timeout=60)
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def test_project_and_local_scopes(sfp_pyz, built: dict[str, Path], project: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                  claude_dir: Path) -> None:
    assert in_project(built, project, tmp_path, claude_dir)("install", "--scope", "project").code == 0
    assert sfp_pyz("install", "--scope", "local", "--project", str(project)).code == 0
    shared, local = project / ".claude" / "settings.json", project / ".claude" / "settings.local.json"
    assert set(sfp_commands(json.loads(shared.read_text()))) == set(EVENTS)
    assert set(sfp_commands(json.loads(local.read_text()))) == set(EVENTS)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644 and stat.S_IMODE(local.stat().st_mode) == 0o600


def test_a_project_install_names_no_path_of_this_machine(built: dict[str, Path], project: Path, tmp_path: Path,
                                                         claude_dir: Path) -> None:
    run = in_project(built, project, tmp_path, claude_dir)
    assert run("install", "--scope", "project").code == 0
    text = (project / ".claude" / "settings.json").read_text()
    assert str(tmp_path) not in text and sys.executable not in text
    command = json.loads(text)["hooks"]["Stop"][0]["hooks"][0]["command"]
    assert cc.command_parts(command) == cc.CommandParts("python3", "$CLAUDE_PROJECT_DIR/tools/sfp.pyz", True)
    # A teammate's checkout somewhere else: the same command runs the copy there.
    elsewhere = tmp_path / "teammate" / "checkout"
    import shutil

    shutil.copytree(project, elsewhere)
    payload = json.dumps({"hook_event_name": "SessionEnd", "session_id": "t", "cwd": str(elsewhere), "reason": "other"})
    done = subprocess.run(["/bin/sh", "-c", command], input=payload, capture_output=True, text=True, timeout=60,
                          env=clean_env(tmp_path / "claude2", home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"),
                                        CLAUDE_PROJECT_DIR=str(elsewhere)))
    assert done.returncode == 0 and "skipped" not in done.stdout, done.stdout + done.stderr


def test_a_project_install_of_an_sfp_outside_the_project_is_refused_with_the_way_out(sfp_pyz, project: Path) -> None:  # type: ignore[no-untyped-def]
    run = sfp_pyz("install", "--scope", "project", cwd=project)
    assert run.code == 2 and "only work on this machine" in run.err and "--scope local" in run.err
    assert not (project / ".claude" / "settings.json").exists()


def test_a_project_install_may_use_the_sfp_pyz_on_path(built: dict[str, Path], project: Path, tmp_path: Path,
                                                       claude_dir: Path) -> None:
    import os
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copyfile(built["shiv"], bin_dir / "sfp.pyz")
    (bin_dir / "sfp.pyz").chmod(0o755)
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    done = subprocess.run([sys.executable, str(bin_dir / "sfp.pyz"), "install", "--scope", "project"],
                          capture_output=True, text=True, env=env, cwd=project, timeout=60)
    assert done.returncode == 0, done.stderr
    command = json.loads((project / ".claude" / "settings.json").read_text())["hooks"]["Stop"][0]["hooks"][0]["command"]
    assert cc.command_parts(command) == cc.CommandParts("python3", "sfp.pyz", True)


def test_install_follows_fallback_yaml_and_repairs_drift(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "fallback.yaml").write_text("policies:\n  Stop:\n    timeout: 300\n")
    assert sfp_pyz("install").code == 0
    path = claude_dir / "settings.json"
    settings = json.loads(path.read_text())
    assert settings["hooks"]["Stop"][0]["hooks"][0]["timeout"] == 300
    settings["hooks"]["Stop"][0]["hooks"][0]["timeout"] = 7  # edited by hand
    path.write_text(json.dumps(settings))
    assert sfp_pyz("install").code == 0
    assert json.loads(path.read_text())["hooks"]["Stop"][0]["hooks"][0]["timeout"] == 300


def test_uninstall_removes_entries_of_an_older_sfp_path_too(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    old = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "python3 /opt/old/sfp.pyz hook"},
                                         {"type": "command", "command": "./mysfp-checker hook"}]}]}}
    (claude_dir / "settings.json").write_text(json.dumps(old))
    sfp_pyz("uninstall")
    after = json.loads((claude_dir / "settings.json").read_text())
    assert after == {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "./mysfp-checker hook"}]}]}}


def test_install_from_a_source_checkout_says_to_use_the_zipapp(sfp, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run = sfp("install")
    assert run.code == 2 and "sfp.pyz" in run.err
    assert not (claude_dir / "settings.json").exists()


def test_an_upgrade_keeps_the_previous_build_and_says_how_to_go_back(built: dict[str, Path], tmp_path: Path,
                                                                     claude_dir: Path) -> None:
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))

    def run(pyz: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(pyz), "install"], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=60)

    first = run(built["shiv"])
    assert first.returncode == 0
    assert "previous sfp" not in first.stdout
    upgraded = run(built["lean"])  # another build of sfp at another path: an "upgrade"
    assert "previous sfp" in upgraded.stdout and "to go back:" in upgraded.stdout
    [kept] = [line.split(" kept as ")[1] for line in upgraded.stdout.splitlines() if line.startswith("previous sfp")]
    assert Path(kept).read_bytes() == built["shiv"].read_bytes()
    back = subprocess.run([sys.executable, kept, "install"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60)
    assert back.returncode == 0
    settings = json.loads((claude_dir / "settings.json").read_text())
    assert kept in settings["hooks"]["Stop"][0]["hooks"][0]["command"]


def test_a_symlinked_settings_file_stays_a_link(sfp_pyz, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dotfiles = tmp_path / "dotfiles" / "settings.json"
    dotfiles.parent.mkdir()
    dotfiles.write_text('{"model": "opus"}')
    (claude_dir / "settings.json").symlink_to(dotfiles)
    assert sfp_pyz("install").code == 0
    assert (claude_dir / "settings.json").is_symlink()
    assert set(sfp_commands(json.loads(dotfiles.read_text()))) == set(EVENTS)


def test_other_tools_named_like_sfp_are_left_alone(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    theirs = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "python3 /opt/sfp-lint.pyz hook --strict"}]}]}}
    (claude_dir / "settings.json").write_text(json.dumps(theirs))
    sfp_pyz("install")
    sfp_pyz("uninstall")
    assert json.loads((claude_dir / "settings.json").read_text()) == theirs


def test_an_event_that_is_not_a_list_is_refused(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (claude_dir / "settings.json").write_text('{"hooks": {"Stop": {"a": 1}}}')
    run = sfp_pyz("install")
    assert run.code == 2 and "`hooks.Stop`" in run.err
    assert (claude_dir / "settings.json").read_text() == '{"hooks": {"Stop": {"a": 1}}}'


def test_install_json_says_what_changed_and_which_build_is_kept(sfp_pyz, claude_dir: Path, built: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    planned = json.loads(sfp_pyz("install", "--dry-run", "--json").out)
    assert planned["schema"] == "sfp.install/1" and planned["dry_run"] is True and planned["changed"] is True
    assert '+  "hooks": {' in planned["diff"] and not (claude_dir / "settings.json").exists()
    done = sfp_pyz("install", "--json")
    document = json.loads(done.out)
    assert done.code == 0 and document["path"] == str(claude_dir / "settings.json") and document["changed"] is True
    assert document["events"] == EVENTS and document["pyz"] == str(built["shiv"].resolve())
    assert Path(document["kept_build"]["path"]).read_bytes() == built["shiv"].read_bytes()
    assert document["backup_path"] is None and document["previous_build"] is None
    again = json.loads(sfp_pyz("install", "--json").out)
    assert again["changed"] is False and again["diff"] is None


@pytest.mark.parametrize("indent", [4, "\t"])
def test_install_and_uninstall_keep_the_files_own_indent(sfp_pyz, claude_dir: Path, indent: int | str) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    original = json.dumps({"model": "opus", "env": {"A": "1"}}, indent=indent) + "\n"
    path.write_text(original, encoding="utf-8")
    assert sfp_pyz("install").code == 0
    unit = " " * indent if isinstance(indent, int) else indent
    assert path.read_text(encoding="utf-8").startswith("{\n" + unit + '"model"')
    assert sfp_pyz("uninstall").code == 0
    assert path.read_text(encoding="utf-8") == original


def test_two_saves_in_one_second_keep_both_backups(sfp_pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text('{"model": "opus"}\n', encoding="utf-8")
    assert sfp_pyz("install").code == 0 and sfp_pyz("uninstall").code == 0  # well within a second or two
    backups = sorted(claude_dir.glob("settings.json.sfp-backup-*"))
    assert len(backups) == 2
    assert backups[0].read_text(encoding="utf-8") == '{"model": "opus"}\n'  # the file as it was, kept
    assert "sfp.pyz" in backups[1].read_text(encoding="utf-8")


def test_a_taken_backup_name_moves_on_a_second(tmp_path: Path) -> None:
    import time

    from sfp.claude.settings import _free_backup_name

    path = tmp_path / "settings.json"
    now = time.time()
    first = _free_backup_name(path, now)
    first.write_text("as it was")
    second = _free_backup_name(path, now)
    assert second != first and second.name == f"settings.json.sfp-backup-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now + 1))}"
