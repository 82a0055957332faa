"""The whole truth in a handoff (issue 13), checked on real transcripts: the public ones in ../shared and
the 2.1.332 session recorded for sfp. Requests are the person's, failures carry their outcome, the final
state goes back to the model, subagents and commits are named, and no secret gets through."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from helpers import DATA, ROOT
from sfp.claude.transcript import read_transcript, summarize_transcript
from sfp.handoff.markdown import render_markdown
from sfp.handoff.record import Handoff, build_handoff, to_json
from sfp.handoff.resume import Current, render_for_context
from sfp.handoff.store import StoredHandoff

PUBLIC = ROOT.parent / "shared" / "fixtures" / "transcripts-public"
CLIENT_2_1_332 = DATA / "transcripts" / "13c33a0c-9bee-4bbb-9af4-155050464fce.jsonl"
BUDGET = 4000
# Secrets planted in generated/ and derived/ (bars/data/transcripts-public/facts.json names the same).
PLANTED = (
    "AKIAPLANTEDKEY000001", "AKIAQWERTYUIOPASDFGH", "AKIAZZTESTKEY1234567", "S3cr3tPassw0rd",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "Hunter2-Staging-77", "wk_live_9f8e7d6c5b4a39281706",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQPLANTED", "Sup3rPlantedS3cret", "plantedBearerToken0123456789abcdef",
)
CLIENT_TEXT = ("<task-notification>", "<local-command", "<command-", "Caveat:", "<system-reminder>",
               "This session is being continued", "Base directory for this skill", "<bash-")


def public_dir() -> Path:
    if not PUBLIC.is_dir():
        pytest.skip(f"{PUBLIC} absent: ../shared/fixtures/transcripts-public is needed (CI has it)")
    return PUBLIC


def unpack(tmp_path: Path, name: str) -> Path:
    """A public transcript (and its subagents/) as plain .jsonl under tmp_path: the reader takes no .gz."""
    source = public_dir()
    main = source / name
    out = tmp_path / name.removesuffix(".gz")
    files = [main] + sorted((main.parent / out.name.removesuffix(".jsonl") / "subagents").glob("agent-*"))
    for file in files:
        target = out.parent / file.relative_to(main.parent)
        target = target.with_name(target.name.removesuffix(".gz"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.name.endswith(".gz"):
            with gzip.open(file) as raw, target.open("wb") as plain:
                shutil.copyfileobj(raw, plain)
        else:
            shutil.copyfile(file, target)
    return out


def public_names() -> list[str]:
    if not PUBLIC.is_dir():
        return ["(../shared absent)"]
    return sorted(str(p.relative_to(PUBLIC)) for p in PUBLIC.rglob("*.jsonl*") if "/subagents/" not in str(p))


def handoff_of(path: Path) -> Handoff:
    transcript = read_transcript(path)
    return build_handoff(transcript, session_id=None, cwd=None, git=None, trigger="auto", now=0)


def context_of(path: Path, handoff: Handoff) -> str:
    stored = StoredHandoff(path.with_suffix(".md"), path.with_suffix(".json"))
    return render_for_context(stored, handoff, source="compact", budget=BUDGET, current=Current(None, 0))


def section(text: str, title: str) -> list[str]:
    """The `- ` items under `title:` in the context text."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(title)), None)
    if start is None:
        return []
    items = []
    for line in lines[start + 1:]:
        if not line.startswith("- "):
            break
        items.append(line[2:])
    return items


# --- every transcript ------------------------------------------------------------------------


@pytest.mark.parametrize("name", public_names())
def test_every_public_transcript_reads_into_a_truthful_secret_free_handoff(tmp_path: Path, name: str) -> None:
    path = unpack(tmp_path, name)
    fast = summarize_transcript(path, True, 8 * 1024 * 1024, skip_cheaply=True)
    assert fast == summarize_transcript(path, True, 8 * 1024 * 1024, skip_cheaply=False)
    handoff = build_handoff(fast, session_id=None, cwd=None, git=None, trigger="auto", now=0)
    context = context_of(path, handoff)
    everything = json.dumps(to_json(handoff), ensure_ascii=False) + render_markdown(handoff) + context
    for secret in PLANTED:
        assert secret not in everything
    assert len(context) <= BUDGET
    for request in (*fast.prompts, fast.first_prompt or ""):
        assert not request.lstrip().startswith(CLIENT_TEXT), request[:80]
    listed = (*handoff.failed_commands, *handoff.fixed_failures, *handoff.refused, *handoff.commits,
              *handoff.pushes, *handoff.commands, handoff.goal or "",
              *(field for agent in handoff.subagents for field in (agent.description, agent.result)))
    assert not [item for item in listed if "\n" in item or "\r" in item]
    if handoff.last_assistant_message:
        assert "Final state (the last assistant message): " in context
    if handoff.goal and handoff.request_count > 1:
        assert f"Goal (the first request): {handoff.goal}" in context
    if handoff.prompts:
        assert f"> {handoff.prompts[-1].splitlines()[0]}" in context


# --- the current client (2.1.332), made for sfp ----------------------------------------------


def test_client_2_1_332_task_notification_skill_and_local_commands() -> None:
    got = read_transcript(CLIENT_2_1_332)
    # /compact and /model are the client's own; the skill counts; the task notification does not.
    assert got.prompts == ("Add email validation to create_user", "Track the work as tasks", "what is left?",
                           "/obsskill", "run the tests in the background")
    assert got.first_prompt == "Add email validation to create_user"
    handoff = handoff_of(CLIENT_2_1_332)
    context = context_of(CLIENT_2_1_332, handoff)
    assert "Goal (the first request): Add email validation to create_user" in context
    assert "> run the tests in the background" in context
    assert "Final state (the last assistant message): All tests pass." in context
    assert "task-notification" not in context
    # The curl that needed approval was never run: refused, not a failure.
    assert section(context, "Refused") == ["Bash curl -s http://127.0.0.1:9/health -o /dev/null (never permitted)"]
    assert not any("curl" in line for line in handoff.failed_commands)


