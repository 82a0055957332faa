"""`sfp tags`: the TAGs a person's context files give, with the file and line of each; problems are warnings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SfpRunner
from helpers import DATA

SAMPLE = DATA / "context"


def with_sample(claude_dir: Path) -> Path:
    shutil.copytree(SAMPLE / "dot-context", claude_dir / ".context")
    return claude_dir / ".context"


def test_tags_lists_each_tag_under_its_file_with_its_line(sfp: SfpRunner, claude_dir: Path) -> None:
    context = with_sample(claude_dir)
    run = sfp("tags", "--project", str(SAMPLE / "project"))
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].endswith(str(context / "CLAUDE.md")) or lines[0].endswith(".context/CLAUDE.md")
    assert lines[1] == "    10  [K:identity] Name: Ana García (she/her)"
    assert "     3  [PROPUESTA:deploy] Move deploys to Wednesdays" in lines
    assert "     6  [C:constraints] Python 3.11 only: the servers run Debian 12" in lines
    assert lines[-1] == "29 tags from 9 files"
    assert run.err == ""


def test_tags_json_gives_type_category_value_file_and_line(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    context = with_sample(claude_dir)
    run = sfp("tags", "--json", "--project", str(project))
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert set(data) == {"schema", "enabled", "files", "tags", "warnings"} and data["schema"] == "sfp.tags/1"
    first = data["tags"][0]
    assert first == {"type": "K", "category": "identity", "value": "Name: Ana García (she/her)",
                     "path": str(context / "CLAUDE.md"), "line": 10, "tag": "[K:identity] Name: Ana García (she/her)"}
    assert len(data["tags"]) == 28 and data["warnings"] == []
    assert {"path": str(project / "CLAUDE.md"), "read": False, "exists": False} in data["files"]


def test_bad_files_are_warnings_not_crashes(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    context = claude_dir / ".context"
    context.mkdir()
    (context / "rules.md").write_text("- keep it short\n")
    (context / "identity.md").write_bytes(b"\x00\x01binary")
    (context / "projects.md").mkdir()
    (context / "triggers.md").write_bytes(b"- d\xe9j\xe0 vu\n")
    run = sfp("tags", "--project", str(project))
    assert run.code == 0 and "Traceback" not in run.err
    assert "[U:rules] keep it short" in run.out
    assert "WARN " + str(context / "identity.md") + ": looks binary (NUL bytes); skipped" in run.out
    assert str(context / "projects.md") + ": not a regular file; skipped" in run.out
    assert "triggers.md: not UTF-8 (bad byte at offset 3)" in run.out


def test_no_context_files_says_where_it_looked(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    run = sfp("tags", "--project", str(project))
    assert run.code == 0
    assert run.out.startswith("no tags found; looked in: ")
    assert "identity.md" in run.out and "## Identity" in run.out


def test_a_broken_config_is_a_located_usage_error(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("tags: [unclosed\n")
    run = sfp("tags", "--project", str(project))
    assert run.code == 2 and run.err.startswith("sfp: error: ") and "sfp.yaml:1" in run.err


def test_disabled_tags_are_still_listed_with_a_note(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    with_sample(claude_dir)
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("tags:\n  enabled: false\n")
    run = sfp("tags", "--project", str(project))
    assert run.code == 0 and run.out.startswith("note: tags.enabled is false") and "[K:identity]" in run.out
