"""The handoff back in context: within budget, parts dropped in order, staleness said in one line."""

from __future__ import annotations

from pathlib import Path

from sfp.handoff.record import FileChange, Handoff, SubagentNote, TaskNote, from_json
from sfp.handoff.store import StoredHandoff
from sfp.handoff.resume import Current, pointer, render_for_context

STORED = StoredHandoff(Path("/c/handoffs/handoff-20261124-100000-abcd1234.md"),
                       Path("/c/handoffs/handoff-20261124-100000-abcd1234.json"))


def big_handoff() -> Handoff:
    return Handoff(
        created="2026-11-24T10:00:00Z", session_id="abcd1234", trigger="manual", cwd="/repo", git_root="/repo",
        git_branch="main", head="c" * 40,
        open_tasks=(TaskNote("2", "Write tests for validation", "pending"),),
        completed_tasks=(TaskNote("1", "Add email validation", "completed"),),
        files_changed=tuple(FileChange(f"/repo/src/module_{i:03}.py", i, 1) for i in range(60)),
        files_read=tuple(f"/repo/docs/read_{i:03}.md" for i in range(80)),
        prompts=tuple(f"older request {i} " + "words " * 30 for i in range(4)) + ("the LAST request, word for word",),
    )


def render(handoff: Handoff, budget: int, head: str | None = "c" * 40) -> str:
    return render_for_context(STORED, handoff, source="compact", budget=budget, current=Current(head, 0))


def test_everything_fits_in_a_large_budget() -> None:
    text = render(big_handoff(), 8000)
    assert len(text) <= 8000
    assert "/repo/src/module_059.py (+59 -1)" in text or "Left out to fit" in text
    assert "the LAST request, word for word" in text


def test_small_budget_drops_files_read_first_then_older_prompts_then_changed_tail() -> None:
    h = big_handoff()
    text = render(h, 2500)
    assert len(text) <= 2500
    assert "[pending] #2 Write tests for validation" in text  # open tasks always stay
    assert "the LAST request, word for word" in text  # the newest request always stays
    assert "/repo/src/module_000.py" in text  # the head of the changed list stays
    assert "read_000" not in text  # files read go first
    assert "Left out to fit: 80 files read" in text
    assert text.splitlines()[-1].endswith(str(STORED.markdown))


def test_never_over_the_ceiling_whatever_the_config_says() -> None:
    assert len(render(big_handoff(), 50_000)) <= 8000


def test_framed_as_a_record_not_instructions() -> None:
    text = render(big_handoff(), 4000)
    assert text.startswith("[sfp] Record of earlier work in this project, saved before the context was compacted")
    assert "not a list of instructions to run again" in text


def test_head_moved_is_one_line() -> None:
    text = render(big_handoff(), 4000, head="d" * 40)
    [note] = [line for line in text.splitlines() if line.startswith("Note: HEAD")]
    assert note == f"Note: HEAD has moved since this record (was {'c' * 12}, now {'d' * 12})."
    assert "Note: HEAD" not in render(big_handoff(), 4000)


def test_files_modified_after_the_record_are_noted(tmp_path: Path) -> None:
    changed = tmp_path / "a.py"
    changed.write_text("new")
    h = Handoff(created="2020-01-01T00:00:00Z", session_id="s", trigger="auto", cwd=str(tmp_path), git_root=None,
                git_branch=None, head=None, files_changed=(FileChange(str(changed)),))
    assert "1 of the changed files were modified after this record was written" in render(h, 4000, head=None)


def truthful_handoff() -> Handoff:
    return big_handoff()._replace(
        goal="GOAL: build the inventory CLI", request_count=9,
        open_tasks=tuple(TaskNote(str(i), f"open task {i}", "pending") for i in range(2, 6)),
        failed_commands=("pytest tests/test_cli.py: FAILED tests/test_cli.py::test_count",),
        fixed_failures=tuple(f"make lint {i}" for i in range(5)),
        refused=("Bash curl -s http://x (never permitted)",),
        last_assistant_message="FINAL: the CLI test still fails because save() is a stub. " + "detail " * 300,
        subagents=tuple(SubagentNote("Explore", f"look at module {i}", (f"/repo/notes_{i}.md",), "found it")
                        for i in range(6)),
        commits=tuple(f"{i:07x} commit subject number {i}" for i in range(30)),
        pushes=("main -> main (origin)",),
    )


