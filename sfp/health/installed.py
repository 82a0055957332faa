"""The one diagnosis of how sfp is installed in Claude Code, route by route: can each hook run?

Routes: hooks in a settings file, a `--plugin-dir` folder (CLAUDE_PLUGIN_ROOT set), a marketplace
plugin (`enabledPlugins: {"sfp@NAME": true}`). Health's `plugin_integrity` (no subprocess at
SessionStart) and `sfp doctor` (which asks each interpreter its version) both read it, in one
vocabulary: ok, warn, broken.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sfp.infra.record import Record

OK: Final = "ok"
WARN: Final = "warn"
BROKEN: Final = "broken"

PYTHON_TIMEOUT_S: Final = 20.0
NOT_INSTALLED: Final = "sfp is not installed in any settings file"
UNGUARDED: Final = "is unguarded"


# A NamedTuple, not a dataclass: SessionStart loads this module, and a dataclass costs ~5 ms to define.
class Finding(Record):
    status: str  # ok | warn | broken
    title: str
    detail: str = ""
    fix: str = ""


class Route(Record):
    kind: str  # settings | plugin-dir | marketplace
    where: str  # the settings file, the plugin folder, or sfp@NAME
    remove: str  # the line that takes this route away


class Install(Record):
    routes: list[Route]
    findings: list[Finding]
    hooks: list[Any]  # cc.InstalledHook of the settings files, for the doctor's probe

    def problems(self, status: str) -> list[str]:
        return [f.title for f in self.findings if f.status == status]


def diagnose_install(claude_dir: Path, project: Path | None, *, environ: Mapping[str, str] = os.environ,
                     ask_interpreters: bool = False, timeouts: Mapping[str, int] | None = None) -> Install:
    """Every route that runs sfp, and what is wrong with each. `timeouts` (per event, from fallback.yaml):
    report hooks whose timeout drifted from it. Another interpreter's version is asked (a subprocess)
    only when `ask_interpreters`."""
    from sfp.claude import settings as cc
    from sfp.errors import UsageError

    routes: list[Route] = []
    findings: list[Finding] = []
    hooks: list[Any] = []
    enabled: dict[str, bool] = {}
    marketplaces = _read_json(claude_dir / "plugins" / "known_marketplaces.json")
    known = set(marketplaces)
    scopes = cc.SCOPES if project is not None else ("user",)
    for scope in scopes:
        path = cc.settings_path(scope, claude_dir, project or Path("."))
        if scope != "user" and path == cc.settings_path("user", claude_dir, Path(".")):
            continue  # a project at ~ : its .claude/settings.json is the user's
        try:
            value = cc.read_settings(path)
        except UsageError as exc:
            findings.append(Finding(BROKEN, f"{path} is not valid JSON", str(exc),
                                    "fix the JSON at the line shown (Claude Code ignores a broken settings file)"))
            continue
        plugins = value.get("enabledPlugins")
        if isinstance(plugins, dict):  # a later scope overrides an earlier one, as in the client
            enabled.update({name: on is True for name, on in plugins.items()
                            if isinstance(name, str) and name.split("@", 1)[0] == "sfp"})
        extra = value.get("extraKnownMarketplaces")
        if isinstance(extra, dict):
            known |= {name for name in extra if isinstance(name, str)}
        found = cc.installed_hooks(value, path)
        if not found:
            continue
        hooks += found
        flag = "" if scope == "user" else f" --scope {scope}"
        routes.append(Route("settings", str(path), f"sfp.pyz uninstall{flag}"))
        findings += _command_findings(found, f"in {path}", project, environ, ask_interpreters, timeouts,
                                      f"sfp.pyz install{flag}")
    install_paths: list[str] = []
    records = _read_json(claude_dir / "plugins" / "installed_plugins.json").get("plugins")
    for name, on in enabled.items():
        if not on:
            continue
        marketplace = name.split("@", 1)[1] if "@" in name else ""
        entries = records.get(name) if isinstance(records, dict) else None
        if marketplace not in known:
            findings.append(Finding(
                BROKEN, f"enabledPlugins names {name}, but no marketplace `{marketplace}` is known: no sfp hook fires",
                "Claude Code loads a plugin only from a marketplace it knows (`claude plugin marketplace list`)",
                f"`sfp.pyz plugin DIR --marketplace {marketplace or 'NAME'}`, `claude plugin marketplace add DIR`, "
                f"`claude plugin install sfp@{marketplace or 'NAME'}`; or remove `{name}` from enabledPlugins"))
            continue
        where = [str(e.get("installPath")) for e in entries if isinstance(e, dict) and e.get("installPath")] \
            if isinstance(entries, list) else []
        if not where:
            findings.append(Finding(BROKEN, f"{name} is enabled but not installed: no sfp hook fires", "",
                                    f"claude plugin install {name}"))
            continue
        install_paths += where
        source = marketplaces.get(marketplace)
        if isinstance(source, dict) and isinstance(source.get("installLocation"), str):
            install_paths.append(source["installLocation"])  # a folder marketplace's plugin may run in place
        root = Path(where[0])
        routes.append(Route("marketplace", name, f"claude plugin disable {name}"))
        findings += _plugin_findings(root, f"{name} (marketplace plugin)", environ, ask_interpreters, timeouts,
                                     f"rebuild it (`sfp.pyz plugin DIR --marketplace {marketplace}`) and "
                                     f"`claude plugin update {name}`")
    plugin_root = environ.get("CLAUDE_PLUGIN_ROOT")
    if plugin_root and not _under_any(plugin_root, [*install_paths, str(claude_dir / "plugins")]):
        routes.append(Route("plugin-dir", plugin_root, f"start claude without `--plugin-dir {plugin_root}`"))
    if plugin_root and routes[-1:] and routes[-1].kind == "plugin-dir" and Path(plugin_root).is_dir():
        findings += _plugin_findings(Path(plugin_root), f"plugin folder {plugin_root}", environ, ask_interpreters,
                                     timeouts, f"`sfp.pyz plugin {plugin_root} --force`")
    if len(routes) > 1:
        shown = "; ".join(f"{r.kind}: {r.where}" for r in routes)
        findings.append(Finding(WARN, f"sfp is installed {len(routes)} ways at once: every hook runs twice", shown,
                                f"keep one; to drop {routes[0].where}: `{routes[0].remove}`"))
    return Install(routes, findings, hooks)


def installed_hook_problems(claude_dir: Path, project: Path | None, *,
                            ask_interpreters: bool = False) -> tuple[list[str], list[str]]:
    """(the routes that run sfp, what is broken in them): diagnose_install, in words."""
    found = diagnose_install(claude_dir, project, ask_interpreters=ask_interpreters)
    return [r.where for r in found.routes], found.problems(BROKEN)


def expected_timeouts(claude_dir: Path, project: Path | None) -> dict[str, int]:
    """Each event's hook timeout in whole seconds, as fallback.yaml says: what install and plugin write."""
    from sfp.claude import settings as cc
    from sfp.config.layers import load_config

    policies = load_config("fallback", claude_dir, project or Path(".")).get("policies", default={})
    seconds = {event: float(p["timeout"]) for event, p in policies.items()
               if isinstance(p, dict) and isinstance(p.get("timeout"), (int, float))}
    return {entry.event: entry.timeout for entry in cc.hook_entries("", seconds)}


