"""Quality gates at Stop under the real client, with sfp installed by `sfp install`.

The project's `.sfp/gates.yaml` has one fast-tier critical gate that fails while a .py file holds
`print(`. A scripted Write leaves such a file; at the first Stop sfp sends its feedback, and the client
sends the model a new request carrying the gate's name, its output, its fix and the command that re-runs
it. The model's next turn fixes the file and the session ends: the Stop that answers the feedback
(`stop_hook_active: true`) is never judged again.
A second session shows the same holds when the model does NOT fix the file: no loop. Another has a
gates.yaml sfp can't parse: the person sees the file:line:col at each Stop, the model is told once, and
nothing blocks. A third does a
`cd src` in Bash first: the project's gates must still apply (the Stop payload's `cwd` follows the `cd`;
sfp takes the project from CLAUDE_PROJECT_DIR).

sfp answers the Stop with `{"hookSpecificOutput": {"hookEventName": "Stop", "additionalContext": F}}`.
Seen here, identically on 2.1.197 and 2.1.332: F arrives once, as a `role: "user"` message whose text is
`"<system-reminder>\\nStop hook additional context: " + F + "\\n</system-reminder>"`, after the assistant's
last text; the model goes on and the next Stop has `stop_hook_active: true`. (`{"decision": "block",
"reason": R}` gave 2.1.332's model R twice: "Stop hook feedback" and "Stop hook blocking error".) The
`systemMessage` sfp sends along (`📊 Quality Gates: …`) reaches no request, and is sent only when a gate
failed or was cut short.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.client import Result, Sandbox, hook_settings, logged, merge_hooks, sfp_log
from e2e.model_server import ModelServer, Request, all_text, call, say, texts_of

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
CONTEXT_TEXT = "# Context\n\nThe e2e project for quality gates.\n"
GATE = "no-debug-print"
FIX = "Remove the print() calls; log with the logging module instead."
GATES_YAML = f"""\
settings:
  parallel: false
tiers:
  fast:
    gates:
      - name: {GATE}
        description: No debugging prints left in Python files
        command: "! grep -Hn 'print(' {{files}}"
        required: true
        critical: true
        timeout: 10000
        file_patterns: ["*.py"]
        fix: "{FIX}"
