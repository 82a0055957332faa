"""Stop through `sfp hook`: the gates judge what this session changed, feedback reaches Claude once (as the
Stop's additionalContext), only a critical failure (or a CRITICAL rate) sends it back, and the person sees
a line only when a gate failed or was cut short."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from conftest import SfpRunner
from helpers import clean_env

GATES = """\
tiers:
  fast:
    gates:
      - name: no-todo
        command: "! grep -n TODO {files}"
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
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    return project


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(kind: str, content: Any, when: float) -> dict[str, Any]:
    return {"type": kind, "timestamp": iso(when), "sessionId": "s1", "isSidechain": False,
            "message": {"role": kind, "content": content}}


def transcript(path: Path, *, writes: tuple[str, ...] = (), commands: tuple[str, ...] = (),
               started: float | None = None, agent_writes: tuple[str, ...] = ()) -> Path:
    """A session's transcript: its first record at `started` (default: a minute ago), then the Writes and
    Bash commands (each with a successful result); `agent_writes` in a subagent's transcript."""
    start = time.time() - 60 if started is None else started

    def calls(names: tuple[str, ...], tool: str, key: str) -> list[dict[str, Any]]:
        out = []
        for i, name in enumerate(names):
            block = {"type": "tool_use", "id": f"{tool}{i}", "name": tool, "input": {key: name}}
            out.append(record("assistant", [block], start + 1))
            out.append(record("user", [{"type": "tool_result", "tool_use_id": f"{tool}{i}", "content": "ok"}],
                              start + 2))
        return out

    records = [record("user", "do the work", start), *calls(writes, "Write", "file_path"),
               *calls(commands, "Bash", "command")]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    if agent_writes:
        agents = path.parent / path.name.removesuffix(".jsonl") / "subagents"
        agents.mkdir(parents=True)
        (agents / "agent-a1.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in calls(agent_writes, "Write", "file_path")))
    return path


def stop_event(project: Path, session: Path | None = None, active: bool = False, **extra: Any) -> str:
    return json.dumps({"hook_event_name": "Stop", "session_id": "s1", "cwd": str(project),
                       "transcript_path": str(session or project.parent / "missing.jsonl"),
                       "stop_hook_active": active, **extra})


def wrote(project: Path, *names: str) -> Path:
    """The transcript of a session that wrote `names` (in `project`)."""
    return transcript(project.parent / "session.jsonl", writes=tuple(str(project / n) for n in names))


def kpis(claude_dir: Path) -> list[dict[str, Any]]:
    path = claude_dir / "kpis" / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_failing_critical_gate_sends_claude_back_once_with_what_to_fix(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"app.py": "x = 1  # TODO fix\n"})
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "app.py"))).out)
    # The Stop's additionalContext: once on every client; never `decision: "block"` (2.1.332 shows it twice).
    assert set(answer) == {"hookSpecificOutput", "systemMessage"}
    assert answer["hookSpecificOutput"]["hookEventName"] == "Stop"
    feedback = answer["hookSpecificOutput"]["additionalContext"]
    assert "no-todo" in feedback and "\n1:x = 1  # TODO fix\n" in feedback and "Fix: remove the TODO markers" in feedback
    assert "docs-lint" not in feedback  # no .md changed: that gate never ran
    rerun = feedback.rsplit("\n", 1)[-1]
    assert rerun.startswith("Re-run just the failing gate: ") and " gates no-todo --session s1 --project " in rerun
    assert answer["systemMessage"].startswith("📊 Quality Gates: 0 passed, 1 failed")


def test_the_rerun_command_runs_just_that_gate_on_the_sessions_files(sfp: SfpRunner, project: Path,
                                                                     claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n", "other.py": "# TODO too\n"})
    sfp("trust", str(project))
    folder = claude_dir / "projects" / "p"
    folder.mkdir(parents=True)
    session = transcript(folder / "s1.jsonl", writes=(str(project / "app.py"),))
    feedback = json.loads(sfp("hook", input=stop_event(project, session)).out)["hookSpecificOutput"]
    command = feedback["additionalContext"].rsplit(": ", 1)[-1]
    done = subprocess.run(command + " --json", shell=True, capture_output=True, text=True,
                          env={**clean_env(claude_dir), "PYTHONPATH": str(Path(__file__).parents[2])})
    report = json.loads(done.stdout)
    assert [g["name"] for g in report["gates"]] == ["no-todo"] and report["changed_files"] == ["app.py"]
    assert "other.py" not in report["gates"][0]["output"] and done.returncode == 1


def test_stop_hook_active_never_judges_again(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project, wrote(project, "app.py"), active=True))
    assert (run.code, run.out) == (0, "")


