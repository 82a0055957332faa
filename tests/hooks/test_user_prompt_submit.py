"""UserPromptSubmit: tags once per session, again after compaction or a context change; evidence only when wrong."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import DATA
from sfp.hooks import HookContext
from sfp.hooks.runner import run_hook
from sfp.hooks.user_prompt_submit import handle
from sfp.hooks.protocol import HookEvent
from sfp.infra.session_state import read_section, state_path

SESSION = "bb4d8064-6c68-4243-a46f-ce1e3b32b275"
BOUNDARY = b'{"parentUuid":null,"type":"system","subtype":"compact_boundary","content":"Conversation compacted"}\n'
HEADER = "[sfp] Context from your context files (~/.claude/.context):"


class Session:
    """A person's home with sample context files, a project, a transcript, and prompts sent through the hook."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.claude = self.home / ".claude"
        self.project = self.home / "acme-api"
        self.project.mkdir(parents=True)
        shutil.copytree(DATA / "context" / "dot-context", self.claude / ".context")
        self.transcript = self.claude / "projects" / "acme" / f"{SESSION}.jsonl"
        self.transcript.parent.mkdir(parents=True)
        self.transcript.write_bytes(b'{"type":"user","message":{"role":"user","content":"hi"}}\n')
        self.environ = {"HOME": str(self.home)}

    def event(self, session: str | None = SESSION, prompt: str = "Add email validation") -> HookEvent:
        payload = {"session_id": session, "transcript_path": str(self.transcript), "cwd": str(self.project),
                   "hook_event_name": "UserPromptSubmit", "prompt": prompt}
        return HookEvent("UserPromptSubmit", session, str(self.transcript), str(self.project), payload)

    def prompt(self, session: str | None = SESSION) -> str | None:
        ctx = HookContext(self.claude, self.environ, time.monotonic() + 10, {})
        return handle(self.event(session), ctx).context

    def grow_transcript(self, data: bytes) -> None:
        with open(self.transcript, "ab") as file:
            file.write(data)

    def config(self, text: str) -> None:
        path = self.claude / "sfp" / "sfp.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def state(self) -> dict[str, Any]:
        return read_section(self.claude, SESSION, "tags")


@pytest.fixture
def s(tmp_path: Path) -> Session:
    return Session(tmp_path)


