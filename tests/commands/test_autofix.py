"""`sfp autofix FILE…`: the hook's formatting, by hand, one line per file."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from conftest import SfpRunner
from helpers import DATA, clean_env
from sfp.commands.autofix import autofix
from sfp.errors import ConfigError

FAKE = DATA / "autofix" / "fake_formatter.py"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, mode in (("fmt", "upper"), ("broken-fmt", "fail")):
        (folder / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" {mode} "$@"\n')
        (folder / name).chmod(0o755)
    return {"PATH": f"{folder}:/usr/bin:/bin"}


@pytest.fixture
def configured(claude_dir: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "auto_fix.yaml").write_text(
        "formatters:\n  python:\n    command: fmt\n  js:\n    extensions: [.js]\n    command: broken-fmt\n")


def put(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.usefixtures("configured")
def test_one_line_per_file_and_exit_0_when_nothing_failed(claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    app, notes = put(project / "src" / "app.py"), put(project / "notes.txt")
    out = io.StringIO()
    code = autofix(claude_dir, project, [str(app), str(notes), str(app)], as_json=False, out=out, environ=env)
    assert code == 0
    first, second, third = out.getvalue().splitlines()
    assert first.startswith("formatted src/app.py  fmt (")  # no emoji: not a terminal
    assert second == "skipped   notes.txt  no formatter for .txt files"
    assert third.startswith("unchanged src/app.py  fmt (")
    assert app.read_text() == "# formatted\nX = 1\n"


@pytest.mark.usefixtures("configured")
def test_a_failing_formatter_or_a_missing_file_exits_1(claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    out = io.StringIO()
    assert autofix(claude_dir, project, [str(put(project / "a.js"))], as_json=False, out=out, environ=env) == 1
    assert out.getvalue().startswith("failed    a.js  broken-fmt (")
    assert out.getvalue().rstrip().endswith("exited 1  error: cannot parse a.js: token=***")
    assert autofix(claude_dir, project, [str(project / "nope.py")], as_json=False, out=io.StringIO(), environ=env) == 1


@pytest.mark.usefixtures("configured")
def test_json_output(claude_dir: Path, project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    outside = put(tmp_path / "elsewhere.py")
    out = io.StringIO()
    code = autofix(claude_dir, project, [str(put(project / "app.py")), str(outside)], as_json=True, out=out, environ=env)
    assert code == 0
    document = json.loads(out.getvalue())
    assert document["schema"] == "sfp.autofix/1" and document["ok"] is True
    formatted, skipped = document["files"]
    assert {k: formatted[k] for k in ("path", "status", "formatter", "file_type", "changed")} == {
        "path": "app.py", "status": "formatted", "formatter": "fmt", "file_type": "python", "changed": True}
    assert skipped["status"] == "skipped" and skipped["reason"].startswith("outside the project")
    assert outside.read_text() == "x = 1\n"


def test_a_broken_config_is_a_config_error(claude_dir: Path, project: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "auto_fix.yaml").write_text("timeout: soon\n")
    with pytest.raises(ConfigError, match="auto_fix.yaml:1"):
        autofix(claude_dir, project, [str(put(project / "app.py"))], as_json=False, out=io.StringIO())


@pytest.mark.usefixtures("configured")
def test_through_the_cli(sfp: SfpRunner, claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    app = put(project / "app.py")
    run = sfp("autofix", "app.py", "--project", str(project), "--json", cwd=project,
              env=clean_env(claude_dir, PATH=env["PATH"]))
    assert run.code == 0, run.err
    assert [r["status"] for r in run.json()["files"]] == ["formatted"]  # type: ignore[index]
    assert app.read_text() == "# formatted\nX = 1\n"
    usage = sfp("autofix")
    assert usage.code == 2 and "FILE" in usage.err
