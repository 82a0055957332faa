"""The recorded session every handoff test starts from (import as `handoff.sample`)."""

from __future__ import annotations

from helpers import DATA
from sfp.claude.transcript import read_transcript
from sfp.handoff.record import Handoff, build_handoff
from sfp.infra.git import GitState

FIXTURE = DATA / "transcripts" / "bb4d8064-6c68-4243-a46f-ce1e3b32b275.jsonl"


def fixture_handoff(**overrides: object) -> Handoff:
    transcript = read_transcript(FIXTURE)
    git = GitState("/home/user/acme-api", "main", "a" * 40, (" M src/acme/api.py", "?? tests/test_validation.py"),
                   {"src/acme/api.py": (2, 0)})
    return build_handoff(transcript, session_id=transcript.session_id, cwd=transcript.cwd, git=git,
                         trigger="manual", notes="focus on tests", now=0, **overrides)