def touch_later(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


# --- once per session --------------------------------------------------------------------------------------

def test_the_first_prompt_gets_the_tags_under_a_header(s: Session) -> None:
    context = s.prompt()
    assert context is not None
    lines = context.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == "[K:identity] Name: Ana García (she/her)"
    assert "[C:triggers] Before 15 December: freeze deploys" in lines
    assert all(line.startswith("[") for line in lines)
    assert len(context) <= 2000


def test_later_prompts_add_nothing(s: Session) -> None:
    assert s.prompt()
    s.grow_transcript(b'{"type":"assistant"}\n' * 50)
    assert s.prompt() is None
    assert s.prompt() is None


def test_each_session_gets_its_own_first_prompt(s: Session) -> None:
    assert s.prompt("session-one")
    assert s.prompt("session-two")
    assert s.prompt("session-one") is None


def test_after_a_compaction_the_tags_go_in_once_more(s: Session) -> None:
    assert s.prompt()
    s.grow_transcript(b'{"type":"assistant"}\n' + BOUNDARY + b'{"type":"user","isCompactSummary":true}\n')
    context = s.prompt()
    assert context is not None and context.startswith(HEADER)
    assert s.prompt() is None


def test_a_boundary_already_seen_does_not_count_again(s: Session) -> None:
    s.grow_transcript(BOUNDARY)  # compacted before sfp saw the session: the first prompt covers it
    assert s.prompt()
    s.grow_transcript(b'{"type":"user"}\n')
    assert s.prompt() is None


def test_a_changed_context_file_sends_the_tags_again_marked_updated(s: Session) -> None:
    assert s.prompt()
    rules = s.claude / ".context" / "rules.md"
    rules.write_text(rules.read_text() + "- Squash before merging\n")
    context = s.prompt()
    assert context is not None
    assert context.splitlines()[0] == \
        "[sfp] Context from your context files (~/.claude/.context), updated since earlier in this session:"
    assert "[U:rules] Squash before merging" in context
    assert s.prompt() is None


def test_a_context_file_only_touched_or_newly_created_counts_as_a_change(s: Session) -> None:
    assert s.prompt()
    touch_later(s.claude / ".context" / "identity.md")
    assert s.prompt()
    (s.project / "CLAUDE.md").write_text("## Rules\n- project rule\n")
    context = s.prompt()
    assert context is not None and "[U:rules] project rule" in context
    assert "and this project's CLAUDE.md" in context.splitlines()[0]


def test_a_deleted_context_file_counts_as_a_change(s: Session) -> None:
    assert s.prompt()
    (s.claude / ".context" / "triggers.md").unlink()
    context = s.prompt()
    assert context is not None and "freeze deploys" not in context


def test_without_a_session_id_every_prompt_gets_the_tags(s: Session) -> None:
    assert s.prompt(None)
    assert s.prompt(None)
    assert not (s.claude / "sfp" / "state" / "sessions").exists()


def test_the_state_records_fingerprint_transcript_and_offset(s: Session) -> None:
    s.prompt()
    state = s.state()
    assert state["transcript"] == str(s.transcript)
    assert state["scanned_to"] == s.transcript.stat().st_size
    assert state["reason"] == "first prompt of the session"
    assert [entry[0] for entry in state["fingerprint"]][:2] == \
        [str(s.claude / ".context" / "CLAUDE.md"), str(s.claude / ".context" / "identity.md")]


def test_small_transcript_growth_writes_nothing_but_a_large_one_saves_the_offset(s: Session) -> None:
    s.prompt()
    path = state_path(s.claude, SESSION)
    before = path.read_bytes()
    s.grow_transcript(b'{"type":"assistant","x":"' + b"a" * 1000 + b'"}\n')
    assert s.prompt() is None
    assert path.read_bytes() == before
    s.grow_transcript((b'{"type":"assistant","x":"' + b"a" * 100_000 + b'"}\n') * 12)
    assert s.prompt() is None
    assert s.state()["scanned_to"] == s.transcript.stat().st_size
    s.grow_transcript(BOUNDARY)
    assert s.prompt()  # found in the bytes after the saved offset


def test_a_transcript_that_does_not_exist_yet(s: Session) -> None:
    s.transcript.unlink()
    assert s.prompt()
    assert s.state()["scanned_to"] == 0
    s.transcript.write_bytes(b'{"type":"user"}\n')
    assert s.prompt() is None
    s.grow_transcript(BOUNDARY)
    assert s.prompt()


def test_old_session_states_are_pruned_when_writing(s: Session) -> None:
    s.prompt("old-session")
    old = state_path(s.claude, "old-session")
    os.utime(old, (time.time() - 30 * 86400,) * 2)
    s.prompt()
    assert not old.exists() and state_path(s.claude, SESSION).exists()


def test_when_the_state_cant_be_written_the_tags_still_go_in_and_a_warning_is_logged(s: Session) -> None:
    (s.claude / "sfp").write_text("not a folder")
    ctx = HookContext(s.claude, s.environ, time.monotonic() + 10, {})
    assert handle(s.event(), ctx).context
    log = (s.claude / "logs" / "sfp.log").read_text()
    assert "session state not saved" in log


# --- content: nothing, evidence, budget, settings ----------------------------------------------------------

def test_no_context_files_and_a_healthy_project_add_nothing(s: Session) -> None:
    shutil.rmtree(s.claude / ".context")
    assert s.prompt() is None
    assert s.state()["reason"] == "first prompt of the session"  # remembered, so later prompts stay cheap


def test_evidence_is_added_only_when_a_check_warns_or_fails(s: Session) -> None:
    context = s.prompt()
    assert context is not None and "Project checks" not in context
    (s.project / "package.json").write_text(json.dumps({"dependencies": {"left-pad": "1"}}))
    context = s.prompt("second-session")
    assert context is not None
    tags_part, evidence_part = context.split("\n\n")
    assert tags_part.startswith(HEADER)
    assert evidence_part == (
        "[sfp] Project checks for ~/acme-api:\n"
        "- dependencies-check (warning): package.json declares dependencies but there is no node_modules."
        " Fix: run `npm install`.")


def test_evidence_problems_alone_are_still_said(s: Session) -> None:
    shutil.rmtree(s.claude / ".context")
    (s.project / "package.json").write_text("{broken")
    context = s.prompt()
    assert context is not None and context.startswith("[sfp] Project checks for ~/acme-api:")
    assert "package.json does not parse" in context


def test_evidence_can_be_turned_off(s: Session) -> None:
    s.config("tags:\n  evidence: false\n")
    (s.project / "package.json").write_text("{broken")
    context = s.prompt()
    assert context is not None and "Project checks" not in context


def test_the_budget_drops_tags_from_the_end_and_says_how_many(s: Session) -> None:
    s.config("tags:\n  budget_chars: 600\n")
    context = s.prompt()
    assert context is not None and len(context) <= 600
    lines = context.splitlines()
    assert lines[1] == "[K:identity] Name: Ana García (she/her)"  # the first tags stay
    assert lines[-1].startswith("[sfp] ") and "more tags left out to stay within 600 characters" in lines[-1]
    dropped = int(lines[-1].split()[1])
    assert len(lines) - 2 + dropped == 28  # every tag of the sample context folder


def test_the_budget_holds_with_evidence_too(s: Session) -> None:
    s.config("tags:\n  budget_chars: 700\n")
    (s.project / "package.json").write_text(json.dumps({"dependencies": {"left-pad": "1"}}))
    context = s.prompt()
    assert context is not None and len(context) <= 700
    assert "more tags left out" in context and context.endswith("Fix: run `npm install`.")


def test_settings_choose_the_files_and_the_value_length(s: Session) -> None:
    s.config("tags:\n  files: [constraints.md]\n  project_claude_md: false\n  max_value_chars: 40\n")
    (s.project / "CLAUDE.md").write_text("## Rules\n- project rule\n")
    context = s.prompt()
    assert context is not None
    lines = context.splitlines()[1:]
    assert all(line.startswith("[C:constraints] ") for line in lines) and len(lines) == 3
    assert all(len(line.split("] ", 1)[1]) <= 40 for line in lines)


def test_tags_can_be_turned_off(s: Session) -> None:
    s.config("tags:\n  enabled: false\n")
    assert s.prompt() is None
    assert s.state() == {}


def test_unreadable_context_files_are_logged_and_the_rest_injected(s: Session) -> None:
    (s.claude / ".context" / "rules.md").unlink()
    (s.claude / ".context" / "rules.md").mkdir()
    ctx = HookContext(s.claude, s.environ, time.monotonic() + 10, {})
    assert handle(s.event(), ctx).context
    assert "rules.md: not a regular file" in (s.claude / "logs" / "sfp.log").read_text()


# --- through the runner ------------------------------------------------------------------------------------

def run(s: Session, tmp_path: Path, payload: dict[str, Any]) -> tuple[int, str]:
    stdin = tmp_path / "stdin.json"
    stdin.write_text(json.dumps(payload))
    out, err = io.StringIO(), io.StringIO()
    with open(stdin, "rb") as file:
        code = run_hook(None, s.claude, file, out, err, environ=s.environ)
    assert err.getvalue() == ""
    return code, out.getvalue()


def test_the_runner_answers_with_additional_context_once(s: Session, tmp_path: Path) -> None:
    payload = json.loads((DATA / "payloads" / "01-UserPromptSubmit.json").read_text())
    payload |= {"cwd": str(s.project), "transcript_path": str(s.transcript)}
    code, out = run(s, tmp_path, payload)
    assert code == 0
    answer = json.loads(out)
    assert answer["hookSpecificOutput"]["hookEventName"] == "UserPromptSubmit"
    assert answer["hookSpecificOutput"]["additionalContext"].startswith(HEADER)
    assert run(s, tmp_path, payload) == (0, "")
    records = [json.loads(line) for line in (s.claude / "logs" / "sfp.log").read_text().splitlines()]
    assert [r["event"] for r in records] == ["UserPromptSubmit", "UserPromptSubmit"]
    assert records[0]["message"].startswith("handled: context") and records[1]["message"] == "handled"


def test_a_broken_user_config_is_left_out_and_logged_once(s: Session, tmp_path: Path) -> None:
    s.config("tags:\n  budget_chars: [not, a, number\n")
    payload = json.loads((DATA / "payloads" / "01-UserPromptSubmit.json").read_text())
    payload |= {"cwd": str(s.project), "transcript_path": str(s.transcript)}
    code, out = run(s, tmp_path, payload)
    assert code == 0 and json.loads(out)["hookSpecificOutput"]["additionalContext"].startswith(HEADER)
    records = [json.loads(line) for line in (s.claude / "logs" / "sfp.log").read_text().splitlines()]
    left_out = [r for r in records if "config layer left out" in r["message"]]
    assert len(left_out) == 1 and "sfp.yaml:2:" in left_out[0]["message"]
