"""Every command that takes --json keeps docs/json.md's contract, in a fresh claude dir, a lived-in one and
one where things fail: one document (JSON lines for `logs`), a documented schema, snake_case keys, none of
the banned names, moments in UTC; an error is one line on stderr and nothing on stdout."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT, Run, clean_env
from sfp.cli import build_parser

DOC = ROOT / "docs" / "json.md"
SCHEMA_NAME = re.compile(r"^sfp\.[a-z][a-z0-9-]*/[0-9]+$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
UTC_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
BANNED = frozenset({"backup_id", "handoff_id", "created", "timestamp", "time", "date", "ts", "at", "when", "detail"})
# Where a document holds data whose keys are not sfp's names (docs/json.md says so for each).
DATA_KEYS = {"sfp.config/1": ("configs", "*", "data")}
STATES = ("fresh", "lived-in", "failing")

# The argument lists each command is run with besides --json; "{tmp}" is a scratch folder of the state.
ARGS: dict[tuple[str, ...], list[tuple[str, ...]]] = {
    ("autofix",): [("app.py",)],
    ("backup", "show"): [("{newest_backup}",)],
    ("gates",): [("--files", "app.py")],
    ("handoff",): [(), ("list",), ("show",)],
    ("inject",): [("--prompt", "test"), ("--prompt", "test", "--session", "s1")],
    ("restore",): [("--latest", "--dry-run"), ("--latest", "--yes")],
    ("trust",): [("--show",), (), ("--list",), ("--revoke",)],
    ("report",): [("--out", "{tmp}/report.html")],
    ("plugin",): [("{tmp}/plugin", "--force"), ("{tmp}/market", "--force", "--marketplace", "local")],
}
# Commands that refuse to run from a source checkout: they run from a build of this tree.
NEEDS_BUILD = frozenset({("install",), ("uninstall",), ("plugin",)})
# Commands that don't keep the contract yet, and why: the lead removes an entry once its owner fixed it.
NOT_YET: dict[tuple[str, ...], str] = {}


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


def invocations() -> list[Any]:
    cases = []
    for command in json_commands():
        for extra in ARGS.get(command, [()]):
            marks = [pytest.mark.xfail(reason=NOT_YET[command], strict=False)] if command in NOT_YET else []
            cases.append(pytest.param(command, extra, id=" ".join((*command, *extra)), marks=marks))
    return cases


def documented_schemas() -> set[str]:
    return set(re.findall(r"^### `?(sfp\.[a-z0-9-]+/\d+)`?", DOC.read_text(encoding="utf-8"), re.MULTILINE))


# --- the rules --------------------------------------------------------------------------------------------


def problems(document: Any, documented: set[str]) -> list[str]:
    """What in `document` breaks docs/json.md's rules (nothing: [])."""
    if not isinstance(document, dict):
        return [f"the top level is a {type(document).__name__}, not an object"]
    schema = document.get("schema")
    found = []
    if not isinstance(schema, str) or not SCHEMA_NAME.match(schema):
        return [f"no valid schema at the top level: {schema!r}"]
    if next(iter(document)) != "schema":
        found.append("`schema` is not the first key")
    if schema not in documented:
        found.append(f"{schema} has no `### {schema}` section in docs/json.md")
    found += key_problems(document, (), DATA_KEYS.get(schema))
    return found


def key_problems(node: Any, path: tuple[str, ...], data_at: tuple[str, ...] | None) -> list[str]:
    if data_at is not None and len(path) == len(data_at) and all(d in ("*", p) for d, p in zip(data_at, path)):
        return []  # the data's own keys
    found = []
    if isinstance(node, list):
        for item in node:
            found += key_problems(item, (*path, "*"), data_at)
    elif isinstance(node, dict):
        for key, value in node.items():
            where = ".".join((*path, str(key)))
            if not isinstance(key, str) or not SNAKE.match(key):
                found.append(f"{where}: not a snake_case key")
            elif key in BANNED:
                found.append(f"{where}: a banned name (docs/json.md, rule 5)")
            elif key.endswith("_at") and not (value is None or isinstance(value, str) and UTC_MOMENT.match(value)):
                found.append(f"{where}: {value!r} is not a UTC moment with a Z")
            found += key_problems(value, (*path, str(key)), data_at)
    return found


