"""Stop through `sfp hook`: block only on a critical failure, never on stop_hook_active, nothing when nothing changed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import SfpRunner

GATES = """\
tiers:
  fast:
    gates:
      - name: no-todo
        command: "! grep -n TODO *.py"
        critical: true
        file_patterns: ["*.py"]
        fix: remove the TODO markers
      - name: docs-lint
        command: "false"
        file_patterns: ["*.md"]
      - name: docs-spell
        command: "true"
        file_patterns: ["*.md"]
      - name: docs-links
        command: "true"
        file_patterns: ["*.md"]
"""


def project_with(project: Path, files: dict[str, str], gates: str = GATES) -> Path:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".sfp").mkdir()
    (project / ".sfp" / "gates.yaml").write_text(gates)
    (project / ".gitignore").write_text(".sfp/\n")
    for name, text in files.items():
        (project / name).write_text(text)
    return project


def stop_event(project: Path, active: bool = False) -> str:
    return json.dumps({"hook_event_name": "Stop", "session_id": "s1", "cwd": str(project),
                       "transcript_path": str(project / "missing.jsonl"), "stop_hook_active": active})


def test_a_failing_critical_gate_blocks_with_what_to_fix(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"app.py": "x = 1  # TODO fix\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project))
    answer = json.loads(run.out)
    assert answer["decision"] == "block"
    reason = answer["reason"]
    assert "no-todo" in reason and "\n1:x = 1  # TODO fix\n" in reason and "Fix: remove the TODO markers" in reason
    assert "docs-lint" not in reason  # no .md changed: that gate never ran
    assert answer["systemMessage"].startswith("📊 Quality Gates: 0 passed, 1 failed")


def test_stop_hook_active_never_blocks(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project, active=True))
    assert (run.code, run.out) == (0, "")


def test_nothing_changed_means_no_gate_runs(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"notes.txt": "TODO\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project))
    assert (run.code, run.out) == (0, "")
    assert not (claude_dir / "kpis").exists()  # no run, so no KPI record


def test_a_non_critical_failure_below_the_critical_rate_is_one_line_for_the_person(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"README.md": "x\n"})
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project)).out)
    assert "decision" not in answer  # 1 of 3 failed: a HIGH alert, not CRITICAL
    assert answer["systemMessage"] == "📊 Quality Gates: 2 passed, 1 failed, 0 timeout, 0 skipped — failing: docs-lint"


def test_a_critical_alert_blocks_even_without_a_critical_gate(sfp: SfpRunner, project: Path) -> None:
    gates = "tiers:\n  fast:\n    gates:\n      - name: lint\n        command: \"echo bad; exit 1\"\n"
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project)).out)
    assert answer["decision"] == "block" and "🔴 [CRITICAL] Failure rate: 100% >= 50%" in answer["reason"]


def test_a_passing_run_is_recorded_as_a_kpi(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "x = 1\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project))
    assert "decision" not in json.loads(run.out)
    [event] = [json.loads(l) for l in (claude_dir / "kpis" / "events.jsonl").read_text().splitlines()]
    assert event["kind"] == "quality_gates" and event["passed"] == 1 and event["session"] == "s1"
    assert event["gates"][0]["name"] == "no-todo"


def test_reason_stays_within_4000_characters(sfp: SfpRunner, project: Path) -> None:
    noisy = "tiers:\n  fast:\n    gates:\n" + "".join(
        f"      - name: g{i}\n        command: \"seq 1 500; exit 1\"\n        critical: true\n" for i in range(6))
    project_with(project, {"a.py": ""}, gates=noisy)
    sfp("trust", str(project))
    reason = json.loads(sfp("hook", input=stop_event(project)).out)["reason"]
    assert len(reason) <= 4000 and "## g0" in reason
    assert "\n21\n" not in reason.split("## g1")[0]  # at most 20 output lines per gate


def test_gates_cut_short_by_sfps_own_budget_never_send_claude_back(sfp: SfpRunner, project: Path) -> None:
    gates = "settings:\n  timeout: 500\ntiers:\n  fast:\n    gates:\n      - name: slow\n        command: sleep 30\n"
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project))
    answer = json.loads(run.out)
    assert "decision" not in answer and "1 timeout" in answer["systemMessage"]


def test_an_unwritable_kpi_store_still_blocks(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    (claude_dir / "kpis").write_text("a file in the way")
    answer = json.loads(sfp("hook", input=stop_event(project)).out)
    assert answer["decision"] == "block"
