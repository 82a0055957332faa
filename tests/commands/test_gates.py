"""`sfp gates` through the CLI: the summary, the JSON schema for CI, exit codes, and the compat configs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import SfpRunner
from helpers import DATA, clean_env

GATES = """\
settings:
  max_workers: 4
tiers:
  fast:
    gates:
      - name: ok
        command: "true"
      - name: lint
        command: "echo 'a.py:1: E999 broken'; exit 1"
        required: true
        fix: run the linter with --fix
        file_patterns: ["*.py"]
      - name: slow
        command: "sleep 5"
        timeout: 300
      - name: tool
        command: "frobnicate --check"
        requires: [frobnicate-does-not-exist]
      - name: docs
        command: "true"
        file_patterns: ["docs/**"]
"""


def setup(project: Path, gates: str = GATES) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "gates.yaml").write_text(gates)
    (project / "a.py").write_text("x = (\n")


def test_summary_per_gate_lines_failure_output_and_fix(sfp: SfpRunner, project: Path) -> None:
    setup(project)
    sfp("trust", str(project))
    run = sfp("gates", "--files", "a.py", cwd=project)
    assert run.code == 1  # a required gate failed
    lines = run.out.splitlines()
    assert lines[0] == "Quality Gates: 1 passed, 1 failed, 1 timeout, 1 skipped"  # no emoji: not a terminal
    assert any(l.startswith("  FAIL lint (") for l in lines) and "      a.py:1: E999 broken" in lines
    assert "      fix: run the linter with --fix" in lines
    assert any("tool" in l and "skipped (frobnicate-does-not-exist not installed)" in l for l in lines)
    assert "docs" not in run.out  # no changed file under docs/
    assert "\nQuality Alerts" in run.out


def test_json_schema(sfp: SfpRunner, project: Path) -> None:
    setup(project)
    sfp("trust", str(project))
    run = sfp("gates", "--json", "--files", "a.py", "--project", str(project))
    report = json.loads(run.out)
    assert report["schema"] == "sfp.gates/1" and report["tier"] == "fast" and report["exit_code"] == run.code == 1
    assert report["summary"] == {"passed": 1, "failed": 1, "timeout": 1, "skipped": 1, "error": 0}
    assert report["changed_files"] == ["a.py"]
    gate = {g["name"]: g for g in report["gates"]}
    assert set(gate["lint"]) == {"name", "status", "duration_ms", "returncode", "required", "critical", "reason",
                                 "fix", "output", "truncated"}
    assert gate["lint"]["returncode"] == 1 and gate["slow"]["status"] == "timeout" and gate["slow"]["returncode"] is None
    assert {a["metric"] for a in report["alerts"]} == {"failure_rate", "timeout_rate"}
    assert report["blocking"] is True  # 33% timeouts is CRITICAL with the runbook's thresholds


def test_all_ignores_file_patterns(sfp: SfpRunner, project: Path) -> None:
    setup(project)
    sfp("trust", str(project))
    report = json.loads(sfp("gates", "--json", "--all", "--files", "a.py", cwd=project).out)
    assert "docs" in {g["name"] for g in report["gates"]}


def test_passing_run_exits_0(sfp: SfpRunner, project: Path) -> None:
    setup(project, "gates:\n  - name: fine\n    command: 'true'\n")
    sfp("trust", str(project))
    run = sfp("gates", "--tier", "deep", "--files", "a.py", cwd=project)
    assert run.code == 0 and run.out.startswith("Quality Gates: 1 passed, 0 failed, 0 timeout, 0 skipped")


def test_secrets_are_redacted_from_gate_output(sfp: SfpRunner, project: Path) -> None:
    setup(project, "gates:\n  - name: leaky\n    command: \"echo API_KEY=abcdef1234567890; exit 1\"\n")
    sfp("trust", str(project))
    run = sfp("gates", "--tier", "deep", "--json", "--files", "a.py", cwd=project)
    assert "abcdef1234567890" not in run.out and "API_KEY=***" in run.out


def test_the_compat_config_runs_unedited_deep_tier_included(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    shutil.copy(DATA / "compat" / "gates.yaml", project / ".sfp" / "gates.yaml")
    sfp("trust", str(project))
    (project / "app.py").write_text("print('hi')\n")
    for tier in ("fast", "deep"):
        report = json.loads(sfp("gates", "--tier", tier, "--json", "--files", "app.py", cwd=project, timeout=120).out)
        statuses = {g["name"]: g["status"] for g in report["gates"]}
        assert "error" not in statuses.values(), report
        if tier == "deep":
            # python-type-check and format-check hold `||` and `if ... fi`: they run (no tsc: no .ts changed)
            assert set(statuses) == {"python-type-check", "format-check", "security-check"}
            assert statuses["format-check"] == "passed"
        else:
            assert statuses["quick-lint"] in ("passed", "failed", "skipped")


def test_a_gate_can_call_this_sfp_through_SFP(sfp: SfpRunner, project: Path) -> None:
    setup(project, "gates:\n  - name: self\n    command: eval \"$SFP --version\"\n")
    sfp("trust", str(project))
    report = json.loads(sfp("gates", "--tier", "deep", "--json", "--files", "a.py", cwd=project).out)
    [gate] = report["gates"]
    assert gate["status"] == "passed" and gate["output"].startswith("sfp ")


def test_names_select_gates_and_an_unknown_name_says_which_exist(sfp: SfpRunner, project: Path) -> None:
    setup(project)
    sfp("trust", str(project))
    report = json.loads(sfp("gates", "lint", "ok", "--json", "--files", "a.py", cwd=project).out)
    assert [g["name"] for g in report["gates"]] == ["ok", "lint"]  # the tier's order
    run = sfp("gates", "nope", "--files", "a.py", cwd=project)
    assert run.code != 0 and "no gate `nope` in tier `fast`" in run.err and "lint" in run.err


def test_sfp_skip_is_in_the_summary_and_the_kpis(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    setup(project)
    sfp("trust", str(project))
    run = sfp("gates", "--files", "a.py", cwd=project, env=clean_env(claude_dir, SFP_SKIP="lint,slow"))
    assert run.code == 0 and run.out.startswith(
        "Quality Gates: 1 passed, 0 failed, 0 timeout, 3 skipped (SFP_SKIP: lint, slow)\n")
    assert any(l.startswith("  SKIP lint (") and l.endswith(" — skipped by SFP_SKIP") for l in run.out.splitlines())
    [event] = [json.loads(l) for l in (claude_dir / "kpis" / "events.jsonl").read_text().splitlines()]
    assert event["skipped_by_request"] == ["lint", "slow"]
    everything = sfp("gates", "--json", "--files", "a.py", cwd=project, env=clean_env(claude_dir, SFP_SKIP="all"))
    assert json.loads(everything.out)["summary"]["skipped"] == 4 and everything.code == 0


def test_session_judges_what_that_session_wrote(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    setup(project, "tiers:\n  fast:\n    gates:\n      - name: show\n        command: echo {files}\n")
    (project / "b.py").write_text("")
    sfp("trust", str(project))
    folder = claude_dir / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(project.resolve()))
    folder.mkdir(parents=True)
    write = {"type": "tool_use", "id": "w1", "name": "Write", "input": {"file_path": str(project / "b.py")}}
    records = [{"type": "user", "timestamp": "2026-01-01T00:00:00.000Z", "message": {"role": "user", "content": "go"}},
               {"type": "assistant", "timestamp": "2026-01-01T00:00:01.000Z",
                "message": {"role": "assistant", "content": [write]}}]
    (folder / "abc-123.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    report = json.loads(sfp("gates", "--session", "abc-123", "--json", cwd=project).out)
    assert report["changed_files"] == ["b.py"] and report["gates"][0]["output"] == "b.py\n"
    missing = sfp("gates", "--session", "nope", cwd=project)
    assert missing.code != 0 and "no transcript of session nope" in missing.err
