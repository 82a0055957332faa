"""The runbook's Daily Checks in one value: health passes, no gate failed, a backup was made recently —
plus the install routes and which sfp the hooks run. Files only, no subprocess: `sfp status` is instant."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from sfp.infra.jsondoc import utc_moment
from sfp.infra.record import Record

BACKUP_MAX_AGE_S: Final = 24 * 3600  # the runbook's daily check: a backup was created (today)
LOG_RECORDS_READ: Final = 2000


class DailyCheck(Record):
    name: str
    ok: bool
    summary: str
    details: Mapping[str, Any]


class Status(Record):
    checks: tuple[DailyCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def daily_status(claude_dir: Path, project: Path | None, *, now: float | None = None,
                 environ: Mapping[str, str] = os.environ) -> Status:
    moment = time.time() if now is None else now
    return Status((
        health_check(claude_dir, project),
        gates_check(claude_dir),
        backup_check(claude_dir, moment),
        handoff_check(claude_dir, moment),
        install_check(claude_dir, project, environ),
    ))


def health_check(claude_dir: Path, project: Path | None) -> DailyCheck:
    """The health check now (the fast one the hooks run), and the last one a session start saw."""
    from sfp.health.checks import HEALTHY, run_health

    report = run_health(claude_dir, project=project)
    last = last_session_start_health(claude_dir)
    failing = "; ".join(f"{c.name}: {c.message}" for c in report.failing())
    summary = report.status + (f" — {failing}" if failing else "")
    if last is not None:
        summary += f" (last session start: {last[1]}, {last[0]})"
    details = {"status": report.status, "failing": [c.name for c in report.failing()],
               "last_session_start": {"status": last[1], "checked_at": utc_moment(last[0])} if last else None}
    return DailyCheck("health", report.status == HEALTHY, summary, details)


def last_session_start_health(claude_dir: Path) -> tuple[str, str] | None:
    """(when, status) of the newest SessionStart whose log line names the health result."""
    from sfp.hooks.session_start import HEALTH_NOTE
    from sfp.infra.log import read_records

    for record in reversed(read_records(claude_dir, LOG_RECORDS_READ)):
        message = str(record.get("message", ""))
        if record.get("event") == "SessionStart" and HEALTH_NOTE in message:
            status = message.rsplit(HEALTH_NOTE, 1)[1].split(",")[0].strip()
            return str(record.get("time", "?")), status
    return None


def gates_check(claude_dir: Path) -> DailyCheck:
    """The newest gate run of each project (KPI events; older ones name no project)."""
    from sfp.kpi.store import read_events

    newest: dict[str, dict[str, Any]] = {}
    for event in read_events(claude_dir, kind="quality_gates"):
        newest[str(event.get("project") or "(project not recorded)")] = event
    runs = [_run_summary(project, event) for project, event in sorted(newest.items())]
    failed = [run for run in runs if run["failed"]]
    if not runs:
        return DailyCheck("gates", True, "no gate run recorded yet", {"projects": []})
    summary = (f"{len(failed)} of {len(runs)} project(s) failed their last run: "
               + "; ".join(f"{r['project']} ({', '.join(r['failed'])})" for r in failed)) if failed \
        else f"the last run passed in {len(runs)} project(s)"
    return DailyCheck("gates", not failed, summary, {"projects": runs})


def _run_summary(project: str, event: Mapping[str, Any]) -> dict[str, Any]:
    gates = [g for g in event.get("gates") or [] if isinstance(g, dict)]
    failed = [str(g.get("name")) for g in gates if g.get("status") in ("failed", "timeout", "error")]
    moment = event.get("time")
    return {"project": project, "ran_at": utc_moment(moment) if isinstance(moment, str) else None,
            "tier": event.get("tier"), "failed": failed, "gates": [str(g.get("name")) for g in gates]}


def backup_check(claude_dir: Path, now: float) -> DailyCheck:
    from sfp.backup.store import list_backups

    backups = list_backups(claude_dir)
    if not backups:
        return DailyCheck("backup", False, "no backup yet: `sfp backup create`",
                          {"newest_id": None, "created_at": None, "age_s": None, "backup_count": 0})
    newest = backups[-1]
    age = now - _mtime(newest.folder)
    details = {"newest_id": newest.backup_id, "created_at": utc_moment(newest.timestamp), "age_s": round(age),
               "backup_count": len(backups)}
    fresh = age <= BACKUP_MAX_AGE_S
    return DailyCheck("backup", fresh, f"newest {newest.backup_id}, {human_age(age)} ago"
                      + ("" if fresh else " (none in the last day: `sfp backup create`)"), details)


def handoff_check(claude_dir: Path, now: float) -> DailyCheck:
    from sfp.handoff.store import list_handoffs

    stored = list_handoffs(claude_dir)
    if not stored:
        return DailyCheck("handoff", True, "no handoff yet (one is written at compaction and session end)",
                          {"newest_id": None, "age_s": None, "handoff_count": 0})
    age = now - _mtime(stored[0].markdown)
    return DailyCheck("handoff", True, f"newest {stored[0].id}, {human_age(age)} ago",
                      {"newest_id": stored[0].id, "age_s": round(age), "handoff_count": len(stored)})


def install_check(claude_dir: Path, project: Path | None, environ: Mapping[str, str]) -> DailyCheck:
    """The routes that run sfp, and whether their sfp.pyz is the one on PATH (its version and build)."""
    from sfp.health.installed import BROKEN, diagnose_install

    install = diagnose_install(claude_dir, project, environ=environ)
    hooked = sorted(hook_pyzs(install.hooks, environ))
    on_path = which("sfp.pyz", environ)
    builds = [{"path": pyz, **build_of(pyz)} for pyz in sorted({*hooked, *([on_path] if on_path else [])})]
    broken = install.problems(BROKEN)
    routes = [f"{r.kind}: {r.where}" for r in install.routes]
    same = not hooked or on_path is None or all(os.path.realpath(p) == os.path.realpath(on_path) for p in hooked)
    summary = ("; ".join(routes) or "not installed (`sfp install`)") + (f"; broken: {broken[0]}" if broken else "")
    if hooked and on_path is not None and not same:
        summary += f"; the hooks run {', '.join(hooked)}, PATH has {on_path}"
    details = {"routes": routes, "hook_sfp": hooked, "path_sfp": on_path, "builds": builds, "problems": broken}
    return DailyCheck("install", bool(routes) and not broken, summary, details)


def hook_pyzs(hooks: Iterable[Any], environ: Mapping[str, str]) -> set[str]:
    from sfp.claude.settings import command_parts

    found = set()
    for hook in hooks:
        parts = command_parts(hook.command)
        if parts is None or "$" in parts.pyz:
            continue
        found.add(parts.pyz if os.sep in parts.pyz else which(parts.pyz, environ) or parts.pyz)
    return found


def which(name: str, environ: Mapping[str, str]) -> str | None:
    for folder in environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(folder, name)
        if folder and os.path.isfile(candidate):
            return candidate
    return None


def build_of(pyz: str) -> dict[str, str | None]:
    """A pyz's version (its sfp/__init__.py) and build (the first 12 hex of its sha256), read from the file."""
    import hashlib
    import zipfile

    try:
        with open(pyz, "rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()[:12]
        with zipfile.ZipFile(pyz) as archive:
            names = [n for n in archive.namelist() if n.endswith("sfp/__init__.py")]
            text = archive.read(names[0]).decode("utf-8", "replace") if names else ""
    except (OSError, zipfile.BadZipFile):
        return {"version": None, "build": None}
    version = next((line.split("=", 1)[1].strip().strip("\"'") for line in text.splitlines()
                    if line.startswith("__version__")), None)
    return {"version": version, "build": digest}


def human_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{max(seconds, 0):.0f} s"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0

