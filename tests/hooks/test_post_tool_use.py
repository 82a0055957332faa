"""PostToolUse: edits get formatted and said so; every other tool call costs next to nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import DATA, ROOT
from sfp.hooks import HookContext
from sfp.hooks.post_tool_use import edited_file, handle, project_root
from sfp.hooks.runner import run_hook
from sfp.kpi.store import read_events
from sfp.hooks.protocol import HookEvent, HookResult, parse_event

FAKE = DATA / "autofix" / "fake_formatter.py"


def payload(name: str, project: Path, file_name: str, tool: str | None = None) -> dict[str, object]:
    """A real PostToolUse payload moved into `project`, editing `file_name`."""
    event: dict[str, object] = json.loads((DATA / "payloads" / name).read_text())
    event["cwd"] = str(project)
    event["tool_input"] = {**event["tool_input"], "file_path": str(project / file_name)}  # type: ignore[dict-item]
    if tool:
        event["tool_name"] = tool
    return event


def as_event(raw: dict[str, object]) -> HookEvent:
    return parse_event(json.dumps(raw).encode())


def context(claude_dir: Path, environ: dict[str, str], budget: float = 20.0) -> HookContext:
    return HookContext(claude_dir, environ, time.monotonic() + budget, {})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "bin"
    folder.mkdir()
    shim = folder / "fmt"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" upper "$@"\n')
    shim.chmod(0o755)
    return {"PATH": f"{folder}:/usr/bin:/bin"}


@pytest.fixture
def formatting(claude_dir: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "auto_fix.yaml").write_text("formatters:\n  python:\n    command: fmt\n")


def write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.usefixtures("formatting")
@pytest.mark.parametrize(("name", "tool"), [("03-PostToolUse.json", None), ("02-PostToolUse.json", None),
                                            ("02-PostToolUse.json", "MultiEdit")])
def test_an_edited_file_is_formatted_and_the_person_told(
        name: str, tool: str | None, claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    target = write(project / "tests" / "test_validation.py")
    result = handle(as_event(payload(name, project, "tests/test_validation.py", tool)), context(claude_dir, env))
    assert result == HookResult(message="🧹 sfp: formatted tests/test_validation.py with fmt")
    assert target.read_text() == "# formatted\nX = 1\n"
    [kpi] = read_events(claude_dir, kind="auto_fix")
    assert kpi["session"] == "bb4d8064-6c68-4243-a46f-ce1e3b32b275" and kpi["status"] == "formatted"


@pytest.mark.usefixtures("formatting")
def test_a_file_already_formatted_gets_no_message(claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    write(project / "app.py", "# formatted\nX = 1\n")
    assert handle(as_event(payload("03-PostToolUse.json", project, "app.py")), context(claude_dir, env)) == HookResult()
    assert [e["status"] for e in read_events(claude_dir)] == ["unchanged"]


@pytest.mark.parametrize("tool", ["Read", "Bash", "NotebookEdit", "TaskCreate", None])
def test_other_tools_return_at_once_without_reading_the_config(tool: str | None, claude_dir: Path, project: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "auto_fix.yaml").write_text("formatters: [unclosed\n")  # reading it would raise
    write(project / "app.py")
    raw = payload("03-PostToolUse.json", project, "app.py")
    raw.pop("tool_name") if tool is None else raw.update(tool_name=tool)
    assert handle(as_event(raw), context(claude_dir, {})) == HookResult()
    assert not (claude_dir / "kpis").exists() and not (claude_dir / "logs").exists()


@pytest.mark.parametrize("tool_input", [None, "x", {}, {"file_path": ""}, {"file_path": 7}, {"path": "/x.py"}])
def test_an_edit_without_a_usable_file_path_is_ignored(tool_input: object, claude_dir: Path) -> None:
    event = as_event({"hook_event_name": "PostToolUse", "tool_name": "Write", "tool_input": tool_input, "cwd": "/"})
    assert edited_file(event) is None
    assert handle(event, context(claude_dir, {})) == HookResult()


def test_the_real_payloads_as_recorded_touch_nothing(claude_dir: Path) -> None:
    # Their files (/home/user/acme-api/...) don't exist here: nothing to format, nothing logged or kept.
    for name in ("02-PostToolUse.json", "03-PostToolUse.json"):
        raw = json.loads((DATA / "payloads" / name).read_text())
        assert handle(as_event(raw), context(claude_dir, {})) == HookResult()
    assert list(claude_dir.iterdir()) == []


def test_the_project_is_claude_project_dir_before_the_cwd(claude_dir: Path, project: Path) -> None:
    event = as_event(payload("03-PostToolUse.json", project / "sub", "x.py"))
    assert project_root(event, context(claude_dir, {"CLAUDE_PROJECT_DIR": str(project)})) == project
    assert project_root(event, context(claude_dir, {})) == project / "sub"


@pytest.mark.usefixtures("formatting")
def test_a_file_outside_the_project_is_left_alone(claude_dir: Path, tmp_path: Path, project: Path, env: dict[str, str]) -> None:
    outside = write(tmp_path / "other" / "app.py")
    raw = payload("03-PostToolUse.json", project, "app.py")
    raw["tool_input"] = {"file_path": str(outside), "content": ""}
    assert handle(as_event(raw), context(claude_dir, env)) == HookResult()
    assert outside.read_text() == "x = 1\n"


PROBE = """
import json, sys, time
from pathlib import Path
from sfp.hooks import HookContext
from sfp.hooks.post_tool_use import handle
from sfp.hooks.protocol import parse_event
before = set(sys.modules)
result = handle(parse_event(sys.stdin.buffer.read()), HookContext(Path(sys.argv[1]), {}, time.monotonic() + 10, {}))
print(json.dumps({"result": repr(result), "loaded": sorted(set(sys.modules) - before)}))
"""


@pytest.mark.parametrize(("tool", "file_name"), [("Read", "app.py"), ("Write", "notes.txt"), ("Edit", "Makefile")])
def test_the_hot_path_starts_no_process_and_parses_no_config(
        tool: str, file_name: str, claude_dir: Path, project: Path) -> None:
    write(project / file_name)
    raw = json.dumps(payload("03-PostToolUse.json", project, file_name, tool)).encode()
    done = subprocess.run([sys.executable, "-c", PROBE, str(claude_dir)], input=raw, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    probe = json.loads(done.stdout)
    assert probe["result"] == repr(HookResult())
    loaded = set(probe["loaded"])
    assert not loaded & {"subprocess", "shlex", "sfp.config.miniyaml", "sfp.config.schema", "sfp.config.specs", "sfp.kpi.store"}, loaded
    if tool == "Read":
        assert not loaded & {"sfp.autofix", "sfp.config.layers"}, loaded


def call_hook(raw: bytes, claude_dir: Path, environ: dict[str, str]) -> tuple[int, str, str]:
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(raw)

    feeder = threading.Thread(target=feed)
    feeder.start()
    out, err = io.StringIO(), io.StringIO()
    with os.fdopen(read_fd, "rb") as stdin:
        code = run_hook(None, claude_dir, stdin, out, err, environ=environ)
    feeder.join()
    return code, out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("formatting")
def test_through_the_runner_the_client_gets_a_system_message(claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    write(project / "src" / "acme" / "api.py")
    raw = json.dumps(payload("02-PostToolUse.json", project, "src/acme/api.py")).encode()
    code, out, err = call_hook(raw, claude_dir, env)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"systemMessage": "🧹 sfp: formatted src/acme/api.py with fmt"}


def test_through_the_runner_a_missing_formatter_is_logged_once_per_session(
        claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "auto_fix.yaml").write_text("formatters:\n  python:\n    command: no-such-fmt-sfp\n")
    write(project / "app.py")
    raw = json.dumps(payload("02-PostToolUse.json", project, "app.py")).encode()
    for _ in range(3):
        assert call_hook(raw, claude_dir, env)[:2] == (0, "")
    records = [json.loads(line) for line in (claude_dir / "logs" / "sfp.log").read_text().splitlines()]
    missing = [r for r in records if "no-such-fmt-sfp is not installed" in r["message"]]
    assert len(missing) == 1 and missing[0]["level"] == "warning" and missing[0]["event"] == "auto_fix"
