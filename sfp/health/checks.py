"""The health check: the runbook's five checks, each a pure-ish function returning a Check.

Runs at every SessionStart, so it reads a few small files and starts no
subprocess.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from sfp.infra import paths
from sfp.infra.record import Record

HEALTHY: Final = "healthy"
DEGRADED: Final = "degraded"
UNHEALTHY: Final = "unhealthy"
_RANK: Final = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}
MIN_PYTHON: Final = (3, 11)
MB: Final = 1024 * 1024

DEFAULT_THRESHOLDS: Final[Mapping[str, Mapping[str, float]]] = {
    "claude_process_rss": {"degraded_mb": 2048, "unhealthy_mb": 4096},
    "available_memory": {"degraded_mb": 1024, "unhealthy_mb": 256},
    "disk_free": {"degraded_mb": 1024, "unhealthy_mb": 100},
}


class Check(Record):
    name: str
    status: str
    message: str
    details: Mapping[str, Any] = MappingProxyType({})
    fix: str | None = None


class HealthReport(Record):
    status: str
    checks: tuple[Check, ...]

    def failing(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status != HEALTHY)


def worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: _RANK.get(s, 2), default=HEALTHY)


def run_health(
    claude_dir: Path,
    thresholds: Mapping[str, Mapping[str, float]] = DEFAULT_THRESHOLDS,
    *,
    proc_root: Path = Path("/proc"),
    thorough: bool = False,
    project: Path | None = None,
) -> HealthReport:
    """The five checks. `thorough` (the CLI, not a hook): re-hash sfp's files, and ask `ps`/`sysctl`
    where /proc can't tell."""
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("python_version", lambda: check_python_version()),
        ("plugin_integrity", lambda: check_plugin_integrity(claude_dir, project, deep=thorough, as_hook=not thorough)),
        ("context_integrity", lambda: check_context_integrity(claude_dir)),
        ("memory_usage", lambda: check_memory_usage(thresholds, proc_root=proc_root, allow_commands=thorough)),
        ("disk_space", lambda: check_disk_space(paths.backups_dir(claude_dir), thresholds)),
    ]
    results = [_guarded(name, check) for name, check in checks]
    return HealthReport(worst([c.status for c in results]), tuple(results))


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - one broken probe must not hide the other four
        return Check(name, DEGRADED, f"could not be checked: {type(exc).__name__}: {exc}")


