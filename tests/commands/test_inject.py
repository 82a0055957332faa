"""`sfp inject --prompt TEXT [--session ID]`: exactly what the UserPromptSubmit hook adds, once per session with --session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SfpRunner
from helpers import DATA


def with_sample(claude_dir: Path) -> None:
    shutil.copytree(DATA / "context" / "dot-context", claude_dir / ".context")


def hook_context(sfp: SfpRunner, project: Path, session: str) -> str:
    payload = {"hook_event_name": "UserPromptSubmit", "session_id": session, "cwd": str(project), "prompt": "test",
               "transcript_path": str(project / "absent.jsonl")}
    run = sfp("hook", input=json.dumps(payload))
    assert run.code == 0, run.err
    context: str = json.loads(run.out)["hookSpecificOutput"]["additionalContext"]
    return context


def test_inject_prints_what_the_hook_adds(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    with_sample(claude_dir)
    run = sfp("inject", "--prompt", "test", cwd=project)
    assert run.code == 0, run.err
    assert run.out.startswith("[sfp] Context from your context files (")
    assert "[K:identity] Name: Ana García (she/her)" in run.out
    assert run.out == hook_context(sfp, project, "s-hook") + "\n"


def test_without_a_session_it_prints_every_time_and_remembers_nothing(sfp: SfpRunner, claude_dir: Path,
                                                                      project: Path) -> None:
    with_sample(claude_dir)
    first = sfp("inject", "--prompt", "test", cwd=project)
    assert first.out and sfp("inject", "--prompt", "test", cwd=project).out == first.out
    assert not (claude_dir / "sfp" / "state" / "sessions").exists()


def test_with_a_session_it_is_the_hook_once_per_session(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    with_sample(claude_dir)
    assert sfp("inject", "--prompt", "a", "--session", "s1", cwd=project).out
    assert sfp("inject", "--prompt", "b", "--session", "s1", cwd=project).out == ""
    (claude_dir / ".context" / "rules.md").write_text("- Squash before merging\n")
    again = sfp("inject", "--prompt", "c", "--session", "s1", cwd=project)
    assert "updated since earlier in this session" in again.out and "Squash before merging" in again.out
    # The hook shares the state: this session has had its tags.
    payload = {"hook_event_name": "UserPromptSubmit", "session_id": "s1", "cwd": str(project), "prompt": "d"}
    assert sfp("hook", input=json.dumps(payload)).out == ""


def test_nothing_to_add_prints_nothing(sfp: SfpRunner, project: Path) -> None:
    run = sfp("inject", "--prompt", "test", cwd=project)
    assert (run.code, run.out, run.err) == (0, "", "")


def test_prompt_is_required(sfp: SfpRunner) -> None:
    run = sfp("inject")
    assert run.code == 2 and "--prompt" in run.err


def test_json_says_what_would_be_added_its_size_and_whether_the_session_had_it(sfp: SfpRunner, claude_dir: Path,
                                                                                project: Path) -> None:
    with_sample(claude_dir)
    first = sfp("inject", "--prompt", "test", "--session", "s-json", "--json", cwd=project).json()
    assert isinstance(first, dict) and first["schema"] == "sfp.inject/1" and first["session_id"] == "s-json"
    assert first["added"] is True and first["already_added"] is False and first["tag_count"] > 0
    assert first["context"] + "\n" == sfp("inject", "--prompt", "test", cwd=project).out
    assert first["size_chars"] == len(first["context"])
    again = sfp("inject", "--prompt", "test", "--session", "s-json", "--json", cwd=project).json()
    assert again == {**first, "context": None, "size_chars": 0, "added": False, "already_added": True,
                     "reason": "already added in this session", "tag_count": 0, "dropped_tag_count": 0}
