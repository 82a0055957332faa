"""`sfp handoff [list|show]`: write one now, list and show the kept ones, as text and JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import SfpRunner


def made(sfp: SfpRunner, project: Path) -> dict[str, object]:
    run = sfp("handoff", "--json", "--project", str(project))
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert isinstance(document, dict)
    return document


def test_create_json_says_what_was_written_backed_up_and_pruned(sfp: SfpRunner, claude_dir: Path,
                                                                project: Path) -> None:
    (claude_dir / "CLAUDE.md").write_text("me\n")
    document = made(sfp, project)
    assert document["schema"] == "sfp.handoff-create/1"
    assert Path(str(document["path"])).is_file() and Path(str(document["json_path"])).is_file()
    assert str(document["path"]).endswith(f"{document['id']}.md") and document["transcript"] is None
    backup = document["backup"]
    assert isinstance(backup, dict) and Path(str(backup["path"])).is_dir() and backup["file_count"] >= 1
    assert document["pruned_backup_count"] == 0 and document["pruned_handoff_count"] == 0


def test_list_json_wraps_the_handoffs_with_counts(sfp: SfpRunner, project: Path) -> None:
    first = made(sfp, project)
    listed = sfp("handoff", "list", "--json").json()
    assert isinstance(listed, dict) and listed["schema"] == "sfp.handoff-list/1"
    [row] = listed["handoffs"]
    assert row["id"] == first["id"] and row["project"] == str(project) and row["trigger"] == "command"
    assert row["open_task_count"] == 0 and row["changed_file_count"] == 0 and row["created_at"].endswith("Z")
    assert "created" not in row and "open_tasks" not in row


def test_show_json_is_the_record_with_its_id_and_convention_names(sfp: SfpRunner, project: Path) -> None:
    first = made(sfp, project)
    shown = sfp("handoff", "show", "latest", "--json").json()
    assert isinstance(shown, dict) and shown["schema"] == "sfp.handoff/1" and shown["id"] == first["id"]
    assert shown["created_at"].endswith("Z") and shown["cwd"] == str(project)
    assert shown["changed_secret_file_count"] == 0 and shown["compaction_count"] == 0
    assert not {"created", "secret_files_changed", "compactions"} & set(shown)
    assert sfp("handoff", "show", str(first["id"]), "--json").json() == shown


def test_a_missing_handoff_folder_is_none_yet(sfp: SfpRunner, claude_dir: Path) -> None:
    listed = sfp("handoff", "list")
    assert listed.code == 0 and f"no handoffs yet in {claude_dir / 'handoffs'}" in listed.out
    assert sfp("handoff", "list", "--json").json() == {"schema": "sfp.handoff-list/1", "handoffs": []}
    shown = sfp("handoff", "show", "--json")
    assert shown.code == 2 and shown.out == "" and "`sfp handoff` writes one" in shown.err


def test_a_file_where_the_handoff_folder_should_be_is_an_error(sfp: SfpRunner, claude_dir: Path) -> None:
    (claude_dir / "handoffs").write_text("oops\n")
    for args in (("handoff", "list"), ("handoff", "list", "--json"), ("handoff", "show")):
        run = sfp(*args)
        assert run.code == 1 and run.out == "" and run.err.count("\n") == 1, (args, run)
        assert str(claude_dir / "handoffs") in run.err and "is a file" in run.err and "yet" not in run.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway; the file-for-a-folder test covers it")
def test_an_unreadable_handoff_folder_is_an_error(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    made(sfp, project)
    (claude_dir / "handoffs").chmod(0)
    try:
        run = sfp("handoff", "list")
    finally:
        (claude_dir / "handoffs").chmod(0o700)
    assert run.code == 1 and "can't read the handoffs" in run.err and "permissions" in run.err


@pytest.mark.parametrize("args, said", [
    (["list", "--transcript", "t.jsonl"], "--transcript is for writing a handoff"),
    (["show", "--transcript", "t.jsonl"], "--transcript is for writing a handoff"),
    (["list", "20260101"], "takes no id"),
])
def test_options_that_mean_nothing_for_list_and_show_are_usage_errors(sfp: SfpRunner, args: list[str],
                                                                      said: str) -> None:
    run = sfp("handoff", *args)
    assert run.code == 2 and said in run.err and run.err.count("\n") == 1