def test_files_the_person_changed_are_not_judged(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO (the person's)\n", "mine.py": "x = 1\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project, transcript(project.parent / "t.jsonl")))
    assert (run.code, run.out) == (0, "")  # the session wrote nothing and ran nothing
    run = sfp("hook", input=stop_event(project, wrote(project, "mine.py")))
    assert run.out == ""  # it passed: no line at all
    [event] = kpis(claude_dir)
    assert [g["name"] for g in event["gates"]] == ["no-todo"] and event["passed"] == 1  # only mine.py was judged


def test_an_unreadable_transcript_judges_nothing(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    assert sfp("hook", input=stop_event(project)).out == ""  # names a transcript that isn't there
    assert not (claude_dir / "kpis").exists()


def test_an_event_naming_no_transcript_judges_gits_changed_files(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    event = json.loads(stop_event(project))
    del event["transcript_path"]
    assert "hookSpecificOutput" in json.loads(sfp("hook", input=json.dumps(event)).out)


def test_files_bash_changed_after_the_session_began_are_judged_older_ones_not(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"old.py": "# TODO from yesterday\n", "gen.py": "# TODO generated\n"})
    subprocess.run(["git", "-C", str(project), "add", "."], check=True)
    start = time.time() - 60
    os.utime(project / "old.py", (start - 3600, start - 3600))
    sfp("trust", str(project))
    session = transcript(project.parent / "t.jsonl", commands=("python gen.py",), started=start)
    feedback = json.loads(sfp("hook", input=stop_event(project, session)).out)["hookSpecificOutput"]
    text = feedback["additionalContext"]
    assert "TODO generated" in text and "yesterday" not in text


def test_outside_git_bash_changes_are_found_by_mtime(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"old.py": "# TODO old\n", "sub/new.py": "# TODO new\n"})
    subprocess.run(["rm", "-rf", str(project / ".git")], check=True)
    start = time.time() - 60
    os.utime(project / "old.py", (start - 10, start - 10))
    sfp("trust", str(project))
    session = transcript(project.parent / "t.jsonl", commands=("make",), started=start)
    text = json.loads(sfp("hook", input=stop_event(project, session)).out)["hookSpecificOutput"]["additionalContext"]
    assert "TODO new" in text and "TODO old" not in text


def test_a_subagents_writes_are_the_sessions(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"agent.py": "# TODO by the agent\n"})
    sfp("trust", str(project))
    session = transcript(project.parent / "t.jsonl", agent_writes=(str(project / "agent.py"),))
    assert "TODO by the agent" in json.loads(sfp("hook", input=stop_event(project, session)).out)[
        "hookSpecificOutput"]["additionalContext"]


def test_while_a_background_task_runs_no_gate_runs(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    tasks = [{"id": "a4", "type": "subagent", "status": "running", "description": "Run the suite"}]
    run = sfp("hook", input=stop_event(project, wrote(project, "app.py"), background_tasks=tasks))
    assert (run.code, run.out) == (0, "") and not (claude_dir / "kpis").exists()
    done = [{**tasks[0], "status": "completed"}]
    assert "hookSpecificOutput" in json.loads(
        sfp("hook", input=stop_event(project, wrote(project, "app.py"), background_tasks=done)).out)


def test_a_non_critical_failure_never_sends_claude_back_on_its_own(sfp: SfpRunner, project: Path) -> None:
    gates = "tiers:\n  fast:\n    gates:\n      - name: lint\n        command: \"echo bad; exit 1\"\n"
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "a.py"))).out)
    # One gate: a 100% failure rate over one gate is no rate (min_gates: 2).
    assert answer == {"systemMessage": "📊 Quality Gates: 0 passed, 1 failed, 0 timeout, 0 skipped — failing: lint"}


def test_a_non_critical_failure_below_the_critical_rate_is_one_line_for_the_person(sfp: SfpRunner, project: Path) -> None:
    project_with(project, {"README.md": "x\n"})
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "README.md"))).out)
    assert answer == {"systemMessage": "📊 Quality Gates: 2 passed, 1 failed, 0 timeout, 0 skipped — failing: docs-lint"}


def test_a_critical_rate_over_enough_gates_sends_claude_back(sfp: SfpRunner, project: Path) -> None:
    gates = "tiers:\n  fast:\n    gates:\n" + "".join(
        f"      - name: lint{i}\n        command: \"echo bad{i}; exit 1\"\n" for i in range(2))
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "a.py"))).out)
    text = answer["hookSpecificOutput"]["additionalContext"]
    assert "🔴 [CRITICAL] Failure rate: 100% >= 50%" in text and "gates lint0 lint1 --session" in text


