"""SessionStart through `sfp hook`: silent when healthy; the handoff back after compact/resume, this project's only."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SfpRunner
from sfp.handoff.record import build_handoff
from sfp.handoff.store import write_handoff
from sfp.claude.transcript_summary import Task, Transcript


def healthy(claude_dir: Path) -> None:
    (claude_dir / ".context").mkdir(exist_ok=True)
    (claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\nme\n")


def event(cwd: Path, source: str) -> str:
    return json.dumps({"hook_event_name": "SessionStart", "session_id": "new-session", "cwd": str(cwd),
                       "transcript_path": str(cwd / "t.jsonl"), "source": source})


def save_handoff(claude_dir: Path, cwd: Path, prompt: str) -> None:
    transcript = Transcript(prompts=("first", prompt), files_written=(str(cwd / "src" / "app.py"),),
                            tasks=(Task("1", "Ship it", "completed"), Task("2", "Write the docs", "pending")))
    write_handoff(claude_dir, build_handoff(transcript, session_id="old12345", cwd=str(cwd), git=None, trigger="manual"))


def context_of(run_out: str) -> str:
    return json.loads(run_out)["hookSpecificOutput"]["additionalContext"] if run_out else ""


def test_healthy_startup_without_handoffs_says_nothing(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    healthy(claude_dir)
    run = sfp("hook", input=event(project, "startup"))
    assert (run.code, run.out, run.err) == (0, "", "")


def test_unhealthy_startup_tells_the_model_and_the_person(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir()  # set up for TAGs, and its CLAUDE.md lost
    run = sfp("hook", input=event(project, "startup"))
    answer = json.loads(run.out)
    assert "context_integrity" in answer["hookSpecificOutput"]["additionalContext"]
    assert answer["systemMessage"].startswith("⚠️ sfp health: degraded — context_integrity")
    assert len(answer["systemMessage"].splitlines()) == 1


def test_after_compaction_the_handoff_comes_back(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    healthy(claude_dir)
    save_handoff(claude_dir, project, "please finish the release notes")
    text = context_of(sfp("hook", input=event(project, "compact")).out)
    assert text.startswith("[sfp] Record of earlier work in this project, saved before the context was compacted")
    assert "[pending] #2 Write the docs" in text and "#1 Ship it" in text
    assert str(project / "src" / "app.py") in text
    assert "> please finish the release notes" in text


def test_resume_brings_it_back_too(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    healthy(claude_dir)
    save_handoff(claude_dir, project, "resume me")
    assert "> resume me" in context_of(sfp("hook", input=event(project, "resume")).out)


def test_resuming_the_same_session_does_not_repeat_its_own_record(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    healthy(claude_dir)
    save_handoff(claude_dir, project, "x")  # written by session old12345
    same = json.loads(event(project, "resume")) | {"session_id": "old12345"}
    assert sfp("hook", input=json.dumps(same)).out == ""


def test_another_projects_handoff_never_comes_back(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    healthy(claude_dir)
    other, mine = tmp_path / "other", tmp_path / "mine"
    other.mkdir()
    mine.mkdir()
    save_handoff(claude_dir, other, "the other project's secret plan")
    run = sfp("hook", input=event(mine, "compact"))
    assert run.out == ""


def test_startup_gets_a_one_line_pointer(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    healthy(claude_dir)
    save_handoff(claude_dir, project, "x")
    text = context_of(sfp("hook", input=event(project, "startup")).out)
    assert len(text.splitlines()) == 1 and text.startswith("[sfp] A handoff from an earlier session in this project")
    assert "1 open task(s)" in text


def test_startup_pointer_can_be_turned_off(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    healthy(claude_dir)
    save_handoff(claude_dir, project, "x")
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("handoff:\n  on_startup: off\n")
    assert sfp("hook", input=event(project, "startup")).out == ""


def test_no_context_folder_at_all_is_silent_at_session_start(sfp: SfpRunner, project: Path) -> None:
    run = sfp("hook", input=event(project, "startup"))
    assert run.code == 0 and "context_integrity" not in run.out
