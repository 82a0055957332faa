"""A claude dir that has seen some use: gate runs in two projects (and old ones naming none) over
several days, hook timings in the log, a backup and two handoffs. Shared by the report's tests.

Times count back from `now` in whole days, so each record lands on the local day `days ago` before
today wherever the tests run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sfp.backup.create import create_backup
from sfp.backup.model import BackupSettings
from sfp.handoff.record import Handoff
from sfp.handoff.store import write_handoff
from sfp.infra.log import format_record, log_file
from sfp.kpi.store import append_event

DAY = 86400.0
Gate = tuple[str, str, int]  # name, status, duration in ms
Run = tuple[int, list[Gate]]  # days ago, the gates of that run

ALPHA_RUNS: list[Run] = [
    (4, [("lint", "passed", 120), ("tests", "passed", 3400), ("types", "passed", 900)]),
    (4, [("lint", "failed", 130), ("tests", "passed", 3600), ("types", "passed", 950)]),
    (3, [("lint", "passed", 110), ("tests", "failed", 4100), ("types", "skipped", 0)]),
    (1, [("lint", "passed", 100), ("tests", "passed", 3000), ("types", "passed", 800)]),
    (0, [("lint", "passed", 90), ("tests", "timeout", 9000), ("types", "passed", 700)]),
]
BETA_RUNS: list[Run] = [
    (3, [("ruff", "passed", 80), ("pytest", "passed", 5200)]),
    (2, [("ruff", "failed", 85), ("pytest", "passed", 5000)]),
]
UNNAMED_RUNS: list[Run] = [(2, [("lint", "passed", 100)])]  # recorded before events named their project
HOOK_TIMINGS: list[tuple[int, str, float]] = [
    *((days, "SessionStart", ms) for days in range(5) for ms in (40.0 + days, 55.0 + days)),
    *((days, "Stop", 900.0 + 100 * days) for days in (0, 1, 3)),
    (1, "PreCompact", 310.5),
]
BACKUP_DAYS_AGO = 1
HANDOFFS: list[tuple[int, str]] = [(1, "alpha"), (0, "beta")]  # days ago, project


@dataclass(frozen=True)
class LivedIn:
    claude_dir: Path
    alpha: Path
    beta: Path


def plant(claude_dir: Path, alpha: Path, beta: Path, now: float) -> LivedIn:
    projects = {"alpha": alpha, "beta": beta}
    for project, runs in ((alpha, ALPHA_RUNS), (beta, BETA_RUNS), (None, UNNAMED_RUNS)):
        for days, gates in runs:
            data: dict[str, object] = {"tier": "fast", "gates": [
                {"name": n, "status": s, "duration_ms": ms} for n, s, ms in gates]}
            if project is not None:
                data["project"] = str(project)
            append_event(claude_dir, "quality_gates", data, session="s", now=now - days * DAY)
    log = log_file(claude_dir)
    for days, event, ms in HOOK_TIMINGS:
        log.append(format_record("info", event, "s", "answered", ms, now - days * DAY))
    log.append(format_record("warning", "gates", "s", "a note with no duration", None, now))
    context = claude_dir / ".context"
    context.mkdir(exist_ok=True)
    (context / "CLAUDE.md").write_text("# Identity\nsomeone\n")
    create_backup(claude_dir, alpha, BackupSettings(), reason="test", clock=lambda: now - BACKUP_DAYS_AGO * DAY)
    for days, name in HANDOFFS:
        handoff = Handoff(created="", session_id=f"session-{name}", trigger="manual", cwd=str(projects[name]),
                          git_root=None, git_branch=None, head=None)
        stamp = now - days * DAY
        write_handoff(claude_dir, handoff._replace(created=_utc(stamp)), now=stamp)
    return LivedIn(claude_dir, alpha, beta)


def _utc(moment: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


# --- what the report must show, worked out from the plan above alone ---------------------------------------


def all_runs() -> list[Run]:
    return ALPHA_RUNS + BETA_RUNS + UNNAMED_RUNS


def days_with_runs(runs: list[Run]) -> int:
    return len({days for days, _ in runs})


def gate_names(runs: list[Run]) -> set[str]:
    return {name for _, gates in runs for name, status, _ in gates if status != "skipped"}


def failing_gates(runs: list[Run]) -> set[str]:
    return {name for _, gates in runs for name, status, _ in gates if status in ("failed", "timeout", "error")}


def made_bars(backup_days: list[int], handoff_days: list[int]) -> int:
    """Bars in the backups-and-handoffs chart: one per day and kind with anything made."""
    return len(set(backup_days)) + len(set(handoff_days))


def hook_events() -> dict[str, int]:
    """Each hook event and the number of days it was timed on."""
    days: dict[str, set[int]] = {}
    for ago, event, _ in HOOK_TIMINGS:
        days.setdefault(event, set()).add(ago)
    return {event: len(seen) for event, seen in days.items()}