"""
BAD_APP = 'import logging\n\nprint("debug")\nANSWER = 42\n'
GOOD_APP = "import logging\n\nANSWER = 42\n"
# grep's line for BAD_APP written as <project>/app.py (the gate gets the session's files, project-relative).
GREP_LINE = 'app.py:3:print("debug")'
BLOCK_HEAD = "sfp quality gates failed on the files changed in this session"
SUMMARY_PREFIX = "📊 Quality Gates"
# Far more model requests than any of these sessions needs: a Stop loop would blow through it.
REQUEST_LIMIT = 12


def install_sfp(sandbox: Sandbox, sfp_pyz: Path) -> Path:
    """sfp installed as the README does it, a context file (so the health check is quiet), the gates,
    and a second Stop hook that appends every Stop payload to a file."""
    pyz = sandbox.install_sfp(sfp_pyz, context=CONTEXT_TEXT)
    (sandbox.project / ".sfp").mkdir()
    (sandbox.project / ".sfp" / "gates.yaml").write_text(GATES_YAML, encoding="utf-8")
    # sfp ignores a project's .sfp/ until the person trusts it.
    trusted = sandbox.sfp(pyz, "trust", str(sandbox.project))
    assert trusted.code == 0, trusted.describe()
    payloads = sandbox.root / "stop-payloads.jsonl"
    quoted = shlex.quote(str(payloads))
    installed = json.loads((sandbox.claude_dir / "settings.json").read_text(encoding="utf-8"))
    sandbox.write_settings(merge_hooks(installed, hook_settings(f"cat >> {quoted}; echo >> {quoted}",
                                                                events=["Stop"])))
    return payloads


def stop_payloads(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def kpi_events(claude_dir: Path, kind: str) -> list[dict[str, Any]]:
    path = claude_dir / "kpis" / "events.jsonl"
    if not path.exists():
        return []
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in events if e.get("kind") == kind]


# A Stop hook's additionalContext F, as both clients hand it to the model: a user message of exactly this.
CONTEXT_OPEN, CONTEXT_CLOSE = "<system-reminder>\nStop hook additional context: ", "\n</system-reminder>"
# How the clients frame a `decision: "block"` reason (2.1.332: both, so the model reads it twice).
BLOCK_FRAMINGS = ("Stop hook feedback:", "Stop hook blocking error from command")


def messages(request: Request) -> list[dict[str, Any]]:
    return list((request.body or {}).get("messages") or [])


def stop_context(message: dict[str, Any]) -> str | None:
    """The Stop hook context this message carries (its whole text, framing taken off), or None."""
    if message.get("role") != "user":
        return None
    for text in texts_of(message.get("content")):
        if text.startswith(CONTEXT_OPEN) and text.endswith(CONTEXT_CLOSE):
            return text[len(CONTEXT_OPEN):-len(CONTEXT_CLOSE)]
    return None


def feedback_messages(request: Request) -> list[str]:
    """sfp's gate feedback in the request's history: one per Stop that sent Claude back, in order."""
    return [c for c in map(stop_context, messages(request)) if c is not None]


def model_requests(model: ModelServer) -> list[Request]:
    return [r for r in model.requests if r.kind in ("main", "compact", "side")]


# ---------------------------------------------------------------------------------------------
# Blocked, fixed, ended


@dataclass(frozen=True)
class Gated:
    sandbox: Sandbox
    model: ModelServer
    session_id: str
    app: Path
    first: Result  # the run that wrote, was blocked and fixed
    payloads: Path
    main_of_first: int  # how many main requests the first run made


@pytest.fixture(scope="module")
def fixed(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gated]:
    """A Write of a file with a print, "done" (blocked), a Write that fixes it, "fixed" (ends); then a
    second prompt on the same session, whose Stop runs the gates on the fixed file."""
    with ModelServer(limit=REQUEST_LIMIT) as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-gates"), model.url)
        payloads = install_sfp(sandbox, sfp_pyz)
        app = sandbox.project / "app.py"
        model.push(call("Write", file_path=str(app), content=BAD_APP), say("done"),
                   call("Write", file_path=str(app), content=GOOD_APP), say("fixed"))
        first = sandbox.run("write the app", timeout=RUN_TIMEOUT)
        main_of_first = len(model.main_requests())
        model.push(say("Nothing else to do."))
        sandbox.run("anything else?", resume=first.session_id, timeout=RUN_TIMEOUT)
        yield Gated(sandbox, model, first.session_id, app, first, payloads, main_of_first)


def test_the_blocked_stop_sends_the_model_the_gate_its_output_and_fix(fixed: Gated) -> None:
    requests = fixed.model.main_requests()
    carrying = [i for i, r in enumerate(requests) if feedback_messages(r)]

    assert carrying and carrying[0] == 2, (f"the feedback should first reach the third request (after the "
                                           f"Write and the 'done'); it reached {carrying}")
    [reason] = feedback_messages(requests[2])
    assert BLOCK_HEAD in reason and f"({GATE})" in reason, reason
    assert f"## {GATE} (failed: exit 1)" in reason, reason
    assert GREP_LINE in reason, f"grep's output line is not in the reason:\n{reason}"
    assert f"Fix: {FIX}" in reason, reason
    rerun = reason.rsplit("\n", 1)[-1]
    assert rerun.startswith("Re-run just the failing gate: ") and f" gates {GATE} --session {fixed.session_id} " in rerun
    # The feedback follows the model's "done": it is the answer to that stop, and it is the last message.
    history = messages(requests[2])
    assert stop_context(history[-1]) == reason and history[-2]["role"] == "assistant", history[-2:]
    assert list(texts_of(history[-2]["content"])) == ["done"]


def test_the_feedback_reaches_the_model_once(fixed: Gated) -> None:
    request = fixed.model.main_requests()[2]
    [reason] = feedback_messages(request)

    # Once in the whole request, and in none of the `decision: "block"` framings (2.1.332 doubles those).
    assert all_text(request).count(reason) == 1, all_text(request).count(reason)
    assert not any(framing in all_text(request) for framing in BLOCK_FRAMINGS)


def test_the_rerun_command_in_the_feedback_runs_just_that_gate(fixed: Gated) -> None:
    [reason] = feedback_messages(fixed.model.main_requests()[2])
    command = reason.rsplit("\n", 1)[-1].removeprefix("Re-run just the failing gate: ")
    done = subprocess.run(shlex.split(command) + ["--json"], capture_output=True, text=True, env=fixed.sandbox.env,
                          cwd=fixed.sandbox.root, timeout=60)
    report = json.loads(done.stdout)
    # The file is fixed now: the gate passes on the session's files.
    assert [(g["name"], g["status"]) for g in report["gates"]] == [(GATE, "passed")], report
    assert report["changed_files"] == ["app.py"], report


def test_the_fix_ends_the_session_without_a_loop(fixed: Gated) -> None:
    assert fixed.first.output["result"] == "fixed", fixed.first.describe()
    assert fixed.main_of_first == 4, f"expected Write, done, fix, fixed: 4 requests, got {fixed.main_of_first}"
    assert fixed.app.read_text(encoding="utf-8") == GOOD_APP
    assert fixed.model.remaining == 0
    blocks = [r for r in fixed.model.main_requests() if feedback_messages(r)]
    assert all(len(feedback_messages(r)) == 1 for r in blocks), "the model was sent a second block reason"


def test_the_stop_after_the_block_has_stop_hook_active_and_sfp_does_not_block_it(fixed: Gated) -> None:
    payloads = [p for p in stop_payloads(fixed.payloads) if p.get("session_id") == fixed.session_id]
    stops = logged(sfp_log(fixed.sandbox.claude_dir), "Stop", fixed.session_id)

    assert [p["stop_hook_active"] for p in payloads] == [False, True, False], payloads
    assert [p["last_assistant_message"] for p in payloads] == ["done", "fixed", "Nothing else to do."]
    assert len(stops) == 3, stops
    assert "context" in stops[0]["message"], stops[0]  # the feedback, as the Stop's additionalContext
    assert all("context" not in s["message"] for s in stops[1:]), stops


def test_each_gate_run_is_a_quality_gates_event(fixed: Gated) -> None:
    events = [e for e in kpi_events(fixed.sandbox.claude_dir, "quality_gates") if e.get("session") == fixed.session_id]

    # The Stop with stop_hook_active runs no gate; the next prompt's Stop checks the fixed file.
    assert [(e["failed"], e["passed"]) for e in events] == [(1, 0), (0, 1)], events
    assert [[g["name"] for g in e["gates"]] for e in events] == [[GATE], [GATE]]
    assert events[0]["tier"] == "fast"


def test_the_person_facing_summary_never_reaches_the_model(fixed: Gated) -> None:
    for request in model_requests(fixed.model):
        assert SUMMARY_PREFIX not in all_text(request), "sfp's systemMessage reached the model"
    # It is in the transcript, for the person.
    shown = [r for r in fixed.sandbox.transcript(fixed.session_id)
             if SUMMARY_PREFIX in json.dumps(r.get("attachment") or {}, ensure_ascii=False)]
    assert shown, "the client recorded no systemMessage from sfp's Stop hook"


# ---------------------------------------------------------------------------------------------
# Blocked, not fixed: still no loop


@dataclass(frozen=True)
class Unfixed:
    sandbox: Sandbox
    model: ModelServer
    session_id: str
    app: Path
    runs: tuple[Result, Result]
    main_per_run: tuple[int, int]
    payloads: Path


@pytest.fixture(scope="module")
def unfixed(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unfixed]:
    """The model ignores the block; then a second prompt on the session, the file still failing."""
    with ModelServer(limit=REQUEST_LIMIT) as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-gates-unfixed"), model.url)
        payloads = install_sfp(sandbox, sfp_pyz)
        app = sandbox.project / "app.py"
        model.push(call("Write", file_path=str(app), content=BAD_APP), say("done"), say("I will leave it."))
        first = sandbox.run("write the app", timeout=RUN_TIMEOUT)
        after_first = len(model.main_requests())
        model.push(say("Nothing new."), say("Still leaving it."))
        second = sandbox.run("anything else?", resume=first.session_id, timeout=RUN_TIMEOUT)
        main_per_run = (after_first, len(model.main_requests()) - after_first)
        yield Unfixed(sandbox, model, first.session_id, app, (first, second), main_per_run, payloads)


def test_a_stop_with_stop_hook_active_is_never_blocked(unfixed: Unfixed) -> None:
    first, second = unfixed.runs
    payloads = [p for p in stop_payloads(unfixed.payloads) if p.get("session_id") == unfixed.session_id]

    assert unfixed.app.read_text(encoding="utf-8") == BAD_APP, "the gate should still fail"
    assert first.output["result"] == "I will leave it.", first.describe()
    # Write, done (sent back), the answer to the feedback (not judged again, though the gate still fails).
    assert unfixed.main_per_run[0] == 3, unfixed.main_per_run
    assert [p["stop_hook_active"] for p in payloads][:2] == [False, True], payloads
    # A new prompt is a new turn: its first Stop runs the gates again and sends Claude back once, then ends.
    assert second.output["result"] == "Still leaving it.", second.describe()
    assert unfixed.main_per_run[1] == 2, unfixed.main_per_run
    assert [p["stop_hook_active"] for p in payloads] == [False, True, False, True], payloads
    assert unfixed.model.remaining == 0
    assert len(model_requests(unfixed.model)) < REQUEST_LIMIT


def test_every_block_of_the_unfixed_file_names_the_same_failure(unfixed: Unfixed) -> None:
    # Requests carry the history: the last one holds every block of the session, in order.
    reasons = feedback_messages(unfixed.model.main_requests()[-1])

    assert len(reasons) == 2, f"expected two feedbacks in the session's history, got {len(reasons)}"
    assert reasons[0] == reasons[1], reasons
    assert GREP_LINE in reasons[0] and f"Fix: {FIX}" in reasons[0], reasons[0]
    assert not any(framing in all_text(unfixed.model.main_requests()[-1]) for framing in BLOCK_FRAMINGS)
    events = [e for e in kpi_events(unfixed.sandbox.claude_dir, "quality_gates")
              if e.get("session") == unfixed.session_id]
    assert [e["failed"] for e in events] == [1, 1], events


# ---------------------------------------------------------------------------------------------
# After a `cd` in Bash


def test_a_cd_in_bash_does_not_hide_the_projects_gates(sandbox: Sandbox, model: ModelServer, sfp_pyz: Path) -> None:
    payloads = install_sfp(sandbox, sfp_pyz)
    app = sandbox.project / "src" / "app.py"
    app.parent.mkdir()
    model.push(call("Bash", command="cd src && pwd", description="Go to src"),
               call("Write", file_path=str(app), content=BAD_APP), say("done"), say("I will leave it."))

    result = sandbox.run("write the app", extra=["--allowedTools=Bash"], timeout=RUN_TIMEOUT)

    stops = stop_payloads(payloads)
    assert stops and stops[0]["cwd"] == str(sandbox.project / "src"), "the cd did not move the client's cwd"
    reasons = [text for r in model.main_requests() for text in feedback_messages(r)]
    assert reasons and '\nsrc/app.py:3:print("debug")' in reasons[0], (
        f"no feedback reached the model; sfp's gate runs: {kpi_events(sandbox.claude_dir, 'quality_gates')}")
    assert result.output["result"] == "I will leave it."


# ---------------------------------------------------------------------------------------------
# Quiet otherwise


def test_the_persons_files_are_not_judged_and_a_passing_turn_is_silent(sandbox: Sandbox, model: ModelServer,
                                                                        sfp_pyz: Path) -> None:
    install_sfp(sandbox, sfp_pyz)
    # The person's file from before the session: the gate would fail on it.
    (sandbox.project / "legacy.py").write_text(BAD_APP, encoding="utf-8")
    new = sandbox.project / "new.py"
    model.push(call("Write", file_path=str(new), content=GOOD_APP), say("done"))

    result = sandbox.run("write new.py", timeout=RUN_TIMEOUT)

    assert result.output["result"] == "done", result.describe()
    assert len(model.main_requests()) == 2 and not any(feedback_messages(r) for r in model.main_requests())
    events = [e for e in kpi_events(sandbox.claude_dir, "quality_gates") if e.get("session") == result.session_id]
    assert [(e["passed"], e["failed"]) for e in events] == [(1, 0)], events  # new.py was judged, legacy.py not
    shown = [r for r in sandbox.transcript(result.session_id)
             if SUMMARY_PREFIX in json.dumps(r.get("attachment") or {}, ensure_ascii=False)]
    assert shown == [], "a passing turn showed the person a 📊 line"


# ---------------------------------------------------------------------------------------------
# A config file sfp can't use


BROKEN_GATES_YAML = "tiers:\n  fast:\n    gates: [\n"  # the `[` is never closed
CONFIG_PROBLEM_HEAD = "sfp could not use a config file: "


def test_a_broken_gates_yaml_is_named_with_its_line_to_the_person_and_once_to_the_model(
        sandbox: Sandbox, model: ModelServer, sfp_pyz: Path) -> None:
    sandbox.install_sfp(sfp_pyz, context=CONTEXT_TEXT)
    broken = sandbox.claude_dir / "sfp" / "gates.yaml"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text(BROKEN_GATES_YAML, encoding="utf-8")
    new = sandbox.project / "new.py"
    # The context keeps the model going for one more turn; the next Stop says nothing more.
    model.push(call("Write", file_path=str(new), content=GOOD_APP), say("done"), say("Noted."))

    result = sandbox.run("write new.py", timeout=RUN_TIMEOUT)

    assert result.code == 0 and result.output["result"] == "Noted.", result.describe()
    told = [text for r in model.main_requests() for text in feedback_messages(r)]
    last = model.main_requests()[-1]
    assert len(feedback_messages(last)) == 1, f"the model was told {len(told)} times: {told}"
    context = feedback_messages(last)[0]
    assert context.startswith(CONFIG_PROBLEM_HEAD) and f"{broken}:3:" in context, context
    assert "sfp config show gates" in context
    shown = [json.dumps(r.get("attachment") or {}, ensure_ascii=False) for r in sandbox.transcript(result.session_id)]
    assert any(f"{broken}:3:" in s and "sfp config show gates" in s for s in shown), (
        "the person was not shown the located problem", shown)
    stops = [line["message"] for line in sfp_log(sandbox.claude_dir)
             if line.get("event") == "Stop" and line["message"].startswith("handled")]
    assert len(stops) == 2 and not any("exit " in m or "blocked" in m for m in stops), stops  # never a block
