"""`sfp evidence [--json] [PROJECT]`: the checks as a person reads them; exit 1 only for a critical failure."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SfpRunner
from helpers import DATA


def test_a_healthy_project(sfp: SfpRunner, project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    run = sfp("evidence", str(project))
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        f"ok   sfp evidence for {project}: ok",
        "  ok   project-structure   python (pyproject.toml)",
        "  ok   dependencies-check  no per-project dependencies to look for",
        "  ok   config-files        no required files configured",
    ]


def test_the_current_folder_is_the_default_project(sfp: SfpRunner, project: Path) -> None:
    (project / "package.json").write_text(json.dumps({"dependencies": {"left-pad": "1"}}))
    run = sfp("evidence", cwd=project)
    assert run.code == 0  # a warning is not a failure
    assert "WARN dependencies-check  package.json declares dependencies but there is no node_modules" in run.out
    assert "fix: run `npm install`" in run.out


def test_json_output(sfp: SfpRunner, project: Path) -> None:
    run = sfp("evidence", "--json", str(project))
    assert run.code == 0
    data = json.loads(run.out)
    assert data["schema"] == "sfp.evidence/1"
    assert data["project"] == str(project) and data["status"] == "ok" and data["critical_failure"] is False
    assert [c["name"] for c in data["checks"]] == ["project-structure", "dependencies-check", "config-files"]


def test_a_critical_failure_exits_1_and_a_plain_failure_0(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    config = project / ".sfp" / "evidence.yaml"
    config.write_text("checks:\n  - name: config-files\n    critical: true\nrequired_files: [.env.example]\n")
    sfp("trust", str(project))
    run = sfp("evidence", str(project))
    assert run.code == 1
    assert "FAIL config-files        missing: .env.example (critical)" in run.out
    config.write_text("required_files: [.env.example]\n")
    sfp("trust", str(project))  # an edited .sfp/ file is untrusted until trusted again
    run = sfp("evidence", str(project))
    assert run.code == 0 and "FAIL config-files        missing: .env.example" in run.out


def test_a_check_can_be_turned_off(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "evidence.yaml").write_text(
        "checks:\n  - name: dependencies-check\n    enabled: false\n")
    sfp("trust", str(project))
    (project / "package.json").write_text(json.dumps({"dependencies": {"left-pad": "1"}}))
    run = sfp("evidence", "--json", str(project))
    [check] = json.loads(run.out)["checks"]
    assert check == {"name": "dependencies-check", "status": "skipped", "critical": False,
                     "message": "turned off in evidence.yaml", "fix": None}


def test_the_compat_config_works_unedited(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "evidence.yaml").write_text((DATA / "compat" / "evidence.yaml").read_text())
    run = sfp("evidence", str(project))
    assert run.code == 0 and run.err == "" and "config-files" in run.out


def test_a_project_that_is_not_a_folder_is_a_usage_error(sfp: SfpRunner, tmp_path: Path) -> None:
    run = sfp("evidence", str(tmp_path / "nowhere"))
    assert run.code == 2 and "is not a folder" in run.err and "Traceback" not in run.err