# --- public transcripts, one fact each -------------------------------------------------------


def test_slash_command_requests_are_kept_with_their_arguments(tmp_path: Path) -> None:
    todo = handoff_of(unpack(tmp_path, "claude-code-viewer/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl.gz"))
    assert todo.goal == "/orchestrator create TODO app by Next.js"
    assert todo.prompts[-1] == "Thanks! Please update CLAUDE.md for current changes"
    beads = read_transcript(unpack(tmp_path, "spotter/subagent.jsonl.gz"))
    assert beads.prompts[0].startswith("/handgemacht:create-beads websearch to learn")
    assert beads.prompts[-1] == "create the beads"


def test_task_notifications_are_not_requests(tmp_path: Path) -> None:
    got = read_transcript(unpack(tmp_path, "spotter/258c7280-ae70-4798-800f-63464d01a85d.jsonl.gz"))
    assert got.prompts == ("Implement spotter-gqc", "did you push?")


def test_a_test_that_was_fixed_is_not_open_and_one_still_failing_is(tmp_path: Path) -> None:
    path = unpack(tmp_path, "generated/gen-a-inventory.jsonl.gz")
    handoff = handoff_of(path)
    failing = section(context_of(path, handoff), "Still failing")
    assert not any("test_remove_too_many" in line for line in failing)  # failed, then passed
    assert "python3 -m unittest tests.test_cli -v 2>&1: FAIL: test_count_after_add " \
           "(tests.test_cli.CliTest.test_count_after_add)" in failing
    # MultiEdit is no tool in 2.1.197: that call never ran, so it is no failure.
    assert not any("MultiEdit" in line for line in handoff.failed_commands + handoff.fixed_failures)


def test_node_tap_failures_are_named_and_fixed_ones_dropped(tmp_path: Path) -> None:
    handoff = handoff_of(unpack(tmp_path, "generated/gen-b-weather-widget.jsonl.gz"))
    assert not any("celsius" in line or "fahrenheit" in line for line in handoff.failed_commands)
    assert "node --test test/widget.test.js 2>&1: not ok 1 - renders city and temperature" in handoff.failed_commands


def test_a_command_rerun_successfully_is_fixed(tmp_path: Path) -> None:
    handoff = handoff_of(unpack(tmp_path, "fasthooks/sample_main_transcript.jsonl.gz"))
    assert [line.split(":")[0] for line in handoff.failed_commands] == ["cat nonexistent.txt"]
    assert handoff.fixed_failures == ("python /workspace/number_generator.py",)


def test_checker_and_git_retries_settle_their_failures(tmp_path: Path) -> None:
    handoff = handoff_of(unpack(tmp_path, "spotter/fa812bfe-b295-4cca-9c2f-fdf01028cb46.jsonl.gz"))
    assert handoff.failed_commands == ()  # credo, mix test, git add/push all failed once and passed later
    assert any(line.startswith("mix credo --strict") for line in handoff.fixed_failures)
    assert any(line.startswith("git push") for line in handoff.fixed_failures)


def test_rejected_tool_uses_are_stated_with_their_target(tmp_path: Path) -> None:
    handoff = handoff_of(unpack(tmp_path, "spotter/short.jsonl"))
    assert handoff.refused == ("Bash mix phx.server 2>&1 | head -80 (rejected by the person)",
                               "Glob /home/marco/projects/spotter (rejected by the person)")
    assert handoff.failed_commands == ()
    viewer = handoff_of(unpack(tmp_path, "claude-code-viewer/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl"))
    assert viewer.refused == ("Write /path/to/Demo/CLAUDE.md (never permitted)",)


def test_subagent_work_is_named(tmp_path: Path) -> None:
    path = unpack(tmp_path, "generated/gen-a-inventory.jsonl.gz")
    handoff = handoff_of(path)
    [agent] = handoff.subagents
    assert (agent.agent_type, agent.description) == ("general-purpose", "Research packaging options")
    assert agent.files_written == ("/home/dev/work/inventory/docs/packaging.md",)
    assert agent.result.startswith("Recommendation: package with pyproject.toml")
    assert section(context_of(path, handoff), "Subagents")[0].startswith(
        "[general-purpose] Research packaging options; wrote /home/dev/work/inventory/docs/packaging.md; result: ")
    # The client's own compaction agent (agent-acompact-*) is not work the session delegated.
    spotter = handoff_of(unpack(tmp_path, "spotter/fa812bfe-b295-4cca-9c2f-fdf01028cb46.jsonl.gz"))
    assert [(a.agent_type, a.description) for a in spotter.subagents] == [
        ("Explore", "Explore existing codebase"), ("Explore", "Explore sync and transcript code")]


def test_commits_and_pushes_are_listed(tmp_path: Path) -> None:
    path = unpack(tmp_path, "generated/gen-b-weather-widget.jsonl.gz")
    handoff = handoff_of(path)
    assert handoff.commits == ("5808fca Add formatTemperature with tests",)
    assert "- 5808fca Add formatTemperature with tests" in context_of(path, handoff)
    spotter = handoff_of(unpack(tmp_path, "spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl.gz"))
    assert spotter.commits == ("64f1b9a feat: unified transcript visualization and debug parity (spotter-dov)",)
    assert spotter.pushes == ("spotter-dov -> spotter-dov (github.com:marot/spotter.git)",)
    assert "## Commits" in render_markdown(spotter) and "## Commands run (the last 20)" in render_markdown(spotter)
