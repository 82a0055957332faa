"""`sfp demo`: a whole session's hook events, sent through `sfp hook` in a throwaway claude dir.

It runs the same file the person runs (the zipapp, or `python -m sfp` in a
checkout), as Claude Code would, so what it prints is what the client gets.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from sfp.infra.runtime import self_command, self_command_environ

SESSION = "5f0c1d2e-demo-4e6b-9a1c-0d3e5f7a9b11"

SAMPLE_PROJECT = {
    "pyproject.toml": '[project]\nname = "acme"\nversion = "0.1.0"\n',
    "src/acme/__init__.py": "",
    "src/acme/api.py": 'def create_user(name, email):\n    print("creating", name)  # debug\n    return {"name": name, "email": email}\n',
    # The project's own gate: no stray print() left in the package (critical: it goes back to Claude).
    ".sfp/gates.yaml": (
        "tiers:\n  fast:\n    gates:\n      - name: no-debug-print\n"
        "        command: \"! grep -n 'print(' src/acme/*.py\"\n        critical: true\n"
        "        file_patterns: [\"src/**/*.py\"]\n        fix: remove the debugging print() calls\n"
    ),
    # The project's own formatter for notes: trailing spaces go (any machine with python3 has it).
    ".sfp/auto_fix.yaml": (
        "formatters:\n  notes:\n    extensions: ['.txt']\n    command: >-\n"
        "      python3 -c \"import sys; p = sys.argv[1]; t = open(p).read();"
        " open(p, 'w').write(''.join(l.rstrip() + chr(10) for l in t.splitlines()))\"\n"
    ),
    "NOTES.txt": "first note   \nsecond note\t\n",
}
CONTEXT = "# Identity\nA developer who wants sessions that don't lose state.\n\n# Rules\n- Run the tests before saying done.\n"


def transcript_lines(project: Path) -> list[dict[str, Any]]:
    """A short session as the client records it: a prompt, two tasks (one done), an edit."""
    api = str(project / "src/acme/api.py")
    base = {"sessionId": SESSION, "cwd": str(project), "gitBranch": "main", "timestamp": "2026-11-24T10:00:00.000Z"}

    def assistant(block: dict[str, Any]) -> dict[str, Any]:
        return {**base, "type": "assistant", "message": {"role": "assistant", "content": [block]}}

    def result(tool_id: str, text: str) -> dict[str, Any]:
        return {**base, "type": "user", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool_id, "content": text}]}}

    return [
        {**base, "type": "user", "message": {"role": "user", "content": "Add email validation to create_user"}},
        assistant({"type": "tool_use", "id": "t1", "name": "TaskCreate", "input": {"subject": "Add email validation"}}),
        result("t1", "Task #1 created successfully: Add email validation"),
        assistant({"type": "tool_use", "id": "t2", "name": "TaskCreate", "input": {"subject": "Write tests for it"}}),
        result("t2", "Task #2 created successfully: Write tests for it"),
        assistant({"type": "tool_use", "id": "t3", "name": "Edit", "input": {"file_path": api}}),
        result("t3", "The file has been updated."),
        assistant({"type": "tool_use", "id": "t4", "name": "TaskUpdate", "input": {"taskId": "1", "status": "completed"}}),
        result("t4", "Updated task #1 status"),
        assistant({"type": "text", "text": "Validation added; the tests are next."}),
    ]


def demo(out: IO[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="sfp-demo-") as tmp:
        root = Path(tmp)
        claude_dir, project = root / "claude", root / "acme"
        _write_tree(project, SAMPLE_PROJECT)
        transcript = root / "transcript.jsonl"
        transcript.write_text("".join(json.dumps(line) + "\n" for line in transcript_lines(project)), encoding="utf-8")
        out.write(f"sfp demo — a throwaway claude dir in {root}\n")
        out.write(f"each step sends one hook event to `{shlex.join([*self_command(), 'hook'])}`, as Claude Code does\n\n")
        failures = _step(out, "Session starts, no ~/.claude/.context/CLAUDE.md yet",
                         {"hook_event_name": "SessionStart", "source": "startup"}, claude_dir, project, transcript)
        _write_tree(claude_dir / ".context", {"CLAUDE.md": CONTEXT})
        steps: list[tuple[str, dict[str, Any]]] = [
            ("Session starts again, context file in place: healthy, so nothing is said",
             {"hook_event_name": "SessionStart", "source": "startup"}),
            ("The person sends a prompt", {"hook_event_name": "UserPromptSubmit", "prompt": "Add email validation"}),
            ("The person sends another prompt: the tags were sent already, nothing is added",
             {"hook_event_name": "UserPromptSubmit", "prompt": "and the tests?"}),
            ("Claude edits a file with trailing spaces: the project's formatter tidies it", {
                "hook_event_name": "PostToolUse", "tool_name": "Edit",
                "tool_input": {"file_path": str(project / "NOTES.txt")}, "tool_response": {}}),
            ("Claude stops: the project's critical gate fails, so Claude is sent back to fix it",
             {"hook_event_name": "Stop", "stop_hook_active": False}),
            ("Claude stops again while fixing (stop_hook_active): never blocked twice",
             {"hook_event_name": "Stop", "stop_hook_active": True}),
            ("The context is compacted: handoff and backup first",
             {"hook_event_name": "PreCompact", "trigger": "manual", "custom_instructions": None}),
            ("The session goes on after compaction: the handoff comes back",
             {"hook_event_name": "SessionStart", "source": "compact"}),
            ("The session ends: one more handoff", {"hook_event_name": "SessionEnd", "reason": "other"}),
            ("Broken input (not JSON) is logged, never a traceback", {"_raw": "{not json"}),
        ]
        for title, payload in steps:
            failures += _step(out, title, payload, claude_dir, project, transcript)
        out.write("sfp's log of this demo (`sfp logs`):\n")
        from sfp.commands.logs import format_line
        from sfp.infra.log import read_records

        for record in read_records(claude_dir):
            out.write(f"  {format_line(record, as_json=False)}\n")
        out.write(f"\nleft on disk: {_inventory(claude_dir)}\n")
    out.write("\n" + ("demo finished: every hook answered as the client expects\n" if not failures
                      else f"demo finished with {failures} unexpected answer(s)\n"))
    return 1 if failures else 0


def _inventory(claude_dir: Path) -> str:
    counts = {name: len([p for p in (claude_dir / name).iterdir() if not p.name.startswith(".")])
              for name in ("handoffs", "backups", "kpis", "logs") if (claude_dir / name).is_dir()}
    return ", ".join(f"{name}/ ({count})" for name, count in counts.items()) or "nothing"


def _step(out: IO[str], title: str, payload: dict[str, Any], claude_dir: Path, project: Path, transcript: Path) -> int:
    if "_raw" in payload:
        raw = str(payload["_raw"]).encode()
    else:
        event = {"session_id": SESSION, "transcript_path": str(transcript), "cwd": str(project), **payload}
        raw = json.dumps(event).encode()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "SFP_"))}
    env.update(CLAUDE_CONFIG_DIR=str(claude_dir), CLAUDE_PROJECT_DIR=str(project), **self_command_environ())
    started = time.monotonic()
    result = subprocess.run([*self_command(), "hook"], input=raw, capture_output=True, env=env, cwd=project, timeout=120)
    elapsed = (time.monotonic() - started) * 1000
    out.write(f"▶ {title}\n  {payload.get('hook_event_name', 'hook')} → exit {result.returncode} in {elapsed:.0f} ms\n")
    stdout = result.stdout.decode("utf-8", "replace").strip()
    problem = 0
    if stdout:
        try:
            answer = json.loads(stdout)
        except ValueError:
            out.write(f"  unexpected output: {stdout[:200]}\n")
            problem = 1
        else:
            out.write(_describe_answer(answer))
    elif result.returncode == 0:
        out.write("  (nothing to say: the client adds nothing)\n")
    if result.stderr.strip():
        out.write(f"  stderr: {result.stderr.decode('utf-8', 'replace').strip()[:300]}\n")
    if result.returncode not in (0, 2) or b"Traceback" in result.stderr:
        problem = 1
    out.write("\n")
    return problem


def _describe_answer(answer: dict[str, Any]) -> str:
    lines = []
    specific = answer.get("hookSpecificOutput") or {}
    if specific.get("additionalContext"):
        lines.append("  to the model:")
        lines += [f"    │ {line}" for line in str(specific["additionalContext"]).splitlines()]
    if answer.get("decision") == "block":
        lines.append("  Claude keeps working on:")
        lines += [f"    │ {line}" for line in str(answer.get("reason", "")).splitlines()]
    if answer.get("systemMessage"):
        lines.append(f"  to you: {answer['systemMessage']}")
    return "\n".join(lines) + "\n" if lines else "  (empty answer)\n"


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    del args, claude_dir  # the demo makes its own
    return demo(out=out)
