"""`sfp hook [EVENT]`: answer one Claude Code hook event read as JSON from stdin.

The hooks Claude Code runs take a shorter way (`sfp.cli` skips argparse for a
plain `sfp hook`); this module is that same runner reached through the parser,
when options come along.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", nargs="?", help="event name (default: the payload's hook_event_name)")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    from sfp.hooks.runner import run_hook

    return run_hook(args.event, claude_dir, sys.stdin.buffer, out, sys.stderr)
