"""Stop waits for the work to finish: while the Stop payload's `background_tasks` lists a task still
running (2.1.332 runs an Agent in the background by default), sfp runs no gate; the Stop after the task's
`<task-notification>` judges the session's files and sends the feedback once.

The subagent's requests are answered apart from the main loop's script (`SlowAgentServer`): its first
answer waits a few seconds, so the main loop's "done" and its Stop come while the agent still runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from e2e.client import Sandbox
from e2e.model_server import ModelServer, Request, Turn, call, say, texts_of
from e2e.test_gates_e2e import BAD_APP, GATE, RUN_TIMEOUT, feedback_messages, install_sfp, kpi_events, stop_payloads

pytestmark = pytest.mark.e2e

AGENT_PROMPT = "Run the slow suite and report back (sfp e2e background agent)."
AGENT_DELAY_S = 4.0


class SlowAgentServer(ModelServer):
    """The main loop's script as usual; a request of the background agent (its prompt in a user message)
    gets one slow text answer instead, outside the script."""

    def __init__(self) -> None:
        super().__init__(limit=20)
        self.agent_requests: list[Request] = []

    def answer(self, request: Request) -> Turn:
        if request.kind == "main" and self._is_agents(request):
            self.agent_requests.append(request)
            time.sleep(AGENT_DELAY_S)
            return say("The suite passed.")
        return super().answer(request)

    @staticmethod
    def _is_agents(request: Request) -> bool:
        for message in (request.body or {}).get("messages") or []:
            if message.get("role") == "user" and any(AGENT_PROMPT in t for t in texts_of(message.get("content"))):
                return not any("tool_use" == b.get("type") and b.get("name") == "Agent"
                               for m in (request.body or {}).get("messages") or [] if m.get("role") == "assistant"
                               for b in (m.get("content") if isinstance(m.get("content"), list) else []))
        return False


def running(payload: dict[str, Any]) -> bool:
    return any(t.get("status") == "running" for t in payload.get("background_tasks") or [])


@pytest.mark.skip_on_client("2.1.197", reason="runs an Agent in the foreground: no Stop with a running task")
def test_no_gate_runs_while_a_background_agent_is_still_working(claude_bin: Path, sfp_pyz: Path,
                                                                tmp_path: Path) -> None:
    server = SlowAgentServer()
    with server as model:
        sandbox = Sandbox(claude_bin, tmp_path, model.url)
        payloads = install_sfp(sandbox, sfp_pyz)
        app = sandbox.project / "app.py"
        model.push(call("Write", file_path=str(app), content=BAD_APP),
                   call("Agent", description="Run the suite", prompt=AGENT_PROMPT, subagent_type="general-purpose",
                        run_in_background=True),
                   say("done"), say("noted"), say("I will leave it."))

        result = sandbox.run("write the app and test it in the background", timeout=RUN_TIMEOUT)

        stops = [p for p in stop_payloads(payloads) if p.get("session_id") == result.session_id]
        events = [e for e in kpi_events(sandbox.claude_dir, "quality_gates") if e.get("session") == result.session_id]
        assert server.agent_requests, "the background agent never asked the model"
        assert any(running(p) for p in stops), f"no Stop came while the agent ran: {json.dumps(stops)[:2000]}"
        # One gate run: at the first Stop with nothing running that answers no feedback.
        judged = [p for p in stops if not running(p) and not p.get("stop_hook_active")]
        assert len(events) == len(judged) >= 1, (events, stops)
        assert [e["failed"] for e in events][0] == 1 and events[0]["gates"][0]["name"] == GATE
        # The feedback reached the model once, after the agent's work was in.
        carrying = [r for r in model.main_requests() if feedback_messages(r)]
        assert carrying and len(feedback_messages(carrying[-1])) == 1, [feedback_messages(r) for r in carrying]
