"""`sfp inject`: print exactly what the UserPromptSubmit hook would add for a prompt (the runbook's TAG test).

Without --session every call prints the full text, as for a session's first
prompt, and nothing is remembered. With --session ID it is the hook for that
session: it reads and updates the same per-session state, so a second call
prints nothing until the session is compacted or a context file changes.
The tags do not depend on the prompt's text; --prompt is taken so the
runbook's check reads the same as before.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_json, add_project, project_dir
from sfp.context.prompt import ALREADY, Injection, prompt_context
from sfp.hooks.protocol import fit_context
from sfp.infra.jsondoc import write_json

SCHEMA = "sfp.inject/1"


def inject(claude_dir: Path, project: Path | None, *, prompt: str, session: str | None, out: IO[str],
           as_json: bool = False) -> int:
    del prompt  # see the module docstring
    injection = prompt_context(claude_dir, project, session or None, None, os.environ)
    context = fit_context(injection.context) if injection.context else None
    if as_json:
        write_json(out, injection_json(injection, context, session or None))
    elif context:
        out.write(context + "\n")
    return 0


def injection_json(injection: Injection, context: str | None, session: str | None) -> dict[str, Any]:
    """`sfp.inject/1`: the text the hook would add (as the hook would cut it), and why or why not."""
    return {
        "schema": SCHEMA, "session_id": session, "context": context, "size_chars": len(context or ""),
        "added": context is not None, "already_added": injection.reason == ALREADY, "reason": injection.reason,
        "tag_count": injection.shown, "dropped_tag_count": injection.dropped, "warnings": list(injection.warnings),
    }


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prompt", metavar="TEXT", required=True, help="the prompt (the tags do not depend on it)")
    parser.add_argument("--session", metavar="ID",
                        help="act as the hook in this session: add once and remember it, so the hook then adds "
                             "nothing more in that session (default: no session, add every time)")
    add_project(parser)
    add_json(parser, f"print the context, its size and whether the session had it already as JSON (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return inject(claude_dir, project_dir(args.project), prompt=args.prompt, session=args.session, out=out,
                  as_json=args.json)
