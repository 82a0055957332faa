"""`sfp report`: gate runs, hook latencies, backups and handoffs as one self-contained HTML page."""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import IO, Final

from sfp.commands.options import add_json, project_dir
from sfp.errors import UsageError
from sfp.report.datasets import Report

SCHEMA: Final = "sfp.report/1"
REPORT_NAME: Final = "report.html"


def report(claude_dir: Path, *, out_file: Path | None, since_days: float | None, project: Path | None,
           as_json: bool, out: IO[str], now: float | None = None, tz: tzinfo | None = None) -> int:
    """Write the report (default `<claude-dir>/sfp/report.html`, 0600) and print where it went."""
    if since_days is not None and not (math.isfinite(since_days) and since_days > 0):
        raise UsageError(f"--since takes a number of days greater than 0, not {since_days:g}")
    moment = time.time() if now is None else now
    target = out_file if out_file is not None else default_path(claude_dir)
    _check_target(target, default=out_file is None)
    built = build(claude_dir, since_days, project, moment, tz)
    _write(target, built, claude_dir, default=out_file is None)
    if as_json:
        out.write(json.dumps(report_as_json(target, built, since_days, project, moment), indent=2,
                             ensure_ascii=False) + "\n")
    else:
        from sfp.infra.redact import redact

        out.write(f"{redact(str(target))}\n")
    return 0


def report_as_json(target: Path, built: Report, since_days: float | None, project: Path | None,
                   now: float) -> dict[str, object]:
    from sfp.infra.redact import redact

    return {"schema": SCHEMA, "path": redact(str(target)), "created_at": _utc(now), "since_days": since_days,
            "project": redact(p) if (p := project_path(project)) else None, "empty": built.empty, **built.counts}


def _utc(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def default_path(claude_dir: Path) -> Path:
    from sfp.infra import paths

    return paths.sfp_dir(claude_dir) / REPORT_NAME


def build(claude_dir: Path, since_days: float | None, project: Path | None, now: float,
          tz: tzinfo | None) -> Report:
    from sfp.report.collect import collect
    from sfp.report.datasets import build_report, days_for, local_day

    since = _start(now, since_days)
    records = collect(claude_dir, since)
    if project is not None:
        records = records.of_project(same_project(project, records.projects()))
    today = datetime.fromtimestamp(now, timezone.utc).astimezone(tz)
    days = days_for(records, today.date(), local_day(since, tz) if since is not None else None, tz)
    window = f"the last {since_days:g} day(s)" if since_days is not None else "everything recorded"
    return build_report(records, days, tz, generated=f"generated {today:%Y-%m-%d %H:%M}", window=window,
                        project=project_path(project))


def _start(now: float, since_days: float | None) -> datetime | None:
    if since_days is None:
        return None
    return datetime.fromtimestamp(max(now - since_days * 86400, 0.0), timezone.utc)


def project_path(project: Path | None) -> str | None:
    """How the report names the --project folder: absolute, as gate runs record theirs."""
    return os.path.normpath(os.path.abspath(project)) if project is not None else None


def same_project(project: Path, recorded: list[str | None]) -> Callable[[str | None], bool]:
    """Whether a recorded project is `project`: the same path, or one that leads to the same folder."""
    wanted = {project_path(project), os.path.realpath(project)}
    chosen = {p for p in recorded if p is not None and (p in wanted or os.path.realpath(p) in wanted)}
    return lambda name: name in chosen


def _check_target(target: Path, *, default: bool) -> None:
    """Refuse an --out that can't be written before any work is done (the default folder is made)."""
    if target.is_dir():
        raise UsageError(f"--out {target} is a folder: name the file to write")
    if not default and not target.parent.is_dir():
        raise UsageError(f"--out {target}: the folder {target.parent} does not exist")


def _write(target: Path, built: Report, claude_dir: Path, *, default: bool) -> None:
    from sfp import __version__
    from sfp.infra.storage import ensure_private_dir, write_atomic
    from sfp.report.page import render_page

    if default:
        ensure_private_dir(target.parent)
    write_atomic(target, render_page(built, version=__version__, source=str(claude_dir)))


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help=f"where to write the page (default: <claude-dir>/sfp/{REPORT_NAME})")
    parser.add_argument("--since", type=float, metavar="DAYS", help="only what was recorded in the last DAYS days")
    parser.add_argument("--project", metavar="DIR", help="only this project (default: all projects, and each one)")
    add_json(parser, f"print what was written as JSON (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    project = project_dir(args.project) if args.project else None
    out_file = Path(args.out).expanduser() if args.out else None
    return report(claude_dir, out_file=out_file, since_days=args.since, project=project, as_json=args.json, out=out)
