"""sfp.handoff.store: handoffs written atomically and privately, named safely, found per project."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from handoff.sample import fixture_handoff
from sfp.infra.git import GitState
from sfp.handoff.record import build_handoff, from_json
from sfp.handoff.markdown import render_markdown
from sfp.handoff.store import latest_for_project, list_handoffs, write_handoff
from sfp.claude.transcript_summary import Transcript


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


def test_a_session_id_with_odd_characters_makes_a_safe_file_name(claude_dir: Path) -> None:
    h = build_handoff(Transcript(), session_id="../../x/y", cwd="/p", git=None, trigger="auto")
    stored = write_handoff(claude_dir, h)
    assert stored.markdown.parent == claude_dir / "handoffs" and "/" not in stored.markdown.name
    assert stored.markdown.name.endswith("-______x_.md")
