"""PreToolUse: the secrets guard denies a Write or Edit that would add a secret, with a reason the model can use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import SfpRunner
from helpers import ROOT

AWS_KEY = "AKIA" + "Z7QXW3KD5MPLR2VN"


def call(tool: str, tool_input: dict[str, Any], project: Path) -> str:
    return json.dumps({"hook_event_name": "PreToolUse", "session_id": "s1", "cwd": str(project),
                       "tool_name": tool, "tool_input": tool_input})


def decision(out: str) -> dict[str, Any] | None:
    if not out.strip():
        return None
    answer: dict[str, Any] = json.loads(out)
    return answer.get("hookSpecificOutput")


def test_a_write_that_adds_a_secret_is_denied_with_line_kind_and_masked_value(sfp: SfpRunner, project: Path) -> None:
    target = project / "settings.py"
    run = sfp("hook", input=call("Write", {"file_path": str(target), "content": f"DEBUG = True\nKEY = '{AWS_KEY}'\n"},
                                 project))
    assert run.code == 0
    answer = decision(run.out)
    assert answer is not None and answer["hookEventName"] == "PreToolUse" and answer["permissionDecision"] == "deny"
    reason = answer["permissionDecisionReason"]
    assert "line 2 of the new text: aws-access-key-id (AKIA***)" in reason and AWS_KEY not in run.out
    assert "environment variable" in reason and "sfp: allow-secret" in reason
    assert json.loads(run.out)["systemMessage"].startswith("🔒 sfp: refused a write of aws-access-key-id")
    assert not target.exists()


@pytest.mark.parametrize(("tool", "tool_input"), [
    ("Write", {"content": "import os\nKEY = os.environ['AWS_ACCESS_KEY_ID']\n"}),
    ("Write", {"content": f"KEY = '{AWS_KEY}'  # sfp: allow-secret\n"}),
    ("Read", {"content": f"KEY = '{AWS_KEY}'\n"}),
    ("Bash", {"command": f"echo {AWS_KEY}"}),
])
def test_clean_edits_marked_fixtures_and_other_tools_go_through(sfp: SfpRunner, project: Path, tool: str,
                                                                tool_input: dict[str, Any]) -> None:
    run = sfp("hook", input=call(tool, {"file_path": str(project / "a.py"), **tool_input}, project))
    assert run.code == 0 and decision(run.out) is None


def test_a_secret_already_in_the_file_is_not_the_edits_fault(sfp: SfpRunner, project: Path) -> None:
    target = project / "legacy.py"
    target.write_text(f"KEY = '{AWS_KEY}'\n")
    rewrite = call("Write", {"file_path": str(target), "content": f"KEY = '{AWS_KEY}'\nMORE = 1\n"}, project)
    assert decision(sfp("hook", input=rewrite).out) is None
    another = "AKIA" + "Q2W3E4R5T6Y7U8I9"
    added = call("Write", {"file_path": str(target), "content": f"KEY = '{AWS_KEY}'\nNEW = '{another}'\n"}, project)
    answer = decision(sfp("hook", input=added).out)
    assert answer is not None and "line 2 of the new text" in answer["permissionDecisionReason"]


def test_edit_and_multiedit_are_judged_by_what_they_add(sfp: SfpRunner, project: Path) -> None:
    edit = call("Edit", {"file_path": str(project / "a.py"), "old_string": "x", "new_string": f"k = '{AWS_KEY}'"},
                project)
    multi = call("MultiEdit", {"file_path": str(project / "a.py"), "edits": [
        {"old_string": "a", "new_string": "b"}, {"old_string": "c", "new_string": f"token = '{AWS_KEY}'"}]}, project)
    for payload in (edit, multi):
        answer = decision(sfp("hook", input=payload).out)
        assert answer is not None and answer["permissionDecision"] == "deny"


@pytest.mark.parametrize(("mode", "denied", "said"), [("warn", False, True), ("off", False, False)])
def test_the_guard_can_warn_or_be_off_in_your_own_config(sfp: SfpRunner, claude_dir: Path, project: Path,
                                                         mode: str, denied: bool, said: bool) -> None:
    (claude_dir / "sfp").mkdir(parents=True)
    (claude_dir / "sfp" / "sfp.yaml").write_text(f"secrets:\n  guard: {mode}\n")
    run = sfp("hook", input=call("Write", {"file_path": str(project / "a.py"), "content": f"k = '{AWS_KEY}'\n"},
                                 project))
    assert (decision(run.out) is not None) is denied
    assert ("systemMessage" in (json.loads(run.out) if run.out.strip() else {})) is said


def test_a_project_cannot_switch_the_guard_off(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "sfp.yaml").write_text("secrets:\n  guard: off\n")
    sfp("trust", str(project))
    run = sfp("hook", input=call("Write", {"file_path": str(project / "a.py"), "content": f"k = '{AWS_KEY}'\n"},
                                 project))
    assert decision(run.out) is not None


PROBE = """
import json, sys, time
from pathlib import Path
before = set(sys.modules)
from sfp.hooks import HookContext
from sfp.hooks.pre_tool_use import handle
from sfp.hooks.protocol import parse_event
result = handle(parse_event(sys.stdin.buffer.read()), HookContext(Path(sys.argv[1]), {}, time.monotonic() + 10, {}))
print(json.dumps({"result": repr(result), "loaded": sorted(set(sys.modules) - before)}))
"""


def test_a_tool_that_writes_nothing_loads_neither_config_nor_the_scanner(claude_dir: Path, project: Path) -> None:
    raw = call("Bash", {"command": "ls"}, project).encode()
    done = subprocess.run([sys.executable, "-c", PROBE, str(claude_dir)], input=raw, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    loaded = set(json.loads(done.stdout)["loaded"])
    assert not loaded & {"sfp.gates.secret_scan", "sfp.config.layers", "sfp.infra.redact"}, loaded


CLEAN_PROBE = """
import json, sys, time
from pathlib import Path
from sfp.hooks import HookContext
from sfp.hooks.pre_tool_use import handle
from sfp.hooks.protocol import parse_event
import sfp.infra.redact as redact
result = handle(parse_event(sys.stdin.buffer.read()), HookContext(Path(sys.argv[1]), {}, time.monotonic() + 10, {}))
print(json.dumps({"result": repr(result), "compiled": redact._ANCHORS is not None or redact._PATTERNS is not None}))
"""


def test_a_clean_write_compiles_none_of_the_secret_table(claude_dir: Path, project: Path) -> None:
    raw = call("Write", {"file_path": str(project / "a.py"), "content": "def add(a, b):\n    return a + b\n"},
               project).encode()
    done = subprocess.run([sys.executable, "-c", CLEAN_PROBE, str(claude_dir)], input=raw, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert json.loads(done.stdout)["compiled"] is False
