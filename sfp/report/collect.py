"""Reading the report's records from the claude dir: the KPI events, the log, backups and handoffs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sfp.report.records import GateEvent, HookTiming, Made, Records, gate_event, hook_timing, made

GATES_KIND = "quality_gates"

T = TypeVar("T", GateEvent, HookTiming, Made)


def collect(claude_dir: Path, since: datetime | None) -> Records:
    """Everything recorded at or after `since` (all of it when None). Raises StorageError when a folder
    that exists can't be read."""
    return Records(
        gate_runs=_since(since, (gate_event(e) for e in _gate_events(claude_dir, since))),
        hook_timings=_since(since, (hook_timing(r) for r in _log_records(claude_dir))),
        backups=_since(since, _backups(claude_dir)),
        handoffs=_since(since, _handoffs(claude_dir)),
    )


def _since(since: datetime | None, items: Iterable[T | None]) -> tuple[T, ...]:
    kept = (item for item in items if item is not None and (since is None or item.at >= since))
    return tuple(sorted(kept, key=lambda item: item.at))


def _gate_events(claude_dir: Path, since: datetime | None) -> Iterable[dict[str, object]]:
    from sfp.kpi.store import read_events

    return read_events(claude_dir, GATES_KIND, since.timestamp() if since is not None else None)


def _log_records(claude_dir: Path) -> list[dict[str, object]]:
    from sfp.infra.log import read_records

    return read_records(claude_dir)


def _backups(claude_dir: Path) -> list[Made | None]:
    from sfp.backup.model import ROOT_PROJECT
    from sfp.backup.store import list_backups

    return [made(info.timestamp, info.roots.get(ROOT_PROJECT)) for info in list_backups(claude_dir)]


def _handoffs(claude_dir: Path) -> list[Made | None]:
    from sfp.handoff.store import list_handoffs, load_handoff

    found = []
    for stored in list_handoffs(claude_dir):
        handoff = load_handoff(stored)
        if handoff is not None:
            found.append(made(handoff.created, handoff.git_root or handoff.cwd))
    return found
