"""sfp.handoff.checkpoint: the handoff from a transcript and git, then backup and retention in one sequence."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from handoff.sample import FIXTURE
from sfp.backup.create import create_backup
from sfp.backup.model import BackupSettings
from sfp.backup.store import list_backups
from sfp.claude.transcript_summary import Transcript
from sfp.handoff.checkpoint import MEMO_KEY, checkpoint, make_handoff
from sfp.handoff.record import build_handoff
from sfp.handoff.store import list_handoffs, load_handoff, write_handoff

SESSION = "bb4d8064-6c68-4243-a46f-ce1e3b32b275"  # the recorded transcript's session
OLD = 1_700_000_000  # long before any checkpoint a test makes


def test_make_handoff_reads_git_for_real(claude_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def run(*a: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)

    run("init", "-q", "-b", "feature")
    (repo / "a.py").write_text("x = 1\n")
    run("add", "a.py")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    (repo / "a.py").write_text("x = 1\ny = 2\nz = 3\n")
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(json.dumps({"type": "assistant", "cwd": str(repo), "message": {"content": [
        {"type": "tool_use", "id": "t1", "name": "Edit", "input": {"file_path": str(repo / "a.py")}}]}}) + "\n")
    stored, h = make_handoff(claude_dir, transcript_path=str(transcript), session_id="sess1234", cwd=str(repo),
                             trigger="manual")
    assert h.git_branch == "feature" and h.head and len(h.head) == 40
    assert [(c.path, c.added, c.removed) for c in h.files_changed] == [(str(repo / "a.py"), 2, 0)]
    assert h.git_status == (" M a.py",)


def test_make_handoff_survives_a_missing_transcript(claude_dir: Path, tmp_path: Path) -> None:
    stored, h = make_handoff(claude_dir, transcript_path=str(tmp_path / "gone.jsonl"), session_id="s",
                             cwd=str(tmp_path), trigger="session_end")
    assert stored.markdown.exists() and h.prompts == ()


# --- checkpoint(): handoff, backup, prune ----------------------------------------------------------


def keep(claude_dir: Path, backups: int, handoffs: int) -> None:
    folder = claude_dir / "sfp"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sfp.yaml").write_text(f"backup:\n  keep: {backups}\n  keep_handoffs: {handoffs}\n")


def old_handoffs(claude_dir: Path, count: int, *, session: str = "older-session", trigger: str = "manual") -> None:
    """`count` handoffs written (and last touched) long ago."""
    for n in range(count):
        h = build_handoff(Transcript(prompts=(f"old {n}",)), session_id=session, cwd="/p", git=None, trigger=trigger)
        stored = write_handoff(claude_dir, h, now=OLD + n)
        for path in stored:
            os.utime(path, (OLD + n, OLD + n))


def old_backups(claude_dir: Path, count: int) -> list[str]:
    """`count` backups made long ago, oldest first."""
    ids = []
    for n in range(count):
        made = float(OLD + n)
        ids.append(create_backup(claude_dir, None, BackupSettings(), reason="old", clock=lambda: made,
                                 invocation=("sfp",)).backup_id)
    return ids


def run_checkpoint(claude_dir: Path, project: Path, **kw: Any) -> Any:
    defaults: dict[str, Any] = {"transcript_path": str(FIXTURE), "session_id": SESSION, "cwd": str(project),
                                "trigger": "manual"}
    return checkpoint(claude_dir, project, **{**defaults, **kw})


def test_a_checkpoint_with_a_backup_reason_writes_both_and_prunes_both_to_the_configured_counts(
        claude_dir: Path, project: Path) -> None:
    keep(claude_dir, backups=2, handoffs=3)
    old_handoffs(claude_dir, 4)
    ids = old_backups(claude_dir, 3)
    done = run_checkpoint(claude_dir, project, backup_reason="pre-compact (manual)", notes="the API notes")
    assert done.record.session_id == SESSION and done.record.notes == "the API notes"
    assert done.handoff.markdown.exists() and load_handoff(done.handoff) == done.record
    assert done.backup is not None and done.backup.reason == "pre-compact (manual)"
    assert [b.backup_id for b in list_backups(claude_dir)] == [ids[-1], done.backup.backup_id]
    assert done.pruned_backups == 2
    left = list_handoffs(claude_dir)
    assert len(left) == 3 and left[0] == done.handoff  # the newest is the one just written
    assert done.pruned_handoffs == 4  # two handoffs, each a .md and a .json


def test_a_checkpoint_without_a_backup_reason_makes_no_backup_but_still_prunes_handoffs(
        claude_dir: Path, project: Path) -> None:
    keep(claude_dir, backups=1, handoffs=2)
    old_handoffs(claude_dir, 3)
    done = run_checkpoint(claude_dir, project, trigger="session_end")
    assert (done.backup, done.pruned_backups) == (None, 0)
    assert not (claude_dir / "backups").exists()
    assert list_handoffs(claude_dir)[0] == done.handoff and len(list_handoffs(claude_dir)) == 2
    assert done.pruned_handoffs == 4


def test_supersede_drops_only_this_sessions_older_session_end_handoffs(claude_dir: Path, project: Path) -> None:
    old_handoffs(claude_dir, 2, session=SESSION, trigger="session_end")
    old_handoffs(claude_dir, 1, session=SESSION, trigger="manual")  # a compaction's handoff stays
    old_handoffs(claude_dir, 1, session="other-session", trigger="session_end")  # another session's stays
    done = run_checkpoint(claude_dir, project, trigger="session_end", supersede=True)
    kept = [(h.session_id, h.trigger) for h in (load_handoff(s) for s in list_handoffs(claude_dir)) if h]
    assert sorted(kept) == sorted([(SESSION, "manual"), (SESSION, "session_end"), ("other-session", "session_end")])
    assert list_handoffs(claude_dir)[0] == done.handoff


def test_without_supersede_older_session_end_handoffs_stay(claude_dir: Path, project: Path) -> None:
    old_handoffs(claude_dir, 2, session=SESSION, trigger="session_end")
    run_checkpoint(claude_dir, project, trigger="session_end")
    assert len(list_handoffs(claude_dir)) == 3


def test_a_handoff_in_the_memo_is_reused_not_written_again(claude_dir: Path, project: Path) -> None:
    memo: dict[str, Any] = {}
    first = run_checkpoint(claude_dir, project, memo=memo)
    assert memo[MEMO_KEY] == (first.handoff, first.record)
    again = run_checkpoint(claude_dir, project, memo=memo, backup_reason="retry")
    assert (again.handoff, again.record) == (first.handoff, first.record)
    assert list_handoffs(claude_dir) == [first.handoff]  # one handoff file, not two
    assert again.backup is not None


def test_a_memo_whose_handoff_is_gone_gets_a_new_one(claude_dir: Path, project: Path) -> None:
    memo: dict[str, Any] = {}
    first = run_checkpoint(claude_dir, project, memo=memo)
    first.handoff.markdown.unlink()
    again = run_checkpoint(claude_dir, project, memo=memo)
    assert again.handoff.markdown.exists() and list_handoffs(claude_dir) == [again.handoff]
    assert memo[MEMO_KEY] == (again.handoff, again.record)
