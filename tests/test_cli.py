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
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["health", "--bogus"], "unrecognized arguments: --bogus"),
    ([], "the following arguments are required: COMMAND"),
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
