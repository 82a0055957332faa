"""sfp.handoff.markdown: the handoff as the Markdown a person (and the next session) reads."""

from __future__ import annotations

from handoff.sample import fixture_handoff
from sfp.handoff.markdown import render_markdown
from sfp.handoff.record import SubagentNote


def test_the_real_session_renders_its_open_tasks_and_changed_files() -> None:
    h = fixture_handoff()
    markdown = render_markdown(h)
    assert "## Open tasks (next steps)" in markdown and "[pending] #2 Write tests for validation" in markdown
    assert "`/home/user/acme-api/src/acme/api.py` (+2 -0)" in markdown


def test_goal_outcomes_subagents_commits_and_commands_have_their_sections() -> None:
    h = fixture_handoff()._replace(
        goal="build the API", request_count=7, failed_commands=("pytest: FAILED tests/x.py::test_y",),
        fixed_failures=("make lint",), refused=("Bash curl x (never permitted)",),
        subagents=(SubagentNote("Explore", "scan the code", ("/p/notes.md",), "found it"),),
        commits=("5808fca Add validation",), pushes=("main -> main (origin)",), commands=("git status",))
    markdown = render_markdown(h)
    for expected in ("## Goal (the first request)\n\n> build the API", "## Still failing at the end\n\n- pytest: FAILED",
                     "## Failed, then fixed\n\n- make lint", "## Refused (not done)\n\n- Bash curl x (never permitted)",
                     "## Subagents\n\n- [Explore] scan the code; wrote /p/notes.md; result: found it",
                     "## Commits\n\n- 5808fca Add validation\n- pushed main -> main (origin)",
                     "## Commands run (the last 1)\n\n- `git status`"):
        assert expected in markdown
