"""The hook layer: one thin module per Claude Code event.

Each module has `handle(event, ctx) -> HookResult`: it reads what it needs
from the event, calls a feature, and says what should reach the model or
the person. `sfp.hooks.runner` does the reading, budgeting, failure policy
and output around it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sfp.infra.record import Record

# Imported by name only when its event arrives: a prompt hook never pays for the gates.
HANDLERS: Final[Mapping[str, str]] = {
    "SessionStart": "sfp.hooks.session_start",
    "UserPromptSubmit": "sfp.hooks.user_prompt_submit",
    "PreToolUse": "sfp.hooks.pre_tool_use",
    "PostToolUse": "sfp.hooks.post_tool_use",
    "Stop": "sfp.hooks.stop",
    "PreCompact": "sfp.hooks.pre_compact",
    "PostCompact": "sfp.hooks.post_compact",
    "TaskCreated": "sfp.hooks.task_events",
    "TaskCompleted": "sfp.hooks.task_events",
    "SessionEnd": "sfp.hooks.session_end",
}


class HookContext(Record):
    claude_dir: Path
    environ: Mapping[str, str]
    deadline: float  # time.monotonic() by which the handler must have answered
    memo: dict[str, Any]  # shared by the attempts at one event: a retry can pick up what the first did

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def project_dir(self, cwd: str | None) -> Path | None:
        """The project the event is about: `$CLAUDE_PROJECT_DIR`, else the event's cwd.

        The client keeps CLAUDE_PROJECT_DIR at the project while cwd follows a `cd` run in Bash,
        after which cwd would point at a subfolder without the project's .sfp/ config.
        """
        chosen = self.environ.get("CLAUDE_PROJECT_DIR") or cwd
        return Path(chosen) if chosen else None
