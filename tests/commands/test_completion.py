"""`sfp completion bash|zsh`: scripts generated from the parser that really complete, in the real shells."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import SfpRunner
from sfp.cli import COMMANDS, build_parser
from sfp.commands.completion import Node, Option, all_nodes, command_tree

needs_zsh = pytest.mark.skipif(shutil.which("zsh") is None,
                               reason="zsh is not installed (`apt-get install -y zsh`): the zsh script is untested")


@pytest.fixture
def bash_script(sfp: SfpRunner, tmp_path: Path) -> Path:
    run = sfp("completion", "bash")
    assert run.code == 0, run.err
    path = tmp_path / "sfp.bash"
    path.write_text(run.out)
    return path


def bash_complete(script: Path, *words: str) -> list[str]:
    """COMPREPLY for a command line whose last word (maybe "") is the one under the cursor."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = f"source {script} && COMP_WORDS=({quoted}) && COMP_CWORD={len(words) - 1} && _sfp && " \
              'printf "%s\\n" "${COMPREPLY[@]}"'
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                          timeout=30, cwd=script.parent)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_subcommands_options_and_choices(bash_script: Path) -> None:
    assert bash_complete(bash_script, "sfp", "he") == ["health"]
    assert bash_complete(bash_script, "sfp", "backup", "") == ["create", "list", "show", "verify", "prune"]
    assert "--json" in bash_complete(bash_script, "sfp", "gates", "--")
    assert bash_complete(bash_script, "sfp", "install", "--scope", "") == ["user", "project", "local"]
    assert bash_complete(bash_script, "sfp", "completion", "") == ["bash", "zsh"]
    assert bash_complete(bash_script, "sfp", "handoff", "") == ["list", "show"]  # a positional's choices


def test_bash_skips_option_values_and_handles_the_equals_sign(bash_script: Path) -> None:
    # `backup` is the value of --claude-dir here, not the command.
    assert bash_complete(bash_script, "sfp", "--claude-dir", "backup", "st") == ["status"]
    assert bash_complete(bash_script, "sfp", "--claude-dir", "/tmp", "backup", "s") == ["show"]
    # bash splits `--scope=lo` at the `=` (COMP_WORDBREAKS): the option is the word before it.
    assert bash_complete(bash_script, "sfp", "install", "--scope", "=", "lo") == ["local"]
    assert bash_complete(bash_script, "sfp", "install", "--scope=pro") == ["project"]
    (bash_script.parent / "proj").mkdir()
    assert "proj" in bash_complete(bash_script, "sfp", "status", "--project", "pr")


def test_bash_registers_for_both_names(bash_script: Path) -> None:
    done = subprocess.run(["bash", "--norc", "-c", f"source {bash_script} && complete -p sfp sfp.pyz"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.count("-F _sfp") == 2, done.stderr


def test_the_script_follows_the_parser_for_every_command(bash_script: Path) -> None:
    tree = command_tree(build_parser())
    assert bash_complete(bash_script, "sfp", "") == [c.name for c in COMMANDS]
    for node in all_nodes(tree):
        if node.path:
            expected = [flag for option in node.options for flag in option.flags if flag.startswith("--")]
            assert bash_complete(bash_script, "sfp", *node.path, "--") == expected, node.path


def test_the_tree_is_read_from_any_parser() -> None:
    parser = argparse.ArgumentParser(prog="x")
    parser.add_argument("--out", metavar="FILE")
    sub = parser.add_subparsers(dest="command").add_parser("go", help="go somewhere")
    sub.add_argument("--to", metavar="DIR")
    sub.add_argument("--mode", choices=("fast", "slow"))
    sub.add_argument("--quiet", action="store_true")
    sub.add_argument("way", choices=("up", "down"))
    tree = command_tree(parser)
    assert tree.options[-1] == Option(("--out",), "", "file")
    [go] = tree.commands
    assert go == Node(("go",), "go somewhere", (
        Option(("-h", "--help"), "show this help message and exit", ""),
        Option(("--to",), "", "dir"), Option(("--mode",), "", "choices", ("fast", "slow")),
        Option(("--quiet",), "", "")), (), ("up", "down"))


@needs_zsh
def test_zsh_registers_itself_when_sourced_after_compinit(sfp: SfpRunner, tmp_path: Path) -> None:
    script = tmp_path / "_sfp"
    script.write_text(sfp("completion", "zsh").out)
    program = f"autoload -U compinit && compinit -u -D && source {script} && print -r -- $_comps[sfp] $_comps[sfp.pyz]"
    done = subprocess.run(["zsh", "-fc", program], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.split() == ["_sfp", "_sfp"], done.stderr


@needs_zsh
@pytest.mark.parametrize(("typed", "completed"), [
    ("sfp he", "sfp health "),
    ("sfp backup ver", "sfp backup verify "),
    ("sfp gates --js", "sfp gates --json "),
    ("sfp install --scope lo", "sfp install --scope local "),
    ("sfp --claude-dir /tmp st", "sfp --claude-dir /tmp status "),
])
def test_zsh_completes_at_a_real_prompt(sfp: SfpRunner, tmp_path: Path, typed: str, completed: str) -> None:
    """An interactive zsh on a pseudo-terminal, TAB pressed: what the line then reads."""
    script = tmp_path / "_sfp"
    script.write_text(sfp("completion", "zsh").out)
    seen = tmp_path / "buffer.out"
    driver = tmp_path / "drive.zsh"
    driver.write_text(textwrap.dedent(f"""\
        zmodload zsh/zpty
        zpty -b z zsh -f -i
        zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -D; source {script}'
        zpty -w z 'show() {{ print -r -- "<<$BUFFER>>" > {seen} }}; zle -N show; bindkey "^X" show'
        zpty -w -n z $'{typed}\\t'
        sleep 0.5
        zpty -w -n z $'\\x18'
        for i in {{1..100}}; do [[ -s {seen} ]] && break; sleep 0.1; done
        zpty -d z
        """))
    subprocess.run(["zsh", "-f", str(driver)], capture_output=True, text=True, timeout=60)
    assert seen.read_text().strip() == f"<<{completed}>>"
