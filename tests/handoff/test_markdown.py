"""sfp.handoff.markdown: the handoff as the Markdown a person (and the next session) reads."""

from __future__ import annotations

from handoff.sample import fixture_handoff
from sfp.handoff.markdown import render_markdown


def test_the_real_session_renders_its_open_tasks_and_changed_files() -> None:
    h = fixture_handoff()
    markdown = render_markdown(h)
    assert "## Open tasks (next steps)" in markdown and "[pending] #2 Write tests for validation" in markdown
    assert "`/home/user/acme-api/src/acme/api.py` (+2 -0)" in markdown
