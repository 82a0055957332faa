"""Auto-format at PostToolUse under the real client, with sfp installed by `sfp install`.

The project's `.sfp/auto_fix.yaml` maps `.txt` to a small formatter the tests ship
(`data/e2e_formatter.py`, copied into the sandbox as an executable named by its absolute path). A
scripted Write of a badly formatted file, then an Edit of it, must each leave it formatted on disk,
with an `auto_fix` KPI event; a file of a type with no formatter is left alone.

What reaches the model (2.1.197, seen here): sfp's `systemMessage` (`🧹 sfp: formatted …`) does not; it
is recorded in the transcript as a `hook_system_message` attachment, for the person. The client itself
notices the hook changed the file and tells the model, inside the tool result's user message:
`<system-reminder>PostToolUse:Write hook additional context: PostToolUse hook modified <path> after
your edit (likely a formatter). …</system-reminder>`; an Edit that follows needs no new Read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.client import Result, Sandbox, logged, sfp_log
from e2e.model_server import ModelServer, Request, all_text, call, say, texts_of

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
FORMATTER_SOURCE = Path(__file__).resolve().parent / "data" / "e2e_formatter.py"
FORMATTER_NAME = "e2e-notes"
CONTEXT_TEXT = "# Context\n\nThe e2e project for auto-format.\n"
BAD_NOTES = "todo: ship it\n\n\n\nsecond line\n\n\n"
FORMATTED_NOTES = "TODO: ship it\n\nsecond line\n"
EDIT_OLD = "second line"
EDIT_NEW = "second line\n\n\n\ntodo: test it"
FORMATTED_AFTER_EDIT = "TODO: ship it\n\nsecond line\n\nTODO: test it\n"
UNFORMATTED_LOG = "todo: keep me\n\n\n\nas I am\n"
PERSON_LINE = "🧹 sfp: formatted notes.txt with "
CLIENT_NOTE = "PostToolUse hook modified {path} after your edit (likely a formatter)"


def install_formatter(sandbox: Sandbox) -> Path:
    """The formatter as a person would have one: an executable file, here with a `#!` naming this Python."""
    target = sandbox.home / "tools" / "e2e-format"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"#!{sys.executable}\n" + FORMATTER_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    target.chmod(0o755)
    return target


def install_sfp(sandbox: Sandbox, sfp_pyz: Path) -> Path:
    """sfp installed as the README does it, a context file (a quiet health check), and a project
    auto_fix.yaml whose `.txt` formatter is the tests' script; returns the formatter's path."""
    pyz = sandbox.install_sfp(sfp_pyz, context=CONTEXT_TEXT)
    formatter = install_formatter(sandbox)
    (sandbox.project / ".sfp").mkdir()
    (sandbox.project / ".sfp" / "auto_fix.yaml").write_text(
        f"formatters:\n  {FORMATTER_NAME}:\n    extensions: ['.txt']\n    command: '{formatter}'\n", encoding="utf-8")
    # sfp ignores a project's .sfp/ until the person trusts it.
    trusted = sandbox.sfp(pyz, "trust", str(sandbox.project))
    assert trusted.code == 0, trusted.describe()
    return formatter


def kpi_events(claude_dir: Path, kind: str) -> list[dict[str, Any]]:
    path = claude_dir / "kpis" / "events.jsonl"
    if not path.exists():
        return []
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in events if e.get("kind") == kind]


def tool_results(request: Request) -> list[dict[str, Any]]:
    found = []
    for message in (request.body or {}).get("messages") or []:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            found += [block for block in content if isinstance(block, dict) and block.get("type") == "tool_result"]
    return found


@dataclass(frozen=True)
class Formatted:
    sandbox: Sandbox
    model: ModelServer
    session_id: str
    notes: Path
    other: Path
    formatter: Path
    run: Result
    after_write: str  # notes.txt as the formatter left it after the Write, before the Edit


@pytest.fixture(scope="module")
def formatted(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Formatted]:
    """A Write of a badly formatted notes.txt, an Edit of it, a Write of a .log file (no formatter)."""
    with ModelServer() as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-autofix"), model.url)
        formatter = install_sfp(sandbox, sfp_pyz)
        notes = sandbox.project / "notes.txt"
        other = sandbox.project / "keep.log"
        model.push(call("Write", file_path=str(notes), content=BAD_NOTES),
                   call("Edit", file_path=str(notes), old_string=EDIT_OLD, new_string=EDIT_NEW),
                   call("Write", file_path=str(other), content=UNFORMATTED_LOG), say("written"))
        run = sandbox.run("write the notes", timeout=RUN_TIMEOUT)
        yield Formatted(sandbox, model, run.session_id, notes, other, formatter, run,
                        file_before_edit(sandbox, run.session_id))


def file_before_edit(sandbox: Sandbox, session: str) -> str:
    """The edited file as the client read it just before the Edit: the transcript's `originalFile` (an
    Edit's toolUseResult has `oldString` and no `type`; a Write's has `type: "create"`)."""
    [edit] = [r["toolUseResult"] for r in sandbox.transcript(session)
              if isinstance(r.get("toolUseResult"), dict) and "oldString" in r["toolUseResult"]]
    return str(edit.get("originalFile"))


def test_the_written_file_is_formatted_on_disk(formatted: Formatted) -> None:
    assert formatted.run.output["result"] == "written", formatted.run.describe()
    assert formatted.after_write == FORMATTED_NOTES, "the Write's file was not formatted before the Edit"
    assert formatted.notes.read_text(encoding="utf-8") == FORMATTED_AFTER_EDIT


def test_a_file_without_a_formatter_is_left_as_written(formatted: Formatted) -> None:
    assert formatted.other.read_text(encoding="utf-8") == UNFORMATTED_LOG


def test_each_formatter_run_is_an_auto_fix_event(formatted: Formatted) -> None:
    events = [e for e in kpi_events(formatted.sandbox.claude_dir, "auto_fix")
              if e.get("session") == formatted.session_id]

    assert len(events) == 2, f"expected one event for the Write and one for the Edit of notes.txt: {events}"
    for event in events:
        assert (event["extension"], event["file_type"], event["formatter"]) == (".txt", FORMATTER_NAME,
                                                                               str(formatted.formatter)), event
        assert (event["status"], event["changed"], event["reason"]) == ("formatted", True, None), event
    posts = logged(sfp_log(formatted.sandbox.claude_dir), "PostToolUse", formatted.session_id)
    assert [p["message"] for p in posts] == ["handled: message", "handled: message", "handled"], posts
    warnings = [r for r in sfp_log(formatted.sandbox.claude_dir) if r.get("level") != "info"]
    assert warnings == [], warnings


def test_the_person_line_does_not_reach_the_model(formatted: Formatted) -> None:
    for request in formatted.model.requests:
        assert "sfp: formatted" not in all_text(request), "sfp's systemMessage reached the model"
    shown = [r["attachment"]["content"] for r in formatted.sandbox.transcript(formatted.session_id)
             if isinstance(r.get("attachment"), dict) and r["attachment"].get("type") == "hook_system_message"]
    assert shown == [f"{PERSON_LINE}{formatted.formatter}"] * 2, shown


def test_the_client_tells_the_model_the_hook_changed_the_file(formatted: Formatted) -> None:
    after_write = formatted.model.main_requests()[1]
    [result] = tool_results(after_write)
    note = CLIENT_NOTE.format(path=formatted.notes)

    assert "File created successfully" in "".join(texts_of(result.get("content")))
    assert note in all_text(after_write), all_text(after_write)[-2000:]
    # The Edit that followed, without a new Read, went through.
    after_edit = formatted.model.main_requests()[2]
    edit_result = tool_results(after_edit)[-1]
    assert not edit_result.get("is_error"), edit_result
    assert "has been updated" in "".join(texts_of(edit_result.get("content"))), edit_result
