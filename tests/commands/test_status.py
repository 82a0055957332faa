"""`sfp status`: the daily checks on one screen, as JSON too; exit 1 when one fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import SfpRunner
from sfp.kpi.store import append_event


def checks(run_out: str) -> dict[str, Any]:
    report = json.loads(run_out)
    assert report["schema"] == "sfp.status/2"
    return {check["name"]: check for check in report["checks"]}


def test_a_fresh_claude_dir_fails_the_backup_and_install_checks(sfp: SfpRunner) -> None:
    run = sfp("status", "--json")
    assert run.code == 1
    found = checks(run.out)
    assert list(found) == ["health", "gates", "backup", "handoff", "install"]
    assert not found["backup"]["ok"] and "no backup yet" in found["backup"]["message"]
    assert not found["install"]["ok"] and "not installed" in found["install"]["message"]
    assert found["gates"]["ok"] and found["handoff"]["ok"]


def test_the_last_gate_run_of_each_project_is_shown_with_what_failed(sfp: SfpRunner, claude_dir: Path) -> None:
    gate = {"name": "lint", "status": "failed", "duration_ms": 5}
    append_event(claude_dir, "quality_gates", {"tier": "fast", "project": "/p/a", "gates": [gate]}, session="s1")
    append_event(claude_dir, "quality_gates", {"tier": "fast", "project": "/p/a",
                                               "gates": [{**gate, "status": "passed"}]}, session="s2")
    append_event(claude_dir, "quality_gates", {"tier": "fast", "project": "/p/b", "gates": [gate]}, session="s3")
    found = checks(sfp("status", "--json").out)["gates"]
    assert not found["ok"] and found["message"] == "1 of 2 project(s) failed their last run: /p/b (lint)"
    assert [p["project"] for p in found["details"]["projects"]] == ["/p/a", "/p/b"]


def test_a_backup_made_today_passes_and_its_age_is_shown(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / ".context").mkdir(parents=True)
    (claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\nme\n")
    assert sfp("backup", "create", "--project", str(project)).code == 0
    found = checks(sfp("status", "--json").out)["backup"]
    assert found["ok"] and found["message"].startswith("newest ") and found["message"].endswith(" ago")


def test_the_screen_names_each_check_and_says_whether_all_pass(sfp: SfpRunner) -> None:
    run = sfp("status")
    lines = run.out.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == ["health", "gates", "backup", "handoff", "install"]
    assert lines[-1] == "a daily check fails (see above)" and "✅" not in run.out  # plain when not a terminal


def test_the_last_health_a_session_start_saw_is_named(sfp: SfpRunner, project: Path) -> None:
    event = json.dumps({"hook_event_name": "SessionStart", "session_id": "s1", "cwd": str(project),
                        "source": "startup"})
    assert sfp("hook", input=event).code == 0
    found = checks(sfp("status", "--json").out)["health"]
    last = found["details"]["last_session_start"]
    assert last is not None and last["status"] in ("healthy", "degraded", "unhealthy") and last["checked_at"].endswith("Z")


def test_a_gate_run_records_its_project_and_status_shows_it(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "gates.yaml").write_text("gates:\n  - name: broken\n    command: 'exit 1'\n")
    sfp("trust", str(project))
    (project / "a.py").write_text("x = 1\n")
    sfp("gates", "--tier", "deep", "--files", "a.py", "--project", str(project))
    found = checks(sfp("status", "--json").out)["gates"]
    [run] = found["details"]["projects"]
    assert run["project"] == str(project) and run["failed"] == ["broken"] and not found["ok"]
