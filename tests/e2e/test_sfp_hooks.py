"""sfp's hooks under the real client: every event reaches `sfp hook`, and SessionStart's health
check reaches the model only when something is wrong.

Runs the built zipapp (dist/sfp.pyz, rebuilt here when a source is newer) as the person's
settings.json would: `<python> <abs path>/sfp.pyz hook`.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.client import HOOK_EVENTS, SESSION_EVENTS, Sandbox, hook_settings, logged, sfp_log
from e2e.model_server import ModelServer, all_text, call, say

pytestmark = pytest.mark.e2e

LOG_KEYS = {"time", "level", "event", "session", "message", "duration_ms"}
# How the client labels SessionStart's additionalContext in the request (2.1.197).
HOOK_CONTEXT_LABEL = "SessionStart hook additional context"


def sfp_hook_command(pyz: Path) -> str:
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(pyz))} hook"


def lose_context(claude_dir: Path) -> None:
    """A context folder whose CLAUDE.md is gone: sfp's health check is degraded and says so."""
    (claude_dir / ".context").mkdir(parents=True, exist_ok=True)


def give_context(claude_dir: Path) -> None:
    context = claude_dir / ".context"
    context.mkdir(parents=True, exist_ok=True)
    (context / "CLAUDE.md").write_text("# Context\n\nThe e2e project: nothing to remember.\n", encoding="utf-8")


@dataclass(frozen=True)
class Session:
    sandbox: Sandbox
    model: ModelServer
    session_id: str
    written: Path


@pytest.fixture(scope="module")
def full_session(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One session through every event, with a .context/ folder but no CLAUDE.md in it (so health is not
    healthy; no .context/ at all is "TAGs not set up", healthy and silent):
    a Write, a second prompt, then /compact."""
    with ModelServer() as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-session"), model.url)
        lose_context(sandbox.claude_dir)
        sandbox.write_settings(hook_settings(sfp_hook_command(sfp_pyz), events=HOOK_EVENTS))
        written = sandbox.project / "src" / "app.py"
        model.push(call("Write", file_path=str(written), content="print('hello')\n"), say("Wrote it."),
                   say("Second answer."))
        session = sandbox.run("write the app").session_id
        sandbox.run("and now?", resume=session)
        sandbox.run("/compact", resume=session)
        yield Session(sandbox, model, session, written)


def test_every_event_reaches_sfp_with_the_session_id(full_session: Session) -> None:
    records = sfp_log(full_session.sandbox.claude_dir)

    assert full_session.written.exists(), "the scripted Write did not run, so PostToolUse proves nothing"
    missing = [event for event in SESSION_EVENTS if not logged(records, event, full_session.session_id)]
    assert missing == [], f"no sfp log line for {missing}; logged: {[r.get('event') for r in records]}"
    for record in records:
        assert LOG_KEYS <= record.keys(), record


def test_compact_runs_sfp_pre_compact_without_blocking_it(full_session: Session) -> None:
    records = sfp_log(full_session.sandbox.claude_dir)

    [pre_compact] = logged(records, "PreCompact", full_session.session_id)
    assert pre_compact["level"] in ("debug", "info"), pre_compact
    assert len(full_session.model.compact_requests()) == 1
    transcript = full_session.sandbox.transcript(full_session.session_id)
    assert any(r.get("subtype") == "compact_boundary" for r in transcript), "sfp's PreCompact blocked the compaction"


def test_an_unhealthy_check_reaches_the_model_at_session_start(full_session: Session) -> None:
    first = all_text(full_session.model.main_requests()[0])

    assert HOOK_CONTEXT_LABEL in first, "no SessionStart context reached the model"
    injected = first[first.index(HOOK_CONTEXT_LABEL):][:2000]
    assert "context_integrity" in injected


def test_a_healthy_session_start_adds_nothing(sandbox: Sandbox, model: ModelServer, sfp_pyz: Path) -> None:
    give_context(sandbox.claude_dir)
    sandbox.write_settings(hook_settings(sfp_hook_command(sfp_pyz), events=["SessionStart"]))
    model.push(say("Hello."))

    session = sandbox.run("hi").session_id

    assert logged(sfp_log(sandbox.claude_dir), "SessionStart", session), "sfp's SessionStart did not run"
    first = all_text(model.main_requests()[0])
    assert HOOK_CONTEXT_LABEL not in first
    assert "context_integrity" not in first and "[sfp]" not in first
