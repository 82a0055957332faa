"""Every command that takes --json prints JSON that parses, in a fresh claude dir and in a lived-in one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from conftest import SfpRunner
from sfp.cli import build_parser

# The arguments each command needs besides --json (a positional it requires, a project to look at).
EXTRA: dict[tuple[str, ...], tuple[str, ...]] = {
    ("autofix",): ("app.py",),
    ("backup", "show"): ("@newest",),
    ("handoff",): ("list",),
}


def json_commands() -> list[tuple[str, ...]]:
    """Every command path (`backup list`) whose parser has a --json option, read from the parser itself."""
    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if any("--json" in a.option_strings for a in parser._actions) and path:
            found.append(path)
        for action in subparsers:
            for name, sub in action.choices.items():
                walk(sub, (*path, name))

    walk(build_parser(), ())
    return found


def test_the_list_of_json_commands_is_read_from_the_parser() -> None:
    commands = json_commands()
    assert ("status",) in commands and ("health",) in commands and ("backup", "list") in commands
    assert len(commands) >= 12


def lived_in(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    """A claude dir with context, a backup, a handoff, log lines and KPI events."""
    (claude_dir / ".context").mkdir(parents=True, exist_ok=True)
    (claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\n- API_KEY = 'sk-live-" + "a1b2" * 8 + "'\n")
    (project / "app.py").write_text("x = 1\n")
    assert sfp("backup", "create", "--project", str(project)).code == 0
    assert sfp("handoff", "--project", str(project)).code == 0
    event = json.dumps({"hook_event_name": "SessionStart", "session_id": "s1", "cwd": str(project), "source": "startup"})
    assert sfp("hook", input=event).code == 0
    assert sfp("gates", "--project", str(project), "--files", "app.py").code in (0, 1)


@pytest.mark.parametrize("state", ["fresh", "lived-in"])
@pytest.mark.parametrize("command", json_commands(), ids=" ".join)
def test_json_output_parses(sfp: SfpRunner, claude_dir: Path, project: Path, command: tuple[str, ...],
                            state: str) -> None:
    if state == "lived-in":
        lived_in(sfp, claude_dir, project)
    args = [*command, *EXTRA.get(command, ()), "--json"]
    if command == ("backup", "show"):
        listed = json.loads(sfp("backup", "list", "--json").out or "[]")
        backups = listed.get("backups", listed) if isinstance(listed, dict) else listed
        if not backups:
            pytest.skip("no backup to show in a fresh claude dir")
        first = backups[0]
        args = ["backup", "show", str(first.get("backup_id") or first.get("id")), "--json"]
    run = sfp(*args, cwd=project)
    assert run.code in (0, 1), f"{' '.join(args)} exited {run.code}: {run.err}"
    if command == ("logs",):  # JSON lines: one record a line, none in a fresh claude dir
        records = [json.loads(line) for line in run.out.splitlines()]
        assert bool(records) is (state == "lived-in")
        return
    assert run.out.strip(), f"{' '.join(args)} printed nothing"
    json.loads(run.out)  # one JSON document, nothing else on stdout
