"""PostCompact keeps the client's summary with the compaction's handoff; task events feed a handoff's tasks."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SfpRunner
from sfp.handoff.store import list_handoffs, load_handoff

TOKEN = "ghp_" + "Zq7xW2vB5n" * 4  # sfp: allow-secret


def event(name: str, project: Path, **extra: object) -> str:
    return json.dumps({"hook_event_name": name, "session_id": "s1", "cwd": str(project),
                       "transcript_path": str(project / "none.jsonl"), **extra})


def test_the_clients_summary_is_kept_redacted_with_the_compactions_handoff(sfp: SfpRunner, claude_dir: Path,
                                                                           project: Path) -> None:
    assert sfp("hook", input=event("PreCompact", project, trigger="manual")).code == 0
    summary = f"Working on email validation; deploy token {TOKEN}; tests still red."
    assert sfp("hook", input=event("PostCompact", project, trigger="manual", compact_summary=summary)).code == 0
    [stored] = list_handoffs(claude_dir)
    handoff = load_handoff(stored)
    assert handoff is not None and handoff.client_summary is not None
    assert "email validation" in handoff.client_summary and TOKEN not in handoff.client_summary
    markdown = stored.markdown.read_text()
    assert "## The client's own summary (PostCompact)" in markdown and TOKEN not in markdown


def test_a_summary_without_a_handoff_of_the_session_changes_nothing(sfp: SfpRunner, claude_dir: Path,
                                                                    project: Path) -> None:
    assert sfp("hook", input=event("PostCompact", project, compact_summary="x")).code == 0
    assert list_handoffs(claude_dir) == []


def test_task_events_become_the_handoffs_tasks_when_the_transcript_has_none(sfp: SfpRunner, claude_dir: Path,
                                                                            project: Path) -> None:
    for name, task_id, subject in (("TaskCreated", "1", "Write the parser"), ("TaskCreated", "2", "Ship it"),
                                   ("TaskCompleted", "1", "Write the parser")):
        assert sfp("hook", input=event(name, project, task_id=task_id, task_subject=subject)).code == 0
    assert sfp("hook", input=event("PreCompact", project, trigger="auto")).code == 0
    [stored] = list_handoffs(claude_dir)
    handoff = load_handoff(stored)
    assert handoff is not None
    assert [(t.id, t.subject) for t in handoff.open_tasks] == [("2", "Ship it")]
    assert [(t.id, t.subject) for t in handoff.completed_tasks] == [("1", "Write the parser")]