def _command_findings(hooks: list[Any], where: str, project: Path | None, environ: Mapping[str, str],
                      ask: bool, timeouts: Mapping[str, int] | None, reinstall: str) -> list[Finding]:
    from sfp.claude import settings as cc

    findings: list[Finding] = []
    for command in sorted({hook.command for hook in hooks}):
        parts = cc.command_parts(command)
        if parts is None:
            findings.append(Finding(BROKEN, f"hook command {where} is not `PYTHON SFP.PYZ hook`: {command[:120]}", "",
                                    f"run `{reinstall}` again"))
            continue
        pyz = cc.expand_pyz(parts.pyz, project, environ)
        if pyz is not None:
            # Gone first, then the interpreter, then a damaged file: the order a person fixes them in.
            damaged = _pyz_problem(pyz)
            python = _python_problem(parts.python, ask)
            if damaged.endswith("does not exist") or (damaged and python is None):
                findings.append(Finding(BROKEN, f"{damaged} ({where})", "every sfp hook fails with it",
                                        f"put sfp.pyz back there, or run `{reinstall}` from where it is now"))
            elif python is not None:
                findings.append(Finding(BROKEN, f"interpreter {parts.python} ({where}) is missing or older than 3.11",
                                        python.title, f"run `{reinstall}` with a Python ≥ 3.11: `python3.11 sfp.pyz ...`"))
        if not parts.guarded:
            findings.append(Finding(WARN, f"the sfp hook command {where} {UNGUARDED}: if sfp can't run, "
                                    "Claude Code reads it as a block and refuses every prompt", command[:160],
                                    f"run `{reinstall}` again: the new command never blocks for a broken sfp"))
    if timeouts is not None:
        drift = sorted({f"{h.event} {h.timeout} s (fallback.yaml: {timeouts[h.event]} s)" for h in hooks
                        if h.event in timeouts and h.timeout != timeouts[h.event]})
        if drift:
            findings.append(Finding(WARN, f"hook timeouts {where} differ from fallback.yaml: {', '.join(drift)}",
                                    "fallback.yaml is the one source of the timeouts", f"run `{reinstall}` again"))
    return findings


