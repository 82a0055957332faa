"""`sfp gates`: run a tier of quality gates (or the gates named) on the changed files, or on what one
Claude Code session changed, with live progress on a terminal."""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.errors import UsageError
from sfp.gates.changes import changed_files
from sfp.gates.report import as_json, render_text
from sfp.gates.runner import GateResult, GateSpec
from sfp.gates.session import record_kpi, run_for_project, run_notes
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import Terminal, is_tty, terminal_for


def gates(
    claude_dir: Path,
    project: Path,
    *,
    tier: str | None,
    as_json_output: bool,
    all_files: bool,
    files: list[str] | None,
    out: IO[str],
    names: list[str] | None = None,
    session: str | None = None,
) -> int:
    if files:
        changed = [_relative(f, project) for f in files]
        missing = [name for name, rel in zip(files, changed) if not (project / rel).exists()]
        if missing:
            raise UsageError(f"--files: no such file in {project}: {', '.join(missing)} "
                             "(names are relative to the project; `git status` lists what changed)")
    elif session is not None:
        from sfp.gates.session import find_transcript, session_work

        changed = list(session_work(project, find_transcript(claude_dir, project, session)).files)
    else:
        changed = changed_files(project)
    term = terminal_for(out)
    live = _Progress(out, term) if is_tty(out) and not as_json_output else None
    try:
        run = run_for_project(claude_dir, project, tier=tier, changed=changed, all_files=all_files,
                              names=names or (), on_event=live.event if live else None)
    finally:
        if live:
            live.stop()
    code = 1 if run.should_fail() else 0
    from sfp.config.trust import trust_state, untrusted_notice

    if as_json_output:
        state = trust_state(claude_dir, project)
        project_config = {"present": state.has_config, "trusted": state.trusted, "reason": state.reason}
        write_json(out, {**as_json(run, code), "project_config": project_config})
    else:
        notice = untrusted_notice(claude_dir, project)
        if notice:
            out.write(notice.removeprefix("⚠️ sfp: ") + "\n")
        out.write(render_text(run, term))
    from sfp.infra.log import write_notes

    write_notes(claude_dir, "gates", run_notes(run) + record_kpi(claude_dir, run, None))
    return code


def _relative(name: str, project: Path) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


class _Progress:
    """One self-rewriting line: which gates run now and for how long."""

    def __init__(self, out: IO[str], term: Terminal) -> None:
        self.out = out
        self.hourglass = term.icon("⏳")
        self.running: dict[str, float] = {}
        self.done = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._tick, daemon=True)
        self.thread.start()

    def event(self, kind: str, gate: GateSpec, result: GateResult | None) -> None:
        with self.lock:
            if kind == "start":
                self.running[gate.name] = time.monotonic()
            else:
                self.running.pop(gate.name, None)
                self.done += 1

    def _tick(self) -> None:
        while not self.stopped.wait(0.2):
            with self.lock:
                now = time.monotonic()
                parts = [f"{name} {now - since:.1f}s" for name, since in self.running.items()]
                line = f"{self.hourglass}{self.done} done" + (f"; running: {', '.join(parts)}" if parts else "")
            self.out.write("\r\033[K" + line[: _width() - 1])
            self.out.flush()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.out.write("\r\033[K")
        self.out.flush()


def _width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 80


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="run only these gates of the tier")
    parser.add_argument("--session", metavar="ID",
                        help="judge what this Claude Code session changed (its transcript under <claude-dir>/projects/)")
    parser.add_argument("--tier", help="fast or deep (default: settings.hook_tier in gates.yaml, i.e. fast)")
    add_json(parser, "print the run as JSON (schema sfp.gates/1, see docs/json.md)")
    parser.add_argument("--all", action="store_true", help="run every gate of the tier, whatever changed")
    parser.add_argument("--files", nargs="+", metavar="F", help="treat these files as the changed ones")
    add_project(parser)


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return gates(claude_dir, project_dir(args.project), tier=args.tier, as_json_output=args.json, all_files=args.all,
                 files=args.files, out=out, names=args.names, session=args.session)
