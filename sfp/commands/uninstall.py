"""`sfp uninstall`: remove exactly sfp's hooks from a Claude Code settings file, backed up, atomic."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from sfp.claude import settings as cc
from sfp.commands.install import add_target_arguments, apply_change, target_file
from sfp.commands.options import project_dir


def uninstall(claude_dir: Path, project: Path, *, scope: str, settings_file: str | None, dry_run: bool, out: IO[str]) -> int:
    path = target_file(scope, settings_file, claude_dir, project)
    before = cc.read_settings(path)
    after = cc.without_sfp_hooks(before)
    return apply_change(path, before, after, dry_run, out, "sfp hooks removed")


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return uninstall(claude_dir, project_dir(args.project), scope=args.scope, settings_file=args.settings,
                     dry_run=args.dry_run, out=out)
