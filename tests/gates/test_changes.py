"""Changed files: git's modified, staged and untracked-not-ignored files; mtimes outside git."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from sfp.gates.changes import changed_files, parse_timestamp, session_files


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_git_modified_staged_and_untracked_but_not_ignored(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    for name in ("src/kept.py", "src/edited.py", "src/staged.py", "src/gone.py"):
        (repo / name).write_text("x = 1\n")
    (repo / ".gitignore").write_text("*.log\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    (repo / "src/edited.py").write_text("x = 2\n")
    (repo / "src/staged.py").write_text("x = 3\n")
    git(repo, "add", "src/staged.py")
    (repo / "src/new.py").write_text("new\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / "src/gone.py").unlink()
    assert changed_files(repo) == ["src/edited.py", "src/new.py", "src/staged.py"]
    assert changed_files(repo / "src") == ["edited.py", "new.py", "staged.py"]  # relative to the project


def test_a_repo_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("")
    assert changed_files(tmp_path) == ["a.py"]


def test_outside_git_files_modified_since_the_session_began(tmp_path: Path) -> None:
    old, new = tmp_path / "old.py", tmp_path / "pkg" / "new.py"
    new.parent.mkdir()
    old.write_text("")
    new.write_text("")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "dep.js").write_text("")
    start = time.time() - 60
    os.utime(old, (start - 10, start - 10))
    assert changed_files(tmp_path, since=start) == ["pkg/new.py"]


def test_outside_git_without_a_session_start_the_last_hour(tmp_path: Path) -> None:
    (tmp_path / "recent.py").write_text("")
    stale = tmp_path / "stale.py"
    stale.write_text("")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert changed_files(tmp_path) == ["recent.py"]


def test_transcript_timestamps() -> None:
    assert parse_timestamp("2026-11-24T14:34:13.661Z") == 1795530853.661
    assert parse_timestamp("garbage") is None and parse_timestamp(None) is None


# --- what a session changed ------------------------------------------------------------------------

def committed_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    return repo


def test_a_session_is_judged_on_what_it_wrote_not_on_the_persons_dirty_files(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path, {"a.py": "", "b.py": "", ".gitignore": "build/\n"})
    (repo / "a.py").write_text("the person's edit\n")
    (repo / "b.py").write_text("the session's edit\n")
    (repo / "build").mkdir()
    (repo / "build" / "gen.py").write_text("")
    written = [str(repo / "b.py"), str(repo / "build" / "gen.py"), str(tmp_path / "outside.py"), str(repo / "gone.py")]
    (tmp_path / "outside.py").write_text("")
    assert session_files(repo, written, ran_commands=False, since=time.time() - 60) == ["b.py"]


def test_bash_changes_count_only_after_the_session_began(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path, {"old.py": "", "new.py": ""})
    start = time.time() - 60
    for name, when in (("old.py", start - 600), ("new.py", start + 30)):
        (repo / name).write_text("changed\n")
        os.utime(repo / name, (when, when))
    (repo / "untracked.py").write_text("")
    assert session_files(repo, [], ran_commands=True, since=start) == ["new.py", "untracked.py"]
    assert session_files(repo, [], ran_commands=False, since=start) == []  # no command ran: none of them
    assert session_files(repo / "..", [], ran_commands=True, since=None) == []  # no start known: nothing


def test_outside_git_bash_changes_are_mtimes_under_the_project(tmp_path: Path) -> None:
    start = time.time() - 60
    (tmp_path / "old.py").write_text("")
    os.utime(tmp_path / "old.py", (start - 5, start - 5))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "new.py").write_text("")
    assert session_files(tmp_path, [], ran_commands=True, since=start) == ["sub/new.py"]
    assert session_files(tmp_path, ["old.py"], ran_commands=False, since=start) == ["old.py"]  # relative: the project's
