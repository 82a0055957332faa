"""What the report is drawn from, as plain data: gate runs, hook timings, backups and handoffs made.

Each store keeps its own shape; the functions here turn one stored item into a record or None (a
line that is torn, foreign or has no usable time is left out, never an error).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class GateEvent:
    """One gate run (a `quality_gates` KPI event, kept whole for `sfp.kpi.summary`)."""

    at: datetime
    project: str | None  # events older than the project field name none
    event: Mapping[str, Any]


@dataclass(frozen=True)
class HookTiming:
    """How long one hook took to answer, from its log line."""

    at: datetime
    event: str
    duration_ms: float


@dataclass(frozen=True)
class Made:
    """A backup or handoff written at `at`, for `project` (None when it names none)."""

    at: datetime
    project: str | None


@dataclass(frozen=True)
class Records:
    gate_runs: tuple[GateEvent, ...] = ()
    hook_timings: tuple[HookTiming, ...] = ()
    backups: tuple[Made, ...] = ()
    handoffs: tuple[Made, ...] = ()

    def is_empty(self) -> bool:
        return not (self.gate_runs or self.hook_timings or self.backups or self.handoffs)

    def projects(self) -> list[str | None]:
        """Every project named by a gate run, backup or handoff, sorted; None (unknown) last."""
        named = {r.project for r in self.gate_runs} | {m.project for m in (*self.backups, *self.handoffs)}
        return sorted((p for p in named if p is not None), key=str.lower) + ([None] if None in named else [])

    def moments(self) -> list[datetime]:
        return [*(r.at for r in self.gate_runs), *(t.at for t in self.hook_timings),
                *(m.at for m in (*self.backups, *self.handoffs))]

    def of_project(self, keep: Callable[[str | None], bool]) -> Records:
        """Only the gate runs, backups and handoffs of the projects `keep` accepts (the log names no project)."""
        return replace(self, gate_runs=tuple(r for r in self.gate_runs if keep(r.project)),
                       backups=tuple(b for b in self.backups if keep(b.project)),
                       handoffs=tuple(h for h in self.handoffs if keep(h.project)))


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as an aware datetime (no zone given: UTC), or None when it isn't one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    try:
        moment.astimezone(timezone.utc).astimezone()  # both ways the report turns it: year 1 or 9999 may not
    except (OverflowError, OSError, ValueError):
        return None
    return moment


def project_name(value: object) -> str | None:
    """A recorded project path, normalised so `/a/b/` and `/a/b` are one project."""
    return os.path.normpath(value) if isinstance(value, str) and value.strip() else None


def gate_event(event: Mapping[str, Any]) -> GateEvent | None:
    at = parse_time(event.get("time"))
    return None if at is None else GateEvent(at, project_name(event.get("project")), event)


def hook_timing(record: Mapping[str, object]) -> HookTiming | None:
    """A log line that timed a hook (the runner's last line for each event carries `duration_ms`)."""
    duration = record.get("duration_ms")
    event = record.get("event")
    at = parse_time(record.get("time"))
    if at is None or not isinstance(event, str) or not event or isinstance(duration, bool):
        return None
    if not isinstance(duration, (int, float)) or not 0 <= duration < 1e12:  # also NaN, inf and huge ints
        return None
    return HookTiming(at, event, float(duration))


def made(at: object, project: object) -> Made | None:
    moment = parse_time(at)
    return None if moment is None else Made(moment, project_name(project))