def test_a_passing_run_says_nothing_and_is_recorded_as_a_kpi(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "x = 1\n"})
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project, wrote(project, "app.py")))
    assert (run.code, run.out) == (0, "")  # no 📊 line when all passed
    [event] = kpis(claude_dir)
    assert event["kind"] == "quality_gates" and event["passed"] == 1 and event["session"] == "s1"
    assert event["gates"][0]["name"] == "no-todo" and event["skipped_by_request"] == []


def test_feedback_shares_its_budget_keeps_head_and_tail_and_says_what_was_cut(sfp: SfpRunner, project: Path) -> None:
    noisy = "tiers:\n  fast:\n    gates:\n" + "".join(
        f"      - name: g{i}\n        command: \"seq -f 'g{i} line %g' 1 500; exit 1\"\n        critical: true\n"
        for i in range(6))
    project_with(project, {"a.py": ""}, gates=noisy)
    sfp("trust", str(project))
    text = json.loads(sfp("hook", input=stop_event(project, wrote(project, "a.py"))).out)[
        "hookSpecificOutput"]["additionalContext"]
    assert len(text) <= 4000
    for i in range(6):  # every gate gets its share: its first and its last line, and the count of the rest
        section = text.split(f"## g{i} ")[1].split("\n## ")[0]
        assert f"g{i} line 1\n" in section and f"g{i} line 500" in section and " lines cut …]" in section
    assert text.endswith("--session s1 --project " + str(project)) or "--project" in text.rsplit("\n", 1)[-1]


def test_gates_cut_short_by_sfps_own_budget_never_send_claude_back(sfp: SfpRunner, project: Path) -> None:
    gates = ("settings:\n  timeout: 500\ntiers:\n  fast:\n    gates:\n      - name: slow\n        command: sleep 30\n"
             "        critical: true\n")
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "a.py"))).out)
    assert set(answer) == {"systemMessage"} and "1 timeout" in answer["systemMessage"]
    assert "cut short: slow" in answer["systemMessage"]


def test_a_missing_tool_on_an_optional_gate_is_a_skip_told_once_a_session(sfp: SfpRunner, project: Path) -> None:
    gates = ("tiers:\n  fast:\n    gates:\n      - name: lint\n        command: no-such-linter-sfp {files}\n"
             "      - name: typed\n        command: 'true'\n        requires: [no-such-checker-sfp]\n")
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    session = wrote(project, "a.py")
    answer = json.loads(sfp("hook", input=stop_event(project, session)).out)
    assert answer == {"systemMessage": "⏭️ sfp: lint skipped (no-such-linter-sfp not installed)\n"
                                       "⏭️ sfp: typed skipped (no-such-checker-sfp not installed)"}
    assert sfp("hook", input=stop_event(project, session)).out == ""  # said once a session


def test_a_missing_tool_on_a_critical_gate_is_a_failure(sfp: SfpRunner, project: Path) -> None:
    gates = "tiers:\n  fast:\n    gates:\n      - name: types\n        command: no-such-mypy-sfp .\n        critical: true\n"
    project_with(project, {"a.py": ""}, gates=gates)
    sfp("trust", str(project))
    text = json.loads(sfp("hook", input=stop_event(project, wrote(project, "a.py"))).out)[
        "hookSpecificOutput"]["additionalContext"]
    assert ("no-such-mypy-sfp is not installed; install it or mark the gate `required: false` "
            "and `critical: false`") in text


def test_secrets_are_checked_at_stop_by_default(sfp: SfpRunner, project: Path) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    key = "AKIA" + "Q3EGRIXZ" * 2  # a sequential body reads as a placeholder, not a key
    (project / "settings.py").write_text(f"x = 1\naws = '{key}'\n")
    (project / "old.py").write_text(f"aws = '{key}'\n")  # not this session's
    text = json.loads(sfp("hook", input=stop_event(project, wrote(project, "settings.py"))).out)[
        "hookSpecificOutput"]["additionalContext"]
    assert "## secrets (failed: exit 1)" in text and "settings.py:2: " in text and "old.py" not in text
    assert key not in text and "AKIA" in text and "sfp: allow-secret" in text


def test_sfp_skip_skips_gates_for_the_run_and_says_so(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    env = clean_env(claude_dir, SFP_SKIP="no-todo")
    assert sfp("hook", input=stop_event(project, wrote(project, "app.py")), env=env).out == ""
    assert sfp("hook", input=stop_event(project, wrote(project, "app.py")),
               env=clean_env(claude_dir, SFP_SKIP="all")).out == ""
    assert [(e["skipped"], e["skipped_by_request"]) for e in kpis(claude_dir)] == [(1, ["no-todo"])] * 2


def test_an_unwritable_kpi_store_still_sends_the_feedback(sfp: SfpRunner, project: Path, claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"})
    sfp("trust", str(project))
    (claude_dir / "kpis").write_text("a file in the way")
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "app.py"))).out)
    assert "hookSpecificOutput" in answer


