"""The handoff: built from what the transcript shows, no secrets, written atomically, found per project."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from helpers import DATA
from sfp.infra.git import GitState
from sfp.handoff.record import Handoff, build_handoff, from_json, is_secret_path, to_json
from sfp.handoff.checkpoint import make_handoff
from sfp.handoff.markdown import render_markdown
from sfp.handoff.store import latest_for_project, list_handoffs, write_handoff
from sfp.claude.transcript import read_transcript
from sfp.claude.transcript_summary import FailedTool, Task, Transcript

FIXTURE = DATA / "transcripts" / "bb4d8064-6c68-4243-a46f-ce1e3b32b275.jsonl"


def fixture_handoff(**overrides: object) -> Handoff:
    transcript = read_transcript(FIXTURE)
    git = GitState("/home/user/acme-api", "main", "a" * 40, (" M src/acme/api.py", "?? tests/test_validation.py"),
                   {"src/acme/api.py": (2, 0)})
    return build_handoff(transcript, session_id=transcript.session_id, cwd=transcript.cwd, git=git,
                         trigger="manual", notes="focus on tests", now=0, **overrides)


def test_the_real_session_becomes_a_faithful_handoff() -> None:
    h = fixture_handoff()
    assert [(t.id, t.subject) for t in h.completed_tasks] == [("1", "Add email validation")]
    assert [(t.id, t.status) for t in h.open_tasks] == [("2", "pending")]
    changed = {c.path: (c.added, c.removed) for c in h.files_changed}
    assert changed == {"/home/user/acme-api/src/acme/api.py": (2, 0), "/home/user/acme-api/tests/test_validation.py": (None, None)}
    assert h.prompts[-1] == "continue with the test run"
    assert h.git_branch == "main" and h.head == "a" * 40 and h.notes == "focus on tests"
    markdown = render_markdown(h)
    assert "## Open tasks (next steps)" in markdown and "[pending] #2 Write tests for validation" in markdown
    assert "`/home/user/acme-api/src/acme/api.py` (+2 -0)" in markdown


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


def test_written_as_private_md_and_json_that_round_trip(claude_dir: Path) -> None:
    h = fixture_handoff()
    stored = write_handoff(claude_dir, h, now=1_790_000_000)
    assert stored.markdown.name.startswith("handoff-") and stored.markdown.name.endswith("-bb4d8064.md")
    assert stat.S_IMODE(stored.markdown.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.markdown.parent.stat().st_mode) == 0o700
    assert from_json(json.loads(stored.json.read_text())) == h
    assert stored.markdown.read_text() == render_markdown(h)


def test_same_second_same_session_gets_distinct_names(claude_dir: Path) -> None:
    h = fixture_handoff()
    names = {write_handoff(claude_dir, h, now=1_790_000_000).markdown.name for _ in range(3)}
    assert len(names) == 3 and len(list_handoffs(claude_dir)) == 3


def test_latest_for_project_never_returns_another_projects(claude_dir: Path) -> None:
    mine = build_handoff(Transcript(prompts=("mine",)), session_id="a1", cwd="/work/mine", git=None, trigger="auto")
    other = build_handoff(Transcript(prompts=("other",)), session_id="b2", cwd="/work/other", git=None, trigger="auto")
    write_handoff(claude_dir, mine, now=1_790_000_000)
    write_handoff(claude_dir, other, now=1_790_000_100)
    found = latest_for_project(claude_dir, "/work/mine", None)
    assert found is not None and found[1].prompts == ("mine",)
    assert latest_for_project(claude_dir, "/work/third", None) is None


def test_same_git_root_matches_from_a_subfolder(claude_dir: Path) -> None:
    h = build_handoff(Transcript(prompts=("x",)), session_id="a1", cwd="/repo/sub", trigger="auto",
                      git=GitState("/repo", "main", "b" * 40))
    write_handoff(claude_dir, h)
    assert latest_for_project(claude_dir, "/repo/other/sub", "/repo") is not None
    assert latest_for_project(claude_dir, "/repo/sub", "/elsewhere") is None


def test_make_handoff_reads_git_for_real(claude_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def run(*a: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)

    run("init", "-q", "-b", "feature")
    (repo / "a.py").write_text("x = 1\n")
    run("add", "a.py")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    (repo / "a.py").write_text("x = 1\ny = 2\nz = 3\n")
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(json.dumps({"type": "assistant", "cwd": str(repo), "message": {"content": [
        {"type": "tool_use", "id": "t1", "name": "Edit", "input": {"file_path": str(repo / "a.py")}}]}}) + "\n")
    stored, h = make_handoff(claude_dir, transcript_path=str(transcript), session_id="sess1234", cwd=str(repo),
                             trigger="manual")
    assert h.git_branch == "feature" and h.head and len(h.head) == 40
    assert [(c.path, c.added, c.removed) for c in h.files_changed] == [(str(repo / "a.py"), 2, 0)]
    assert h.git_status == (" M a.py",)


def test_make_handoff_survives_a_missing_transcript(claude_dir: Path, tmp_path: Path) -> None:
    stored, h = make_handoff(claude_dir, transcript_path=str(tmp_path / "gone.jsonl"), session_id="s",
                             cwd=str(tmp_path), trigger="session_end")
    assert stored.markdown.exists() and h.prompts == ()


def test_a_session_id_with_odd_characters_makes_a_safe_file_name(claude_dir: Path) -> None:
    h = build_handoff(Transcript(), session_id="../../x/y", cwd="/p", git=None, trigger="auto")
    stored = write_handoff(claude_dir, h)
    assert stored.markdown.parent == claude_dir / "handoffs" and "/" not in stored.markdown.name
    assert stored.markdown.name.endswith("-______x_.md")
