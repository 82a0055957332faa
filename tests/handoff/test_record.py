"""sfp.handoff.record: the handoff built from what the transcript shows, with no secrets, and its JSON form."""

from __future__ import annotations

import json

import pytest

from handoff.sample import fixture_handoff
from sfp.handoff.record import build_handoff, is_secret_path, to_json
from sfp.handoff.markdown import render_markdown
from sfp.claude.transcript_summary import FailedTool, Task, Transcript


def test_the_real_session_becomes_a_faithful_handoff() -> None:
    h = fixture_handoff()
    assert [(t.id, t.subject) for t in h.completed_tasks] == [("1", "Add email validation")]
    assert [(t.id, t.status) for t in h.open_tasks] == [("2", "pending")]
    changed = {c.path: (c.added, c.removed) for c in h.files_changed}
    assert changed == {"/home/user/acme-api/src/acme/api.py": (2, 0), "/home/user/acme-api/tests/test_validation.py": (None, None)}
    assert h.prompts[-1] == "continue with the test run"
    assert h.git_branch == "main" and h.head == "a" * 40 and h.notes == "focus on tests"


def test_newest_prompt_is_word_for_word_older_ones_trimmed() -> None:
    long_old = "old " * 200
    newest = "newest   request\nwith two lines " + "x" * 500
    h = build_handoff(Transcript(prompts=(long_old, newest)), session_id="s", cwd="/p", git=None, trigger="auto")
    assert h.prompts[-1] == newest
    assert len(h.prompts[0]) <= 200 and h.prompts[0].endswith("…")


def test_secret_paths_are_only_counted_and_secret_text_is_redacted() -> None:
    transcript = Transcript(
        files_written=("/p/app.py", "/p/.env", "/p/certs/server.pem", "/p/aws_credentials.json"),
        files_read=("/p/.env.local", "/p/README.md"),
        prompts=("set API_KEY=sk-live-1234567890abcdef in the config",),
        failed_tools=(FailedTool("Bash", "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwx' x: exit 1"),),
        tasks=(Task("1", "rotate PASSWORD=hunter2hunter2", "pending"),),
    )
    h = build_handoff(transcript, session_id="s", cwd="/p", git=None, trigger="auto")
    assert [c.path for c in h.files_changed] == ["/p/app.py"] and h.secret_files_changed == 3
    assert h.files_read == ("/p/README.md",) and h.secret_files_read == 1
    text = json.dumps(to_json(h)) + render_markdown(h)
    for secret in ("sk-live-1234567890abcdef", "abcdefghijklmnopqrstuvwx", "hunter2hunter2", ".env", "server.pem"):
        assert secret not in text
    assert "3 secret-looking file(s), not named" in render_markdown(h)


@pytest.mark.parametrize("path, secret", [
    (".env", True), ("config/.env.production", True), ("id_rsa", True), ("x/service-account-credentials.json", True),
    ("tls.key", True), ("keyboard.py", False), ("src/env.py", False), ("README.md", False),
])
def test_secret_path_patterns(path: str, secret: bool) -> None:
    assert is_secret_path(path) is secret