def _plugin_findings(root: Path, what: str, environ: Mapping[str, str], ask: bool,
                     timeouts: Mapping[str, int] | None, rebuild: str) -> list[Finding]:
    from sfp.claude import settings as cc

    if not (root / "sfp.pyz").is_file():
        return [Finding(BROKEN, f"{what}: {root / 'sfp.pyz'} does not exist", "", rebuild)]
    hooks_json = root / "hooks" / "hooks.json"
    value = _read_json(hooks_json)
    hooks = cc.installed_hooks(value, hooks_json)
    if not hooks:
        return [Finding(BROKEN, f"{what}: {hooks_json} runs no sfp hook", "", rebuild)]
    env = {**environ, "CLAUDE_PLUGIN_ROOT": str(root)}
    return _command_findings(hooks, f"in {what}", None, env, ask, timeouts, rebuild)


def _read_json(path: Path) -> dict[str, Any]:
    import json

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _under_any(path: str, roots: list[str]) -> bool:
    real = os.path.realpath(path)
    return any(real == (r := os.path.realpath(root)) or real.startswith(r + os.sep) for root in roots)


def _pyz_problem(pyz: str) -> str:
    """'' when `pyz` is a readable zipapp, else what is wrong (the guard's own test: the zip's end record)."""
    try:
        with open(pyz, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 65558))
            is_zip = f.read().rfind(b"PK\5\6") >= 0
    except FileNotFoundError:
        return f"{pyz} does not exist"
    except OSError as exc:
        return f"{pyz} can't be read ({exc.strerror or exc})"
    return "" if is_zip else f"{pyz} is not a zipapp"


def _python_problem(python: str, ask: bool) -> Finding | None:
    """None when `python` is a Python ≥ 3.11 (without `ask`, when it is this one or merely on PATH)."""
    if os.path.realpath(python) == os.path.realpath(sys.executable) and sys.version_info[:2] >= (3, 11):
        return None
    import shutil

    if shutil.which(python) is None:
        return Finding(BROKEN, f"interpreter {python} does not exist")
    if not ask:
        return None
    found = check_python(python)
    return None if found.status == OK else found


def check_pyz(pyz: Path) -> Finding:
    problem = _pyz_problem(str(pyz))
    if problem:
        return Finding(BROKEN, problem, "every sfp hook fails with it",
                       "put a fresh sfp.pyz there (`make` builds one), or run `sfp install` from where it is now")
    return Finding(OK, f"{pyz} is a zipapp")


def check_python(python: str) -> Finding:
    from sfp.infra import proc

    argv = [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    try:
        done = proc.run(argv, timeout_s=PYTHON_TIMEOUT_S, keep_stdout=True)
    except FileNotFoundError:
        return Finding(BROKEN, f"interpreter {python} does not exist", "",
                       "run `sfp install` with a Python ≥ 3.11: `python3.11 sfp.pyz install`")
    except (OSError, ValueError) as exc:
        return Finding(BROKEN, f"interpreter {python} does not run", str(exc), "run `sfp install` with a Python ≥ 3.11")
    if done.timed_out:
        return Finding(BROKEN, f"interpreter {python} does not run", f"it did not answer within {PYTHON_TIMEOUT_S:g} s",
                       "run `sfp install` with a Python ≥ 3.11")
    version = done.stdout.decode("utf-8", "replace").strip()
    try:
        major, minor = (int(p) for p in version.split("."))
    except ValueError:
        return Finding(BROKEN, f"interpreter {python} does not answer as Python", done.output.strip()[:200],
                       "run `sfp install` with a Python ≥ 3.11")
    if (major, minor) < (3, 11):
        return Finding(BROKEN, f"interpreter {python} is Python {version}; sfp needs 3.11 or newer", "",
                       "run `sfp install` with a newer Python: `python3.11 sfp.pyz install`")
    return Finding(OK, f"{python} is Python {version}")