def test_the_rules_catch_what_they_should() -> None:
    documented = {"sfp.x/1", "sfp.config/1"}
    assert problems([], documented) == ["the top level is a list, not an object"]
    assert problems({"a": 1}, documented) == ["no valid schema at the top level: None"]
    assert problems({"schema": "sfp.Bad/1"}, documented)[0].startswith("no valid schema")
    assert problems({"schema": "sfp.y/1"}, documented) == ["sfp.y/1 has no `### sfp.y/1` section in docs/json.md"]
    assert problems({"ok": True, "schema": "sfp.x/1"}, documented) == ["`schema` is not the first key"]
    bad = {"schema": "sfp.x/1", "items": [{"backupId": 1, "created": "x", "ran_at": "2026-02-10 11:00",
                                            "done_at": "2026-02-10T10:00:00Z", "n": {"detail": ""}}]}
    assert problems(bad, documented) == ["items.*.backupId: not a snake_case key", "items.*.created: a banned name "
                                         "(docs/json.md, rule 5)", "items.*.ran_at: '2026-02-10 11:00' is not a UTC "
                                         "moment with a Z", "items.*.n.detail: a banned name (docs/json.md, rule 5)"]
    config = {"schema": "sfp.config/1", "configs": [{"data": {"GITHUB_TOKEN": "***"}, "Bad": 1}]}
    assert problems(config, documented) == ["configs.*.Bad: not a snake_case key"]


def test_the_doc_lists_schemas_and_each_is_one_sfp_prints() -> None:
    documented = documented_schemas()
    assert {"sfp.gates/1", "sfp.status/2", "sfp.health/1", "sfp.backup-list/1", "sfp.log-record/1"} <= documented
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "sfp").rglob("*.py"))
    assert not [s for s in documented if s.rsplit("/", 1)[0] not in sources], "a schema no module names"


def test_the_list_of_json_commands_is_read_from_the_parser() -> None:
    commands = json_commands()
    assert ("status",) in commands and ("backup", "verify") in commands and ("handoff",) in commands
    assert len(commands) >= 20


# --- the states ---------------------------------------------------------------------------------------------


class State:
    """A claude dir and a project in one condition, and a way to run sfp there."""

    def __init__(self, root: Path, name: str, pyz: Path) -> None:
        self.root = root
        self.pyz = pyz
        self.name = name
        self.claude_dir = root / "claude"
        self.project = root / "project"
        self.tmp = root / "tmp"
        for folder in (self.claude_dir, self.project, self.tmp):
            folder.mkdir(parents=True)
        (self.project / "app.py").write_text("x = 1\n")

    def sfp(self, *args: str, input: str | None = None, built: bool = False) -> Run:
        env = {**clean_env(self.claude_dir, home=self.root), "PYTHONPATH": str(ROOT)}
        program = [str(self.pyz)] if built else ["-m", "sfp"]
        done = subprocess.run([sys.executable, *program, *args], input=(input or "").encode(), capture_output=True,
                              env=env, cwd=self.project, timeout=120)
        return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    def newest_backup(self) -> str:
        listed = json.loads(self.sfp("backup", "list", "--json").out)
        backups = listed["backups"]
        return str(backups[0]["id"]) if backups else "20200101-000000"


