"""Dispatch, help, exit codes and one-line errors — through the CLI as a person runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SfpRunner
from helpers import clean_env

COMMANDS = ["health", "hook", "config", "config show", "config init", "config parse", "logs", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_exit_codes(sfp: SfpRunner, command: str) -> None:
    run = sfp(*command.split(), "--help")
    assert run.code == 0
    assert "usage: sfp" in run.out
    if " " not in command:
        assert "2  usage or input error" in run.out


def test_version(sfp: SfpRunner) -> None:
    from sfp import __version__

    run = sfp("--version")
    assert (run.code, run.out.strip()) == (0, f"sfp {__version__}")


@pytest.mark.parametrize("args, message", [
    (["nonsense"], "'nonsense' is not a command. See `sfp --help`."),
    (["health", "--bogus"], "unrecognized arguments: --bogus"),
    (["logs", "-n", "many"], "invalid int value: 'many'"),
    (["config", "show", "gate"], "unknown config `gate`"),
    (["config", "parse", "/no/such.yaml"], "/no/such.yaml: no such file"),
])
def test_usage_errors_are_one_line_and_exit_2(sfp: SfpRunner, args: list[str], message: str) -> None:
    run = sfp(*args)
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1 and run.err.startswith("sfp: error: ") and message in run.err


def test_claude_dir_option_beats_the_environment(sfp: SfpRunner, tmp_path: Path) -> None:
    chosen = tmp_path / "chosen"
    (chosen / ".context").mkdir(parents=True)
    (chosen / ".context" / "CLAUDE.md").write_text("# Identity\nme\n")
    run = sfp("--claude-dir", str(chosen), "health", "--json")
    [context] = [c for c in run.json()["checks"] if c["name"] == "context_integrity"]  # type: ignore[index]
    assert context["status"] == "healthy"


def test_claude_config_dir_is_honoured(sfp: SfpRunner, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    run = sfp("health", "--json", env=clean_env(elsewhere))
    [context] = [c for c in run.json()["checks"] if c["name"] == "context_integrity"]  # type: ignore[index]
    assert context["details"]["path"] == str(elsewhere / ".context" / "CLAUDE.md")


def test_home_dot_claude_is_the_last_resort(sfp: SfpRunner, tmp_path: Path) -> None:
    env = clean_env(tmp_path, home=tmp_path / "home")
    del env["CLAUDE_CONFIG_DIR"]
    run = sfp("health", "--json", env=env)
    [context] = [c for c in run.json()["checks"] if c["name"] == "context_integrity"]  # type: ignore[index]
    assert context["details"]["path"] == str(tmp_path / "home" / ".claude" / ".context" / "CLAUDE.md")


def _old_python() -> str | None:
    import glob
    import shutil
    import subprocess

    candidates = [shutil.which(f"python3.{minor}") for minor in (10, 9, 8)]
    candidates += sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.1[0]*/bin/python3")))
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info < (3, 11))"],
                              capture_output=True, text=True)
        if done.stdout.strip() == "True":
            return candidate
    return None


OLD_PYTHON = _old_python()


@pytest.mark.skipif(OLD_PYTHON is None, reason="no Python older than 3.11 on this machine")
def test_an_old_python_gets_one_clear_line_not_a_traceback(built: dict[str, Path], tmp_path: Path) -> None:
    import json
    import subprocess

    assert OLD_PYTHON is not None
    env = clean_env(tmp_path / "claude", home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    cli = subprocess.run([OLD_PYTHON, str(built["shiv"]), "health"], capture_output=True, text=True, env=env)
    assert cli.returncode == 1
    assert cli.stderr.startswith("sfp: error: sfp needs Python 3.11 or newer") and cli.stderr.count("\n") == 1
    hook = subprocess.run([OLD_PYTHON, str(built["shiv"]), "hook"], input='{"hook_event_name": "Stop"}',
                          capture_output=True, text=True, env=env)
    assert hook.returncode == 0 and "Traceback" not in hook.stderr
    assert json.loads(hook.stdout)["systemMessage"].startswith("⚠️ sfp needs Python 3.11 or newer")


def test_text_utf8_cannot_carry_is_printed_as_an_escape_not_a_crash(sfp: SfpRunner, tmp_path: Path) -> None:
    document = tmp_path / "odd.yaml"
    document.write_text('a: "\\ud800"\n')  # a YAML escape for a lone surrogate
    run = sfp("config", "parse", str(document))
    assert run.code == 0 and "\\ud800" in run.out and "internal error" not in run.err


def test_bare_sfp_prints_the_help(sfp: SfpRunner) -> None:
    run = sfp()
    assert run.code == 0 and run.out.startswith("usage: sfp") and "health" in run.out and run.err == ""


@pytest.mark.parametrize(("typed", "meant"), [("helth", "'health'"), ("gate", "'gates'"), ("dcotor", "'doctor'")])
def test_a_mistyped_command_gets_the_nearest(sfp: SfpRunner, typed: str, meant: str) -> None:
    run = sfp(typed)
    assert run.code == 2 and run.err == f"sfp: error: {typed!r} is not a command. Did you mean {meant}?\n"


def test_an_unknown_option_points_at_the_commands_own_help(sfp: SfpRunner) -> None:
    run = sfp("gates", "--bogus")
    assert run.code == 2 and "unrecognized arguments: --bogus (see `sfp gates --help`)" in run.err


def test_each_command_module_declares_its_options_and_runs_itself() -> None:
    import argparse

    from sfp.cli import COMMANDS, command_module

    for command in COMMANDS:
        module = command_module(command)
        assert callable(module.add_arguments) and callable(module.run), command.name
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)  # declares without needing anything else of the parser


def test_a_command_imports_its_own_module_and_no_other_commands(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = ("import sys, io; from sfp.cli import _run_command; "
             f"_run_command(['--claude-dir', {str(tmp_path)!r}, 'kpi'], io.StringIO(), io.StringIO()); "
             "print(sorted(m for m in sys.modules if m.startswith('sfp.commands.')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "sfp.commands.kpi" in loaded
    assert "sfp.commands.gates" not in loaded and "sfp.commands.backup" not in loaded, loaded


@pytest.mark.parametrize("args", [
    ["gates", "--project", "{missing}"],
    ["health", "--project", "{missing}"],
    ["backup", "create", "--project", "{missing}"],
    ["tags", "--project", "{file}"],
    ["evidence", "{missing}"],
])
def test_a_project_folder_that_is_not_there_is_a_usage_error(sfp: SfpRunner, tmp_path: Path,
                                                             args: list[str]) -> None:
    (tmp_path / "a-file").write_text("x")
    filled = [a.format(missing=tmp_path / "nowhere", file=tmp_path / "a-file") for a in args]
    run = sfp(*filled)
    assert run.code == 2, run
    assert run.err.startswith("sfp: error: ") and "is not a folder" in run.err and run.err.count("\n") == 1


def test_a_file_given_to_gates_that_is_not_there_is_a_usage_error(sfp: SfpRunner, project: Path) -> None:
    (project / "real.py").write_text("x = 1\n")
    run = sfp("gates", "--files", "real.py", "typo.py", "--project", str(project))
    assert run.code == 2 and "no such file" in run.err and "typo.py" in run.err and "real.py" not in run.err
    assert sfp("gates", "--files", "real.py", "--project", str(project)).code in (0, 1)


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_the_top_level_imports_no_command_module(args: list[str]) -> None:
    import subprocess
    import sys

    probe = ("import sys, io, contextlib\n"
             "from sfp.cli import _run_command\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n"
             f"        _run_command({args!r}, sys.stdout, io.StringIO())\n"
             "    except SystemExit:\n"  # argparse ends --version and --help so
             "        pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('sfp.commands.')))\n")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.startswith("[") and "sfp.commands." not in loaded.replace("'sfp.commands.options'", ""), loaded
