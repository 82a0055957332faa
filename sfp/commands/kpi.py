"""`sfp kpi`: how the quality gates have been doing — pass rate, failures by gate, slowest gates."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_json
from sfp.errors import UsageError
from sfp.infra.jsondoc import write_json
from sfp.infra.terminal import terminal_for
from sfp.kpi.store import read_events
from sfp.kpi.summary import GateStats, KpiSummary, failures_by_gate, slowest, summarize

SCHEMA = "sfp.kpi/1"


def kpi(claude_dir: Path, *, since_days: float | None, as_json: bool, out: IO[str]) -> int:
    if since_days is not None and since_days <= 0:
        raise UsageError("--since takes a number of days greater than 0")
    since = time.time() - since_days * 86400 if since_days is not None else None
    summary = summarize(read_events(claude_dir, "quality_gates", since))
    if as_json:
        write_json(out, kpi_json(summary, since_days))
        return 0
    window = f" in the last {since_days:g} day(s)" if since_days is not None else ""
    if not summary.runs:
        out.write(f"no quality-gate runs recorded{window}\n")
        return 0
    out.write(f"{terminal_for(out).icon('📊')}{summary.runs} gate run(s){window}: {summary.pass_rate:.0%} passed with no failing gate\n")
    failing = failures_by_gate(summary)
    if failing:
        out.write("failures by gate:\n")
        out.writelines(f"  {g.name:<24} {g.failures} of {g.runs} run(s)\n" for g in failing)
    out.write("slowest gates (median):\n")
    out.writelines(f"  {g.name:<24} {g.median_ms / 1000:.2f}s (max {g.max_ms / 1000:.2f}s)\n" for g in slowest(summary))
    return 0


def kpi_json(summary: KpiSummary, since_days: float | None) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "since_days": since_days, "run_count": summary.runs,
        "passed_run_count": summary.passed_runs, "pass_rate": summary.pass_rate,
        "failures_by_gate": [gate_json(g) for g in failures_by_gate(summary)],
        "slowest_gates": [gate_json(g) for g in slowest(summary)],
    }


def gate_json(stats: GateStats) -> dict[str, Any]:
    return {"name": stats.name, "run_count": stats.runs, "failure_count": stats.failures,
            "median_ms": stats.median_ms, "max_ms": stats.max_ms}


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=float, metavar="DAYS", help="only runs of the last DAYS days")
    add_json(parser, f"print as JSON (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return kpi(claude_dir, since_days=args.since, as_json=args.json, out=out)
