"""sfp.handoff.record: the handoff built from what the transcript shows, with no secrets, and its JSON form."""

from __future__ import annotations

import json

import pytest

from handoff.sample import fixture_handoff
from sfp.handoff.record import build_handoff, from_json, is_secret_path, to_json
from sfp.handoff.markdown import render_markdown
from sfp.claude.transcript_summary import Commit, FailedTool, Refusal, Subagent, Task, Transcript


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


def test_the_new_parts_are_redacted_one_line_and_survive_json() -> None:
    transcript = Transcript(
        prompts=("first: build it", "second", "last"), first_prompt="first: build it\nwith TOKEN=abcdef123456789",
        prompt_count=3,
        open_failures=(FailedTool("Bash", "pytest: Exit code 1", "pytest", "Exit code 1",
                                  ("FAILED tests/x.py::test_y", "FAILED tests/x.py::test_z")),
                       FailedTool("Bash", "curl -u bob:hunter2hunter2 x: exit 7", "curl -u bob:hunter2hunter2 x")),
        fixed_failures=(FailedTool("Bash", "make: boom", "make\nsecond line", "boom"),),
        refused=(Refusal("Bash", "rm -rf /", "rejected"), Refusal("Write", "/p/CLAUDE.md", "not permitted")),
        subagents=(Subagent("Explore", "scan\nthe code", ("/p/notes.md", "/p/.env"),
                            "line one\n\nline two\nline three\nline four API_KEY=sk-live-1234567890abcdef"),),
        commits=(Commit("5808fca0123456789", "Add validation\tnow"),),
        pushes=("main -> main (origin)", "main -> main (origin)"),
        commands=("git status", "python3 -c 'x'\nprint(1)"),
    )
    h = build_handoff(transcript, session_id="s", cwd="/p", git=None, trigger="auto")
    assert h.goal == "first: build it with TOKEN=***" and h.request_count == 3
    assert h.failed_commands == ("pytest: FAILED tests/x.py::test_y; FAILED tests/x.py::test_z",
                                 "curl -u bob:*** x: exit 7")
    assert h.fixed_failures == ("make second line",)
    assert h.refused == ("Bash rm -rf / (rejected by the person)", "Write /p/CLAUDE.md (never permitted)")
    [agent] = h.subagents
    assert (agent.agent_type, agent.description, agent.files_written) == ("Explore", "scan the code", ("/p/notes.md",))
    assert agent.result == "line one / line two / line three"
    assert h.commits == ("5808fca01234 Add validation now",) and h.pushes == ("main -> main (origin) ×2",)
    assert h.commands == ("git status", "python3 -c 'x'")
    assert from_json(json.loads(json.dumps(to_json(h)))) == h
    text = json.dumps(to_json(h)) + render_markdown(h)
    for secret in ("hunter2hunter2", "abcdef123456789", "sk-live-1234567890abcdef", ".env"):
        assert secret not in text
