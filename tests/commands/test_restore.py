"""`sfp restore`: the plan first, a question (or a refusal when nobody can answer), the undo backup, the write."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SfpRunner
from helpers import clean_env
from sfp.backup.create import create_backup
from sfp.backup.model import BackupInfo, BackupSettings
from sfp.backup.store import list_backups
from sfp.commands.restore import restore
from sfp.errors import UsageError

SETTINGS = BackupSettings()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def changed(claude_dir: Path, project: Path) -> BackupInfo:
    """A backup, then a context file changed and the project's CLAUDE.md deleted."""
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# good context\n")
    (claude_dir / "CLAUDE.md").write_text("user\n")
    (project / "CLAUDE.md").write_text("project\n")
    info = create_backup(claude_dir, project, SETTINGS, reason="pre-compact", clock=lambda: 1770721192.0)
    (claude_dir / ".context" / "CLAUDE.md").write_text("# bad context\n")
    (project / "CLAUDE.md").unlink()
    return info


def call(claude_dir: Path, project: Path, backup_id: str | None = None, *, latest: bool = False, dry_run: bool = False,
         yes: bool = False, stdin: io.StringIO | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = restore(claude_dir, project, backup_id, latest=latest, dry_run=dry_run, yes=yes, out=out,
                   stdin=stdin if stdin is not None else io.StringIO(), settings=SETTINGS)
    return code, out.getvalue()


def test_latest_yes_restores_and_leaves_a_pre_restore_backup(changed: BackupInfo, claude_dir: Path, project: Path) -> None:
    code, out = call(claude_dir, project, latest=True, yes=True)
    assert code == 0
    assert (claude_dir / ".context" / "CLAUDE.md").read_text() == "# good context\n"
    assert (project / "CLAUDE.md").read_text() == "project\n"
    before, undo = list_backups(claude_dir)
    assert before.backup_id == changed.backup_id and undo.reason == "pre-restore"
    assert (undo.folder / "files/claude/.context/CLAUDE.md").read_text() == "# bad context\n"
    assert f"  changed    {claude_dir / '.context' / 'CLAUDE.md'}\n" in out
    assert f"  new        {project / 'CLAUDE.md'}\n" in out and f"  unchanged  {claude_dir / 'CLAUDE.md'}\n" in out
    assert f"undo: {undo.restore_command}" in out and "restored 2 files from backup" in out


def test_without_a_terminal_or_yes_it_refuses_after_showing_the_plan(changed: BackupInfo, claude_dir: Path, project: Path) -> None:
    out = io.StringIO()
    with pytest.raises(UsageError, match="stdin is not a terminal.*--yes") as caught:
        restore(claude_dir, project, changed.backup_id, latest=False, dry_run=False, yes=False, out=out,
                stdin=io.StringIO("y\n"), settings=SETTINGS)
    assert caught.value.exit_code == 2 and "changed" in out.getvalue()
    assert (claude_dir / ".context" / "CLAUDE.md").read_text() == "# bad context\n"
    assert len(list_backups(claude_dir)) == 1


def test_a_terminal_answer_decides(changed: BackupInfo, claude_dir: Path, project: Path) -> None:
    code, out = call(claude_dir, project, changed.backup_id, stdin=Terminal("n\n"))
    assert code == 1 and "Restore 2 files? [y/N] " in out and "nothing written" in out
    assert (claude_dir / ".context" / "CLAUDE.md").read_text() == "# bad context\n"
    code, _ = call(claude_dir, project, changed.backup_id, stdin=Terminal("y\n"))
    assert code == 0 and (claude_dir / ".context" / "CLAUDE.md").read_text() == "# good context\n"


def test_dry_run_writes_nothing(changed: BackupInfo, claude_dir: Path, project: Path) -> None:
    code, out = call(claude_dir, project, latest=True, dry_run=True)
    assert code == 0 and "dry run: would write 2 files; nothing written" in out
    assert not (project / "CLAUDE.md").exists() and len(list_backups(claude_dir)) == 1


def test_nothing_to_do_when_everything_matches(changed: BackupInfo, claude_dir: Path, project: Path) -> None:
    call(claude_dir, project, latest=True, yes=True)
    code, out = call(claude_dir, project, changed.backup_id)  # no --yes needed: nothing to write
    assert code == 0 and "nothing to restore" in out


def test_needs_exactly_one_of_an_id_or_latest(claude_dir: Path, project: Path) -> None:
    with pytest.raises(UsageError, match="an ID .* or --latest"):
        call(claude_dir, project)
    with pytest.raises(UsageError, match="an ID .* or --latest"):
        call(claude_dir, project, "20260210-115952", latest=True)
    with pytest.raises(UsageError, match="no backups"):
        call(claude_dir, project, latest=True)


# -- as a person runs it ------------------------------------------------------------------------------


def test_cli_refuses_a_pipe_without_yes_then_restores_with_it(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir()
    context = claude_dir / ".context" / "CLAUDE.md"
    context.write_text("# good\n")
    assert sfp("backup", "create", "--project", str(project)).code == 0
    context.write_text("# bad\n")
    refused = sfp("restore", "--latest", input="y\n")
    assert refused.code == 2 and "stdin is not a terminal" in refused.err and "changed" in refused.out
    assert context.read_text() == "# bad\n"
    done = sfp("restore", "--latest", "--yes", input="")
    assert done.code == 0, done.err
    assert context.read_text() == "# good\n" and "restored 1 file" in done.out
    listed = sfp("backup", "list", "--json").json()
    assert isinstance(listed, dict) and [b["reason"] for b in listed["backups"]] == ["pre-restore", "manual"]


def test_cli_refuses_a_tampered_backup_with_one_line_and_writes_nothing(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    (claude_dir / "CLAUDE.md").write_text("mine\n")
    created = sfp("backup", "create", "--json").json()
    assert isinstance(created, dict)
    metadata = Path(str(created["path"])) / "metadata.json"
    meta = json.loads(metadata.read_text())
    meta["files_backed_up"][0]["relative_path"] = "../escaped.md"
    metadata.write_text(json.dumps(meta))
    (claude_dir / "CLAUDE.md").write_text("changed\n")
    run = sfp("restore", str(created["id"]), "--yes", input="")
    assert run.code == 1 and run.err.count("\n") == 1 and "refusing to restore" in run.err
    assert not (tmp_path / "escaped.md").exists() and (claude_dir / "CLAUDE.md").read_text() == "changed\n"


def test_the_restore_command_in_metadata_works_as_written(built: dict[str, Path], claude_dir: Path, tmp_path: Path) -> None:
    env = clean_env(claude_dir, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    (claude_dir / "CLAUDE.md").write_text("before\n")
    made = subprocess.run([sys.executable, str(built["shiv"]), "backup", "create", "--json"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    assert made.returncode == 0, made.stderr
    command = json.loads(made.stdout)["restore_command"]
    assert shlex.split(command)[:3] == [sys.executable, str(built["shiv"].resolve()), "--claude-dir"]
    (claude_dir / "CLAUDE.md").write_text("after\n")
    del env["CLAUDE_CONFIG_DIR"]  # the command names the claude dir itself
    done = subprocess.run([*shlex.split(command), "--yes"], capture_output=True, text=True, env=env, cwd="/",
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert (claude_dir / "CLAUDE.md").read_text() == "before\n"


def test_cli_restores_project_files_only_into_the_project_named(sfp: SfpRunner, claude_dir: Path, project: Path,
                                                                tmp_path: Path) -> None:
    """The project comes from --project or the current folder, never from the backup alone."""
    (project / "CLAUDE.md").write_text("project\n")
    created = sfp("backup", "create", "--json", "--project", str(project)).json()
    assert isinstance(created, dict) and str(created["restore_command"]).endswith(f"--project {project}")
    (project / "CLAUDE.md").write_text("changed\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = sfp("restore", "--latest", "--yes", cwd=elsewhere)
    assert run.code == 1 and run.err.count("\n") == 1, run.err
    assert f"belongs to the project {project} and this is {elsewhere}" in run.err and f"--project {project}" in run.err
    assert (project / "CLAUDE.md").read_text() == "changed\n" and os.listdir(elsewhere) == []
    verify = sfp("backup", "verify", cwd=elsewhere)
    assert verify.code == 0 and f"note: 1 of its files belongs to the project {project}" in verify.out
    done = sfp("restore", "--latest", "--yes", "--project", str(project), cwd=elsewhere)
    assert done.code == 0, done.err
    assert (project / "CLAUDE.md").read_text() == "project\n"
    assert sfp("restore", str(created["id"]), "--yes", cwd=project).code == 0  # the cwd names it too


def test_json_dry_run_is_the_plan_and_yes_says_what_changed(sfp: SfpRunner, claude_dir: Path) -> None:
    context = claude_dir / "CLAUDE.md"
    context.write_text("# good\n")
    created = sfp("backup", "create", "--json").json()
    assert isinstance(created, dict)
    context.write_text("# bad\n")
    asked = sfp("restore", "--latest", "--json")
    assert asked.code == 2 and asked.out == "" and "--dry-run" in asked.err and "--yes" in asked.err
    plan = sfp("restore", "--latest", "--dry-run", "--json").json()
    assert isinstance(plan, dict) and plan["schema"] == "sfp.restore/1" and plan["dry_run"] is True
    assert plan["backup"]["id"] == created["id"] and plan["pending_count"] == 1 and plan["written"] == []
    assert {"path": str(context), "status": "changed"} in plan["changes"] and context.read_text() == "# bad\n"
    done = sfp("restore", "--latest", "--yes", "--json").json()
    assert isinstance(done, dict) and done["dry_run"] is False and done["written"] == [str(context)]
    assert done["pre_restore_backup"]["reason"] == "pre-restore" and context.read_text() == "# good\n"
    again = sfp("restore", str(created["id"]), "--yes", "--json").json()
    assert isinstance(again, dict) and again["pending_count"] == 0 and again["written"] == []
    assert again["pre_restore_backup"] is None
