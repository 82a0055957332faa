"""What each chart of the report shows, worked out from the records: plain data, no markup.

Time runs along days in the person's time zone (weeks once the window is longer than a quarter, so
bars stay wide enough to see and hover). Gate figures come from `sfp.kpi.summary`, the one place
that decides what a passed run, a failure and a gate's duration are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from statistics import median
from typing import Final, TypeVar

from sfp.kpi.summary import failures_by_gate, slowest, summarize
from sfp.report.records import GateEvent, HookTiming, Made, Records

UNKNOWN_PROJECT: Final = "unknown project"
ALL_PROJECTS: Final = "All projects"
WEEKS_AFTER_DAYS: Final = 92
TOP_GATES: Final = 10
TOP_HOOKS: Final = 8
MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

LINE, BARS, HBARS = "line", "bars", "hbars"

T = TypeVar("T", GateEvent, HookTiming, Made)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # one per label; None: nothing to show there
    notes: tuple[str, ...] = ()  # one per value: what its tooltip adds


@dataclass(frozen=True)
class Chart:
    key: str  # what the chart is, stable across reports: "pass-rate", "slowest-gates", ...
    kind: str  # LINE, BARS or HBARS
    title: str
    x_title: str
    y_title: str
    labels: tuple[str, ...]  # on the axis
    series: tuple[Series, ...]
    unit: str = ""  # "%", "ms" or "" for a count
    long_labels: tuple[str, ...] = ()  # in tooltips, when the axis labels are shortened
    empty: str = ""  # nothing to draw: what to say instead

    def tip_label(self, index: int) -> str:
        return self.long_labels[index] if index < len(self.long_labels) else self.labels[index]


@dataclass(frozen=True)
class Scope:
    key: str  # the section's anchor: never made from a recorded name
    title: str
    facts: tuple[tuple[str, str], ...]
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class HookRow:
    event: str
    calls: int
    median_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True)
class Report:
    generated: str
    window: str
    scopes: tuple[Scope, ...]
    hook_rows: tuple[HookRow, ...]
    hook_charts: tuple[Chart, ...]
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


@dataclass(frozen=True)
class Days:
    """The time axis: buckets of `step` days from `start` through `end`."""

    start: date
    end: date
    step: int = 1

    def buckets(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(0, (self.end - self.start).days + 1, self.step)]

    def index(self, day: date) -> int:
        return (day - self.start).days // self.step

    def labels(self) -> tuple[str, ...]:
        return tuple(f"{MONTHS[d.month - 1]} {d.day}" for d in self.buckets())

    def long_labels(self) -> tuple[str, ...]:
        return tuple(("week of " if self.step > 1 else "") + d.isoformat() for d in self.buckets())

    @property
    def unit(self) -> str:
        return "week" if self.step > 1 else "day"


def days_for(records: Records, today: date, since_day: date | None, tz: tzinfo | None) -> Days:
    """From `since_day` (else the first day anything was recorded) to today, by week when that is long."""
    seen = [local_day(moment, tz) for moment in records.moments()]
    start = since_day or min(seen, default=today)
    end = max([today, *seen])
    if (end - start).days < WEEKS_AFTER_DAYS:
        return Days(start, end)
    return Days(start - timedelta(days=start.weekday()), end, 7)


def local_day(moment: datetime, tz: tzinfo | None) -> date:
    """The day `moment` falls on in `tz` (None: the machine's own zone, with its summer time)."""
    return moment.astimezone(tz).date()


def build_report(records: Records, days: Days, tz: tzinfo | None, *, generated: str, window: str,
                 project: str | None = None) -> Report:
    """The whole report. With `project`, the records are that project's and there is one section for it;
    otherwise one for all projects together, then one per project."""
    if project is not None:
        scopes = [project_scope("project-1", project, records, days, tz)]
    else:
        scopes = [project_scope("all", ALL_PROJECTS, records, days, tz)] if records.projects() else []
        scopes += [project_scope(f"project-{n}", name or UNKNOWN_PROJECT,
                                 records.of_project(_is(name)), days, tz)
                   for n, name in enumerate(records.projects(), start=1)]
    counts = {"gate_run_count": len(records.gate_runs), "hook_call_count": len(records.hook_timings),
              "backup_count": len(records.backups), "handoff_count": len(records.handoffs),
              "project_count": len(records.projects())}
    return Report(generated, window, tuple(scopes), hook_rows(records.hook_timings),
                  hook_charts(records.hook_timings, days, tz), counts)


def _is(name: str | None) -> Callable[[str | None], bool]:
    return lambda project: project == name


def project_scope(key: str, title: str, records: Records, days: Days, tz: tzinfo | None) -> Scope:
    summary = summarize(r.event for r in records.gate_runs)
    rate = f"{summary.pass_rate:.0%}" if summary.pass_rate is not None else "–"
    facts = (("gate runs", str(summary.runs)), ("passed", rate), ("gates", str(len(summary.gates))),
             ("backups", str(len(records.backups))), ("handoffs", str(len(records.handoffs))))
    charts = (pass_rate_chart(records.gate_runs, days, tz), slowest_gates_chart(records.gate_runs),
              failures_chart(records.gate_runs), made_chart(records, days, tz))
    return Scope(key, title, facts, charts)


def by_bucket(items: Iterable[T], days: Days, tz: tzinfo | None) -> list[list[T]]:
    """`items` in the buckets of `days` (anything outside the axis is left out)."""
    buckets: list[list[T]] = [[] for _ in days.buckets()]
    for item in items:
        index = days.index(local_day(item.at, tz))
        if 0 <= index < len(buckets):
            buckets[index].append(item)
    return buckets


def pass_rate_chart(runs: Sequence[GateEvent], days: Days, tz: tzinfo | None) -> Chart:
    values: list[float | None] = []
    notes = []
    for bucket in by_bucket(runs, days, tz):
        summary = summarize(r.event for r in bucket)
        values.append(None if summary.pass_rate is None else round(summary.pass_rate * 100, 1))
        notes.append(f"{summary.passed_runs} of {summary.runs} run(s) passed" if summary.runs else "")
    return Chart("pass-rate", LINE, f"Gate pass rate per {days.unit}", days.unit, "runs that passed",
                 days.labels(), (Series("pass rate", tuple(values), tuple(notes)),), "%", days.long_labels(),
                 "" if runs else "No gate run recorded.")


def slowest_gates_chart(runs: Sequence[GateEvent]) -> Chart:
    gates = slowest(summarize(r.event for r in runs), TOP_GATES)
    notes = tuple(f"{g.runs} run(s)" for g in gates)
    return Chart("slowest-gates", HBARS, "Slowest gates", "duration", "gate", tuple(g.name for g in gates),
                 (Series("median", tuple(g.median_ms for g in gates), notes),
                  Series("slowest run", tuple(float(g.max_ms) for g in gates), notes)),
                 "ms", empty="" if gates else "No gate has run yet.")


def failures_chart(runs: Sequence[GateEvent]) -> Chart:
    gates = failures_by_gate(summarize(r.event for r in runs))[:TOP_GATES]
    return Chart("failures-by-gate", HBARS, "Failures by gate", "failed runs", "gate", tuple(g.name for g in gates),
                 (Series("failures", tuple(float(g.failures) for g in gates),
                         tuple(f"of {g.runs} run(s)" for g in gates)),),
                 empty="" if gates else ("No gate failed." if runs else "No gate has run yet."))


def made_chart(records: Records, days: Days, tz: tzinfo | None) -> Chart:
    series = tuple(Series(name, tuple(float(len(b)) for b in by_bucket(items, days, tz)))
                   for name, items in (("backups", records.backups), ("handoffs", records.handoffs)))
    anything = records.backups or records.handoffs
    return Chart("backups-handoffs", BARS, f"Backups and handoffs per {days.unit}", days.unit, "made",
                 days.labels(), series, "", days.long_labels(), "" if anything else "No backup or handoff yet.")


def hook_rows(timings: Sequence[HookTiming]) -> tuple[HookRow, ...]:
    """Per hook event, busiest first: calls, median, p95 and slowest answer."""
    rows = [HookRow(event, len(ms), median(ms), percentile(ms, 0.95), max(ms))
            for event, ms in _durations_by_event(timings).items()]
    return tuple(sorted(rows, key=lambda r: (-r.calls, r.event)))


def hook_charts(timings: Sequence[HookTiming], days: Days, tz: tzinfo | None) -> tuple[Chart, ...]:
    busiest = [row.event for row in hook_rows(timings)[:TOP_HOOKS]]
    return tuple(hook_chart(event, [t for t in timings if t.event == event], days, tz) for event in busiest)


def hook_chart(event: str, timings: Sequence[HookTiming], days: Days, tz: tzinfo | None) -> Chart:
    buckets = [[t.duration_ms for t in bucket] for bucket in by_bucket(timings, days, tz)]
    notes = tuple(f"{len(ms)} call(s)" if ms else "" for ms in buckets)
    series = (Series("median", _each(buckets, median), notes),
              Series("p95", _each(buckets, lambda ms: percentile(ms, 0.95)), notes))
    return Chart(f"hook-{_slug(event)}", LINE, f"{event}: time to answer per {days.unit}", days.unit, "duration",
                 days.labels(), series, "ms", days.long_labels())


def _each(buckets: Sequence[Sequence[float]], measure: Callable[[Sequence[float]], float]) -> tuple[float | None, ...]:
    return tuple(round(measure(ms), 1) if ms else None for ms in buckets)


def _durations_by_event(timings: Iterable[HookTiming]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = defaultdict(list)
    for timing in timings:
        found[timing.event].append(timing.duration_ms)
    return found


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value `fraction` of the way through the sorted values, interpolating between neighbours."""
    if not values:
        raise ValueError("percentile of nothing")
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _slug(text: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower()).strip("-") or "event"