def lived_in(state: State) -> None:
    """Context, a trusted project config, a backup, a handoff, log lines, a gate run and KPI events."""
    (state.claude_dir / ".context").mkdir()
    (state.project / ".sfp").mkdir()
    (state.project / ".sfp" / "gates.yaml").write_text("tiers:\n  fast:\n    gates:\n      - name: fine\n"
                                                      "        command: 'true'\n")
    assert state.sfp("trust", str(state.project)).code == 0
    (state.claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\n- API_KEY = 'sk-live-" + "a1b2" * 8 + "'\n")
    assert state.sfp("backup", "create").code == 0
    assert state.sfp("handoff").code == 0
    event = json.dumps({"hook_event_name": "SessionStart", "session_id": "s1", "cwd": str(state.project),
                        "source": "startup"})
    assert state.sfp("hook", input=event).code == 0
    assert state.sfp("gates", "--files", "app.py").code in (0, 1)


def failing(state: State) -> None:
    """Everything that can fail does: an empty CLAUDE.md, a failing critical gate, a missing required file,
    a damaged backup beside a good one, a torn log line."""
    lived_in(state)
    (state.claude_dir / ".context" / "CLAUDE.md").write_text("")
    sfp_dir = state.project / ".sfp"
    (sfp_dir / "gates.yaml").write_text("tiers:\n  fast:\n    gates:\n      - name: broken\n        command: 'exit 1'\n"
                                        "        critical: true\n")
    (sfp_dir / "evidence.yaml").write_text("checks:\n  - name: config-files\n    critical: true\n"
                                           "required_files: [.env.example]\n")
    assert state.sfp("trust", str(state.project)).code == 0
    assert state.sfp("gates", "--files", "app.py").code == 1
    damaged = json.loads(state.sfp("backup", "create", "--json").out)
    stored = next(Path(damaged["path"], "files").rglob("*.md"))
    stored.write_text("bit rot\n")
    (state.claude_dir / "backups" / "20991231-235959").mkdir()
    (state.claude_dir / "backups" / "20991231-235959" / "metadata.json").write_text("{not json")
    with (state.claude_dir / "logs" / "sfp.log").open("a") as log:
        log.write("torn {\n")


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory, built: dict[str, Path]) -> Iterator[dict[str, State]]:
    made = {name: State(tmp_path_factory.mktemp(name), name, built["lean"]) for name in STATES}
    setups: dict[str, Callable[[State], None]] = {"lived-in": lived_in, "failing": failing}
    for name, setup in setups.items():
        setup(made[name])
    yield made


# --- the contract, command by command -------------------------------------------------------------------------


@pytest.mark.parametrize("state_name", STATES)
@pytest.mark.parametrize(("command", "extra"), invocations())
def test_json_output_keeps_the_contract(states: dict[str, State], command: tuple[str, ...], extra: tuple[str, ...],
                                        state_name: str) -> None:
    state = states[state_name]
    values = {"tmp": str(state.tmp), "newest_backup": state.newest_backup() if "{newest_backup}" in extra[:1] else ""}
    args = [*command, *(arg.format(**values) for arg in extra), "--json"]
    run = state.sfp(*args, built=command in NEEDS_BUILD)
    shown = f"sfp {' '.join(args)} ({state_name}) exited {run.code}\nstdout: {run.out[:2000]}\nstderr: {run.err}"
    assert run.code in (0, 1, 2), shown
    assert "Traceback" not in run.err, shown
    if not run.out and command == ("logs",) and run.code == 0:
        return  # JSON lines: no record, no line
    if not run.out:
        # An error: one line saying what, on stderr (docs/json.md, rule 7). A lived-in claude dir has
        # something for every command to print.
        assert run.code != 0 and state_name != "lived-in", shown
        assert run.err.startswith("sfp: error: ") and run.err.count("\n") == 1, shown
        return
    documented = documented_schemas()
    if command == ("logs",):  # JSON lines, each a document
        documents = [json.loads(line) for line in run.out.splitlines()]
    else:
        documents = [json.loads(run.out)]  # one document, nothing else on stdout
    for document in documents:
        assert not problems(document, documented), f"{problems(document, documented)}\n{shown}"


def test_logs_in_a_fresh_claude_dir_print_no_line(states: dict[str, State]) -> None:
    run = states["fresh"].sfp("logs", "--json")
    assert run.code == 0 and run.out == ""