def test_a_hostile_file_name_the_session_wrote_is_checked_never_run(sfp: SfpRunner, project: Path) -> None:
    name = "$(touch pwned) it's\nx.py"
    project_with(project, {name: "# TODO\n"})
    sfp("trust", str(project))
    text = json.loads(sfp("hook", input=stop_event(project, wrote(project, name))).out)[
        "hookSpecificOutput"]["additionalContext"]
    assert "## no-todo (failed: exit 1)" in text and not (project / "pwned").exists()


# --- a config sfp can't use: said, located, never a block ---------------------------------------------------


def test_a_yaml_error_in_gates_yaml_is_one_located_line_for_the_person_and_claude(sfp: SfpRunner, project: Path,
                                                                                  claude_dir: Path) -> None:
    broken = GATES + "      - name: [oops\n"  # line 18: the `[` is never closed
    project_with(project, {"app.py": "# TODO\n"}, gates=broken)
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project, wrote(project, "app.py")))
    assert run.code == 0 and run.err == ""
    answer = json.loads(run.out)
    assert "decision" not in answer  # a config error is no failing gate: Claude is never held for it
    where = f"{project / '.sfp' / 'gates.yaml'}:18:15: this '[' is never closed"
    [line] = [m for m in answer["systemMessage"].splitlines() if "gates.yaml" in m]
    assert where in line and "the gates ran without it" in line and "`sfp config show gates`" in line
    context = answer["hookSpecificOutput"]["additionalContext"]
    assert where in context and "`sfp config show gates`" in context
    assert "no-todo" not in context  # the broken layer was left out: the built-in gates judged app.py
    logged = (claude_dir / "logs" / "sfp.log").read_text()
    assert "config: left out, the layers below used: " + where in logged


def test_claude_hears_of_a_config_error_once_a_session_the_person_at_every_stop(sfp: SfpRunner,
                                                                                project: Path) -> None:
    project_with(project, {"app.md": "x\n"}, gates="tiers: {fast: {gates: [\n")
    sfp("trust", str(project))
    session = wrote(project, "app.md")
    first = json.loads(sfp("hook", input=stop_event(project, session)).out)
    second = json.loads(sfp("hook", input=stop_event(project, session)).out)
    assert "gates.yaml:1:" in first["hookSpecificOutput"]["additionalContext"]
    assert "hookSpecificOutput" not in second and "gates.yaml:1:" in second["systemMessage"]
    other = json.loads(sfp("hook", input=stop_event(project, session).replace('"s1"', '"s2"')).out)
    assert "gates.yaml:1:" in other["hookSpecificOutput"]["additionalContext"]  # another session: told again


def test_a_hook_tier_naming_no_tier_runs_no_gate_and_points_at_its_line(sfp: SfpRunner, project: Path,
                                                                        claude_dir: Path) -> None:
    project_with(project, {"app.py": "# TODO\n"}, gates="settings:\n  hook_tier: nightly\n" + GATES)
    sfp("trust", str(project))
    run = sfp("hook", input=stop_event(project, wrote(project, "app.py")))
    answer = json.loads(run.out)
    assert run.code == 0 and "decision" not in answer
    assert answer["systemMessage"] == (f"⚠️ sfp: {project / '.sfp' / 'gates.yaml'}:2: no tier `nightly` in gates.yaml; "
                                       "tiers: fast — no gate ran; fix it, then check with `sfp config show gates`")
    assert "no quality gate ran" in answer["hookSpecificOutput"]["additionalContext"]
    assert "check incomplete" not in run.out and not (claude_dir / "kpis").exists()


def test_a_config_error_line_is_redacted(sfp: SfpRunner, tmp_path: Path) -> None:
    key = "AKIA" + "Q3EGRIXZ" * 2
    project = tmp_path / f"client-{key}"  # a path is shown whole: a credential in it must not be
    project.mkdir()
    project_with(project, {"app.py": "x = 1\n"}, gates="tiers: [\n")
    sfp("trust", str(project))
    answer = json.loads(sfp("hook", input=stop_event(project, wrote(project, "app.py"))).out)
    [line] = [m for m in answer["systemMessage"].splitlines() if "gates.yaml:1:" in m]
    told = answer["hookSpecificOutput"]["additionalContext"].rsplit("sfp could not use a config file: ", 1)[1]
    assert "client-***" in line and key not in line and "client-***" in told and key not in told
