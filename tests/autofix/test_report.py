"""sfp.autofix.report: the once-per-session note of a missing tool, and the line the person sees."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from autofix.fakes import log_records, put, python_formatter, shim
from sfp.autofix.formatters import SKIPPED
from sfp.autofix.report import first_time_missing, hook_message
from sfp.autofix.run import auto_fix
from sfp.infra.session_state import read_section
from sfp.kpi.store import read_events


# --- a formatter that is missing --------------------------------------------------------------------


def test_a_missing_formatter_skips_the_file_and_is_noted_once_per_session(
        claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    python_formatter(claude_dir, "no-such-formatter-sfp --write")
    target = put(project / "app.py")
    results = [auto_fix(target, project, claude_dir, session=s, environ=env) for s in ("s1", "s1", "s1", "s2")]
    assert {r.status for r in results} == {SKIPPED}
    assert "no-such-formatter-sfp is not installed" in (results[0].reason or "")
    assert target.read_text() == "x = 1\n"
    noted = [[n for n in r.notes if "no-such-formatter-sfp" in n.message] for r in results]
    assert [len(n) for n in noted] == [1, 0, 0, 1]  # the first time in s1, and again in s2
    assert "enabled: false" in noted[0][0].message  # says how to quiet it
    assert read_section(claude_dir, "s1", "autofix") == {"missing": ["no-such-formatter-sfp"]}
    assert log_records(claude_dir) == []  # a feature returns notes; only hooks and commands write the log
    assert [e["status"] for e in read_events(claude_dir)] == ["skipped"] * 4


def test_the_missing_tool_memory_lives_in_the_session_state(claude_dir: Path) -> None:
    assert first_time_missing(claude_dir, "../../evil/x", "ruff") is True
    assert first_time_missing(claude_dir, "../../evil/x", "ruff") is False
    assert first_time_missing(claude_dir, "../../evil/x", "black") is True
    state = claude_dir / "sfp" / "state"
    assert [p.name for p in state.iterdir()] == ["sessions"]  # no marker files beside it
    [file] = [p for p in (state / "sessions").iterdir() if p.suffix == ".json"]
    assert file.name.startswith("h-") and stat.S_IMODE(file.stat().st_mode) == 0o600  # a hashed, private name



# --- what the person sees ---------------------------------------------------------------------------


def test_verbose_shows_a_failure_to_the_person(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "fail")
    python_formatter(claude_dir, "fmt", "options:\n  verbose: true\n")
    result = auto_fix(put(project / "app.py"), project, claude_dir, session="s1", environ=env)
    assert hook_message(result, project) == "⚠️ sfp: fmt on app.py exited 1: error: cannot parse app.py: token=***"


@pytest.mark.parametrize("command, shown", [
    ("ruff format", "ruff format"), ("npx prettier --write", "npx prettier"), ("black -q", "black"),
    ("python3 -c \"import sys\"", "python3"), ("gofmt", "gofmt"),
])
def test_messages_name_the_tool_not_the_whole_command(command: str, shown: str) -> None:
    from sfp.autofix.report import short_name

    assert short_name(command) == shown

