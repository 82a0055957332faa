"""infra.runtime: the command that runs this same sfp, from a built zipapp and from a checkout, actually runs."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import trust_project, ROOT, clean_env
from sfp.backup.model import BackupSettings
from sfp.infra.runtime import self_command, self_command_environ, standalone_self_command


def without_pythonpath(claude_dir: Path) -> dict[str, str]:
    """The environment of a shell that knows nothing of this checkout."""
    env = clean_env(claude_dir)
    env.pop("PYTHONPATH", None)
    return env


def runs_this_sfp(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 0 and done.stdout.startswith("sfp ")


@pytest.fixture
def pyz(built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built zipapp at a path with a space, as sys.argv[0] is when a person runs it."""
    copy = tmp_path / "my tools" / "sfp.pyz"
    copy.parent.mkdir()
    shutil.copyfile(built["lean"], copy)
    monkeypatch.setattr(sys, "argv", [str(copy), "hook"])
    return copy


def test_from_a_zipapp_the_command_is_the_interpreter_and_the_file(pyz: Path, claude_dir: Path, tmp_path: Path) -> None:
    assert self_command() == (sys.executable, str(pyz.resolve()))
    assert self_command_environ() == {"SFP": shlex.join([sys.executable, str(pyz.resolve())])}
    assert standalone_self_command() == self_command()  # nothing to import from elsewhere
    done = subprocess.run([*self_command(), "--version"], capture_output=True, text=True, timeout=60,
                          env=without_pythonpath(claude_dir), cwd=tmp_path)
    assert runs_this_sfp(done), done.stderr


def test_from_a_zipapp_SFP_survives_eval_in_a_shell(pyz: Path, claude_dir: Path, tmp_path: Path) -> None:
    env = {**without_pythonpath(claude_dir), **self_command_environ()}
    done = subprocess.run(["sh", "-c", 'eval "$SFP --version"'], capture_output=True, text=True, timeout=60, env=env,
                          cwd=tmp_path)
    assert runs_this_sfp(done), done.stderr


def test_a_gate_run_by_the_zipapp_reaches_it_through_SFP(built: dict[str, Path], claude_dir: Path,
                                                         tmp_path: Path) -> None:
    copy = tmp_path / "my tools" / "sfp.pyz"
    copy.parent.mkdir()
    shutil.copyfile(built["lean"], copy)
    project = tmp_path / "project"
    (project / ".sfp").mkdir(parents=True)
    (project / ".sfp" / "gates.yaml").write_text("gates:\n  - name: self\n    command: eval \"$SFP --version\"\n")
    trust_project(claude_dir, project)
    (project / "a.py").write_text("x = 1\n")
    done = subprocess.run([sys.executable, str(copy), "gates", "--tier", "deep", "--json", "--files", "a.py"],
                          capture_output=True, text=True, timeout=120, env=without_pythonpath(claude_dir), cwd=project)
    [gate] = json.loads(done.stdout)["gates"]
    assert gate["status"] == "passed" and gate["output"].startswith("sfp "), gate


def test_from_a_checkout_the_command_is_python_m_sfp_with_the_checkout_on_the_path(claude_dir: Path,
                                                                                   tmp_path: Path) -> None:
    assert self_command() == (sys.executable, "-m", "sfp")  # pytest is not a zipapp
    environ = self_command_environ()
    assert environ["SFP"] == shlex.join([sys.executable, "-m", "sfp"])
    assert environ["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    done = subprocess.run([*self_command(), "--version"], capture_output=True, text=True, timeout=60,
                          env={**without_pythonpath(claude_dir), **environ}, cwd=tmp_path)
    assert runs_this_sfp(done), done.stderr


def test_from_a_checkout_PYTHONPATH_keeps_what_was_there(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert self_command_environ()["PYTHONPATH"] == os.pathsep.join([str(ROOT), str(tmp_path)])


def test_from_a_checkout_the_standalone_command_runs_from_any_folder_and_shell(claude_dir: Path) -> None:
    line = shlex.join([*standalone_self_command(), "--version"])
    done = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=60,
                          env=without_pythonpath(claude_dir), cwd="/")
    assert runs_this_sfp(done), done.stderr


def test_a_backup_made_from_a_checkout_names_a_restore_command_that_works_as_written(claude_dir: Path) -> None:
    from sfp.backup.create import create_backup

    (claude_dir / "CLAUDE.md").write_text("before\n")
    info = create_backup(claude_dir, None, BackupSettings(), reason="manual")
    (claude_dir / "CLAUDE.md").write_text("after\n")
    env = without_pythonpath(claude_dir)
    del env["CLAUDE_CONFIG_DIR"]  # the command names the claude dir itself
    done = subprocess.run(["sh", "-c", info.restore_command + " --yes"], capture_output=True, text=True, timeout=60,
                          env=env, cwd="/")
    assert done.returncode == 0, done.stderr
    assert (claude_dir / "CLAUDE.md").read_text() == "before\n"
