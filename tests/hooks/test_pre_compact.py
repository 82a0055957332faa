"""PreCompact and SessionEnd through `sfp hook`: handoff + backup, blocking when the backup can't be written."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SfpRunner
from helpers import DATA

TRANSCRIPT = DATA / "transcripts" / "bb4d8064-6c68-4243-a46f-ce1e3b32b275.jsonl"


def event(name: str, project: Path, session: str = "bb4d8064-6c68-4243-a46f-ce1e3b32b275", **extra: object) -> str:
    return json.dumps({"hook_event_name": name, "session_id": session, "cwd": str(project),
                       "transcript_path": str(TRANSCRIPT), **extra})


def handoffs(claude_dir: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((claude_dir / "handoffs").glob("*.json"))]


def test_pre_compact_writes_a_handoff_and_a_backup(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\nme\n")
    run = sfp("hook", input=event("PreCompact", project, trigger="manual", custom_instructions="keep the API notes"))
    assert run.code == 0 and "💾 sfp: handoff" in json.loads(run.out)["systemMessage"]
    [handoff] = handoffs(claude_dir)
    assert handoff["trigger"] == "manual" and handoff["notes"] == "keep the API notes"
    open_tasks = handoff["open_tasks"]
    assert isinstance(open_tasks, list)
    assert [t["subject"] for t in open_tasks] == ["Write tests for validation"]
    [backup] = [p for p in (claude_dir / "backups").iterdir() if not p.name.startswith(".")]
    metadata = json.loads((backup / "metadata.json").read_text())
    assert metadata["reason"] == "pre-compact (manual)" and "restore" in metadata["restore_command"]


def test_a_backup_that_cannot_be_written_blocks_compaction_with_one_handoff(sfp: SfpRunner, claude_dir: Path,
                                                                            project: Path) -> None:
    (claude_dir / "backups").write_text("a file in the way")
    run = sfp("hook", input=event("PreCompact", project, trigger="auto"))
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("Backup creation failed - compaction blocked to prevent data loss: ")
    assert "a file of that name is in the way" in run.err and run.err.count("\n") == 1
    assert len(handoffs(claude_dir)) == 1  # the retry reused the handoff it had written
    assert (claude_dir / "backups").read_text() == "a file in the way"


def test_session_end_leaves_one_handoff_per_session_beside_the_compaction_ones(sfp: SfpRunner, claude_dir: Path,
                                                                               project: Path) -> None:
    sfp("hook", input=event("PreCompact", project, trigger="manual"))
    for _ in range(3):  # three `claude -p --resume` runs of one session
        assert sfp("hook", input=event("SessionEnd", project, reason="other")).code == 0
    sfp("hook", input=event("SessionEnd", project, session="other-session-0001", reason="other"))
    triggers = sorted((h["session_id"], h["trigger"]) for h in handoffs(claude_dir))
    assert triggers == [("bb4d8064-6c68-4243-a46f-ce1e3b32b275", "manual"),
                        ("bb4d8064-6c68-4243-a46f-ce1e3b32b275", "session_end"),
                        ("other-session-0001", "session_end")]


def test_ten_concurrent_pre_compact_hooks_leave_ten_complete_backups(claude_dir: Path, project: Path) -> None:
    import subprocess
    import sys

    from helpers import ROOT, clean_env
    from sfp.backup.model import BackupSettings
    from sfp.backup.store import list_backups
    from sfp.backup.restore import verify_backup

    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\nme\n" * 200)
    env = {**clean_env(claude_dir), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "sfp", "hook"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, cwd=project) for _ in range(10)]
    for n, proc in enumerate(procs):
        proc.stdin.write(event("PreCompact", project, session=f"session-{n:04d}-concurrent", trigger="auto").encode())  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    codes = [proc.wait(timeout=120) for proc in procs]
    assert codes == [0] * 10, [p.stderr.read() for p in procs]  # type: ignore[union-attr]
    backups = list_backups(claude_dir)
    assert len({b.backup_id for b in backups}) == 10
    assert all(not verify_backup(claude_dir, b, BackupSettings()).problems for b in backups)
    assert len(handoffs(claude_dir)) == 10


def test_a_bad_backup_setting_falls_back_to_the_defaults(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("backup:\n  keep_handoffs: 0\n")
    run = sfp("hook", input=event("PreCompact", project, trigger="manual"))
    assert run.code == 0 and "backup" in json.loads(run.out)["systemMessage"]