def check_python_version(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    # Every 3.11 release, 3.11.0 on: sfp's regexes avoid what 3.11.0-3.11.4 match wrongly (gh-100061).
    minimum = (*MIN_PYTHON, 0)
    shown = ".".join(str(p) for p in version)
    required = ".".join(str(p) for p in minimum)
    details = {"version": shown, "executable": sys.executable, "required": f">={required}"}
    if (*version, 0, 0)[:3] >= minimum:
        return Check("python_version", HEALTHY, f"Python {shown}", details)
    return Check("python_version", UNHEALTHY, f"Python {shown} is too old; sfp needs {required} or newer", details,
                 fix="point the hook command at python3.11 or newer (`sfp install` does this)")


def check_plugin_integrity(claude_dir: Path, project: Path | None, *, deep: bool = True,
                           as_hook: bool = False, environ: Mapping[str, str] = os.environ) -> Check:
    """The running sfp matches its build, and the hooks installed in Claude Code's settings can run.

    As a hook sfp is evidently installed (perhaps as a plugin), so only broken entries count there;
    `sfp health` also says when no settings file runs sfp at all.
    """
    from sfp.health.integrity import verify_package

    report = verify_package(deep=deep)
    details: dict[str, Any] = {"files_checked": report.files_checked, "location": report.location}
    if report.problems:
        details["problems"] = list(report.problems[:10])
        return Check("plugin_integrity", UNHEALTHY, f"sfp is damaged: {report.problems[0]}", details,
                     fix="replace sfp.pyz with a fresh copy (`make` builds one), then clear the shiv cache (~/.shiv/sfp.pyz_*)")
    what = f"{report.files_checked} files match the build manifest" if report.files_checked else "running from a source checkout"
    from sfp.health.installed import BROKEN, UNGUARDED, WARN, diagnose_install, expected_timeouts

    # The same diagnosis as `sfp doctor`; the timeouts' drift only when deep (the CLI), not at SessionStart.
    timeouts = expected_timeouts(claude_dir, project) if deep else None
    install = diagnose_install(claude_dir, project, environ=environ, ask_interpreters=deep, timeouts=timeouts)
    details["installed_in"] = [f"{r.kind}: {r.where}" for r in install.routes]
    # As a hook, an unguarded command evidently ran: that is `sfp health`'s and the doctor's to say, not every start's.
    broken, warned = install.problems(BROKEN), [f for f in install.findings if f.status == WARN
                                                 and not (as_hook and UNGUARDED in f.title)]
    if broken:
        details["problems"] = broken
        return Check("plugin_integrity", UNHEALTHY, f"an installed sfp hook can't run: {broken[0]}", details,
                     fix="`sfp doctor` shows every finding with its fix")
    if warned:
        details["warnings"] = [f.title for f in warned]
        return Check("plugin_integrity", DEGRADED, f"{what}, but {warned[0].title}", details, fix=warned[0].fix)
    if not install.routes and not as_hook:
        return Check("plugin_integrity", DEGRADED, f"{what}, but no Claude Code settings file or plugin runs sfp's hooks",
                     details, fix="run `sfp install` (or `sfp plugin DIR --marketplace NAME`, see README)")
    return Check("plugin_integrity", HEALTHY, f"{what}; default configs load", details)


def check_context_integrity(claude_dir: Path) -> Check:
    """The context files TAGs come from. Most people keep no `.context/` folder at all: that is TAGs not
    set up (healthy, said by `sfp health`, silent at SessionStart); a folder without its CLAUDE.md is a
    loss (degraded). `~/.claude/CLAUDE.md`, Claude Code's own memory file, is named when present."""
    folder = paths.context_dir(claude_dir)
    path = folder / "CLAUDE.md"
    memory = claude_dir / "CLAUDE.md"
    details: dict[str, Any] = {"path": str(path), "memory_file": str(memory) if memory.is_file() else None}
    if not folder.exists():
        also = f"; your memory file {_home_relative(memory)} is there" if memory.is_file() else ""
        details["info"] = "TAGs not set up"
        return Check("context_integrity", HEALTHY, f"TAGs not set up (no {_home_relative(folder)}/){also}", details)
    try:
        size = len(path.read_bytes())
    except FileNotFoundError:
        return Check("context_integrity", DEGRADED, f"{_home_relative(path)} is missing: no context for TAGs", details,
                     fix=f"create {_home_relative(path)} (or `sfp restore --latest` if it was lost)")
    except OSError as exc:
        return Check("context_integrity", UNHEALTHY, f"{_home_relative(path)} is unreadable: {exc.strerror}", details,
                     fix=f"check the permissions of {_home_relative(path)}")
    details["bytes"] = size
    if size == 0 or not path.read_text(encoding="utf-8", errors="replace").strip():
        return Check("context_integrity", UNHEALTHY, f"{_home_relative(path)} is empty", details,
                     fix="restore it with `sfp restore --latest`, or write your context into it")
    return Check("context_integrity", HEALTHY, f"{_home_relative(path)} ({size:,} bytes)", details)


def check_memory_usage(
    thresholds: Mapping[str, Mapping[str, float]],
    *,
    proc_root: Path = Path("/proc"),
    allow_commands: bool = False,
    platform: str = sys.platform,
) -> Check:
    """The Claude Code process's resident memory and the machine's available memory.

    Hooks read /proc only; `sfp health` may also ask `ps`/`sysctl`/`vm_stat`
    (`allow_commands`), which is how a Mac gets the process's memory.
    """
    from sfp.health import sysinfo

    process = sysinfo.claude_process(proc_root=proc_root, platform=platform)
    memory = sysinfo.memory_info(proc_root=proc_root, platform=platform)
    if allow_commands and platform != "linux":
        process = process or sysinfo.claude_process_via_commands()
        memory = memory or sysinfo.memory_info_via_commands()
    details: dict[str, Any] = {}
    statuses = [HEALTHY]
    parts = []
    if process is not None and process.rss_bytes is not None and sysinfo.looks_like_claude(process):
        rss_mb = process.rss_bytes / MB
        details.update(process_pid=process.pid, process_name=process.name, process_rss_mb=round(rss_mb, 1))
        statuses.append(_above(rss_mb, thresholds["claude_process_rss"]))
        parts.append(f"Claude Code (pid {process.pid}) uses {rss_mb:,.0f} MB")
    else:
        details["process"] = "no Claude Code process above this one (not run as a hook)"
    if memory is not None:
        available_mb = memory.available_bytes / MB
        details.update(available_mb=round(available_mb, 1), total_mb=round(memory.total_bytes / MB, 1))
        statuses.append(_below(available_mb, thresholds["available_memory"]))
        parts.append(f"{available_mb:,.0f} MB of {memory.total_bytes / MB:,.0f} MB available")
    status = worst(statuses)
    message = "; ".join(parts) or "memory could not be measured on this platform"
    fix = None if status == HEALTHY else "restart Claude Code, and prune old backups and handoffs (`sfp prune`)"
    return Check("memory_usage", status, message, details, fix)


def check_disk_space(where: Path, thresholds: Mapping[str, Mapping[str, float]]) -> Check:
    from sfp.health.sysinfo import disk_info

    disk = disk_info(where)
    free_mb = disk.free_bytes / MB
    details = {"path": disk.path, "free_mb": round(free_mb, 1), "total_mb": round(disk.total_bytes / MB, 1)}
    status = _below(free_mb, thresholds["disk_free"])
    fix = None if status == HEALTHY else f"free space on the disk holding {disk.path} (old backups: `sfp prune`)"
    return Check("disk_space", status, f"{free_mb:,.0f} MB free for backups ({disk.path})", details, fix)


def _above(value: float, limits: Mapping[str, float]) -> str:
    if value >= limits["unhealthy_mb"]:
        return UNHEALTHY
    return DEGRADED if value >= limits["degraded_mb"] else HEALTHY


def _below(value: float, limits: Mapping[str, float]) -> str:
    if value < limits["unhealthy_mb"]:
        return UNHEALTHY
    return DEGRADED if value < limits["degraded_mb"] else HEALTHY


def thresholds_from(config_health: Mapping[str, Mapping[str, float]] | None) -> Mapping[str, Mapping[str, float]]:
    """sfp.yaml's `health:` section (schema-checked) over the built-in limits."""
    given = config_health or {}
    return {name: {**limits, **given.get(name, {})} for name, limits in DEFAULT_THRESHOLDS.items()}


def report_as_json(report: HealthReport) -> dict[str, Any]:
    """`sfp.health/1`, the runbook's shape: {"status", "checks": [{"name", "status", "message", "details"}]}."""
    checks = []
    for check in report.checks:
        details = dict(check.details)
        if check.fix:
            details["fix"] = check.fix
        checks.append({"name": check.name, "status": check.status, "message": check.message, "details": details})
    return {"schema": "sfp.health/1", "status": report.status, "checks": checks}


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