def test_within_the_budget_the_first_things_stay_and_the_cut_says_what_went() -> None:
    text = render(truthful_handoff(), 4000)
    assert len(text) <= 4000
    for kept in ("Goal (the first request): GOAL: build the inventory CLI", "[pending] #5 open task 5",
                 "- pytest tests/test_cli.py: FAILED tests/test_cli.py::test_count",
                 "> the LAST request, word for word", "Final state (the last assistant message): FINAL: the CLI",
                 "Bash curl -s http://x (never permitted)", "/repo/src/module_000.py"):
        assert kept in text
    [cut] = [line for line in text.splitlines() if line.startswith("[sfp] Left out to fit: ")]
    # Lowest priority first: files read, earlier requests, completed tasks, fixed failures, commits ...
    assert "80 files read" in cut and "4 earlier requests" in cut and "commits and pushes" in cut
    assert text.index("Goal") < text.index("Open tasks") < text.index("Still failing") < text.index("Last request")
    assert text.index("Last request") < text.index("Final state") < text.index("Files changed")


def test_commits_go_before_subagents_and_subagents_before_changed_files() -> None:
    h = truthful_handoff()._replace(files_read=(), prompts=("the LAST request, word for word",))
    sizes = []
    for budget in (8000, 6000, 5000, 4000, 3000, 2000):
        text = render(h, budget)
        assert len(text) <= budget
        sizes.append((text.count("commit subject number"), text.count("look at module"),
                      text.count("/repo/src/module_")))
    for commits, subagents, changed in sizes:
        assert not (commits and subagents < 6) and not (subagents and changed < 60)


def test_the_final_state_goes_back_clipped() -> None:
    text = render(truthful_handoff()._replace(subagents=(), commits=(), files_changed=()), 8000)
    [final] = [line for line in text.splitlines() if line.startswith("Final state")]
    assert len(final) <= len("Final state (the last assistant message): ") + 800 and final.endswith("…")


def test_a_handoff_written_before_these_fields_still_renders() -> None:
    old = from_json({"created": "2026-11-24T10:00:00Z", "prompts": ["only request"],
                     "failed_commands": ["make: boom"], "last_assistant_message": "done"})
    text = render(old, 4000)
    assert "Goal" not in text and "> only request" in text and "- make: boom" in text
    assert "Final state (the last assistant message): done" in text


def test_goal_and_last_request_stay_when_everything_else_is_huge() -> None:
    h = truthful_handoff()._replace(
        goal="G" * 500, prompts=("L" * 1990 + " THE END",),
        open_tasks=tuple(TaskNote(str(i), "subject " * 60, "pending") for i in range(20)),
        failed_commands=tuple("x" * 299 for _ in range(10)), notes="n" * 400)
    text = render(h, 4000)
    assert len(text) <= 4000
    assert f"Goal (the first request): {'G' * 199}" in text and "> " + "L" * 1990 + " THE END" in text
    assert text.count("- [pending]") == 1 and text.count("- " + "x" * 299) == 1
    [cut] = [line for line in text.splitlines() if line.startswith("[sfp] Left out to fit")]
    for said in ("19 open tasks", "9 unresolved failures", "the compaction notes", "the end of the goal"):
        assert said in cut


def test_when_commits_give_way_the_latest_ones_stay() -> None:
    h = truthful_handoff()._replace(files_read=(), prompts=("the LAST request, word for word",), subagents=(),
                                    files_changed=(), fixed_failures=(), completed_tasks=())
    text = render(h, 2400)
    listed = section_items(text, "Commits made in the session:")
    assert 0 < len(listed) < 31 and "commits and pushes" in text
    assert listed[-1] == "000001d commit subject number 29" and "pushed main -> main (origin)" not in listed


def section_items(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    if title not in lines:
        return []
    items = []
    for line in lines[lines.index(title) + 1:]:
        if not line.startswith("- "):
            break
        items.append(line[2:])
    return items


def test_the_startup_pointer_counts_open_tasks_and_unresolved_failures() -> None:
    text = pointer(STORED, truthful_handoff())
    assert text == ("[sfp] A handoff from an earlier session in this project (2026-11-24T10:00:00Z, 4 open task(s), "
                    f"1 command(s) still failing) is at {STORED.markdown}.")
