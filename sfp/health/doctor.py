"""`sfp doctor`'s findings: the runbook's "Hooks Not Firing" diagnosis, each finding with its fix.

Unlike the SessionStart health check, the doctor may take its time and
start processes: it runs each installed hook command on a sample payload,
as the client would, in a throwaway claude dir.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

from sfp.infra import paths, proc
from sfp.claude import settings as cc
from sfp.errors import UsageError
from sfp.health.installed import BROKEN, OK, WARN, Finding, check_command


SAMPLE_PAYLOADS: Final[Mapping[str, Mapping[str, object]]] = {
    "SessionStart": {"source": "startup"},
    "UserPromptSubmit": {"prompt": "sfp doctor: sample prompt"},
    "PostToolUse": {"tool_name": "Read", "tool_input": {"file_path": "/dev/null"}, "tool_response": {}},
    "Stop": {"stop_hook_active": True},
    "PreCompact": {"trigger": "manual", "custom_instructions": None},
    "SessionEnd": {"reason": "other"},
}





def settings_files(claude_dir: Path, project: Path) -> list[Path]:
    return [cc.settings_path(scope, claude_dir, project) for scope in cc.SCOPES]


def diagnose(claude_dir: Path, project: Path, *, probe_hooks: bool = True, environ: Mapping[str, str] = os.environ) -> list[Finding]:
    findings: list[Finding] = []
    installed: list[cc.InstalledHook] = []
    plugins: list[Path] = []
    for path in dict.fromkeys(settings_files(claude_dir, project)):  # the same file once, even from ~
        found, hooks = check_settings_file(path)
        findings += found
        installed += hooks
        if path.exists() and _plugin_on(path):
            plugins.append(path)
    findings += check_installation(installed, environ, plugins)
    findings += check_configs(claude_dir, project)
    seen: set[str] = set()
    for hook in installed:
        if hook.command not in seen:
            seen.add(hook.command)
            findings += check_command(hook.command)
    if probe_hooks:
        findings += [probe(hook) for hook in installed]
    findings += check_folders(claude_dir)
    findings.append(check_disk(claude_dir))
    findings.append(check_shiv_cache(environ))
    return findings


def check_settings_file(path: Path) -> tuple[list[Finding], list[cc.InstalledHook]]:
    if not path.exists():
        return [], []
    try:
        value = cc.read_settings(path)
    except UsageError as exc:
        return [Finding(BROKEN, f"{path} is not valid JSON", str(exc),
                        "fix the JSON at the line shown (Claude Code ignores a broken settings file)")], []
    hooks = cc.installed_hooks(value, path)
    if not hooks:
        return [Finding(OK, f"{path}: valid JSON, no sfp hooks")], []
    events = sorted({h.event for h in hooks}, key=cc.EVENTS.index if all(h.event in cc.EVENTS for h in hooks) else str)
    findings = [Finding(OK, f"{path}: sfp installed for {', '.join(events)}")]
    missing = [e for e in cc.EVENTS if e not in events]
    if missing:
        findings.append(Finding(WARN, f"{path}: no sfp hook for {', '.join(missing)}", "",
                                "run `sfp install` again to add every event"))
    return findings, hooks


def _plugin_on(path: Path) -> bool:
    try:
        return cc.plugin_enabled(cc.read_settings(path))
    except UsageError:
        return False


def check_installation(installed: list[cc.InstalledHook], environ: Mapping[str, str],
                       plugins: Sequence[Path] = ()) -> list[Finding]:
    if plugins and installed:
        return [Finding(WARN, "sfp runs both as a plugin and from settings hooks: every hook runs twice",
                        f"plugin enabled in {plugins[0]}", "keep one: `sfp uninstall` or disable the plugin")]
    if plugins:
        return [Finding(OK, f"sfp enabled as a plugin in {plugins[0]}")]
    if installed or environ.get("CLAUDE_PLUGIN_ROOT"):
        return []
    return [Finding(BROKEN, "sfp is not installed in any settings file",
                    "Claude Code runs no sfp hook, so no health check, gates, handoff or backup happen",
                    "run `sfp install` (or `sfp plugin DIR` and `claude --plugin-dir DIR`)")]


def check_configs(claude_dir: Path, project: Path) -> list[Finding]:
    """Each config as the hooks will read it: an error or an unknown key, with its file and line."""
    from sfp.config.layers import NAMES, load_config
    from sfp.errors import ConfigError

    findings = []
    for name in NAMES:
        try:
            config = load_config(name, claude_dir, project)
        except ConfigError as exc:
            findings.append(Finding(BROKEN, f"{name}.yaml can't be used: {exc}",
                                    "the hooks fall back to the built-in settings for it", "fix the file at that line"))
            continue
        findings += [Finding(WARN, warning, "", "fix or remove the key") for warning in config.warnings]
    return findings or [Finding(OK, "every config file loads")]


def probe(hook: cc.InstalledHook) -> Finding:
    """Run the hook command as the client would, on a sample payload, in a throwaway claude dir."""
    timeout = float(hook.timeout) if isinstance(hook.timeout, (int, float)) and hook.timeout > 0 else 60.0
    if "${CLAUDE_PLUGIN_ROOT}" in hook.command:
        return Finding(OK, f"{hook.event}: plugin hook (run it with `claude --plugin-dir`)")
    with tempfile.TemporaryDirectory(prefix="sfp-doctor-") as tmp:
        payload = {"session_id": "sfp-doctor", "transcript_path": str(Path(tmp) / "none.jsonl"), "cwd": tmp,
                   "hook_event_name": hook.event, **SAMPLE_PAYLOADS.get(hook.event, {})}
        env = {**os.environ, "CLAUDE_CONFIG_DIR": str(Path(tmp) / "claude"), "CLAUDE_PROJECT_DIR": tmp}
        started = time.monotonic()
        try:
            done = proc.run(["/bin/sh", "-c", hook.command], cwd=Path(tmp), env=env, stdin=json.dumps(payload).encode(),
                            timeout_s=timeout, keep_stdout=True)
        except (OSError, ValueError) as exc:
            return Finding(BROKEN, f"{hook.event} hook could not start", str(exc), "run `sfp install` again")
        elapsed = time.monotonic() - started
    if done.timed_out:
        return Finding(BROKEN, f"{hook.event} hook did not answer within its {timeout:g} s timeout",
                       f"{hook.settings}", "raise `timeout` for this event in fallback.yaml and run `sfp install`, "
                       "or find what is slow with `sfp logs`")
    out, err = done.stdout, done.output
    if done.returncode not in (0, 2) or "Traceback" in err:
        return Finding(BROKEN, f"{hook.event} hook failed (exit {done.returncode})",
                       err.strip()[-300:], "see `sfp logs`; reinstall sfp.pyz if it is damaged")
    if out.strip():
        try:
            json.loads(out)
        except ValueError:
            return Finding(BROKEN, f"{hook.event} hook printed something that is not JSON", out[:200].decode("utf-8", "replace"),
                           "replace sfp.pyz with a fresh build")
    return Finding(OK, f"{hook.event} hook answered in {elapsed * 1000:.0f} ms (timeout {timeout:g} s)")


def check_folders(claude_dir: Path) -> list[Finding]:
    folders = [paths.logs_dir(claude_dir), paths.backups_dir(claude_dir), paths.handoffs_dir(claude_dir), paths.sfp_dir(claude_dir)]
    return [check_folder(folder) for folder in folders]


def check_folder(folder: Path) -> Finding:
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), Path("/"))
        if not os.access(parent, os.W_OK | os.X_OK):
            return Finding(BROKEN, f"{folder} can't be created: {parent} is not writable", "",
                           f"make {parent} writable for you")
        return Finding(OK, f"{folder} will be created when needed")
    if not folder.is_dir():
        return Finding(BROKEN, f"{folder} is a file, not a folder", "", f"move {folder} away")
    try:
        probe_file = tempfile.NamedTemporaryFile(dir=folder, prefix=".sfp-doctor-", delete=True)
        probe_file.close()
    except OSError as exc:
        return Finding(BROKEN, f"{folder} is not writable", exc.strerror or str(exc), f"chmod 700 {folder} (and check its owner)")
    mode = folder.stat().st_mode & 0o777
    if mode & 0o077:
        return Finding(WARN, f"{folder} is readable by others (mode {mode:o})", "it may hold context and backups",
                       f"chmod 700 {folder}")
    return Finding(OK, f"{folder} is writable and private")


def check_disk(claude_dir: Path) -> Finding:
    from sfp.health.checks import DEFAULT_THRESHOLDS, HEALTHY, UNHEALTHY, check_disk_space

    check = check_disk_space(paths.backups_dir(claude_dir), DEFAULT_THRESHOLDS)
    status = OK if check.status == HEALTHY else BROKEN if check.status == UNHEALTHY else WARN
    return Finding(status, f"disk: {check.message}", "", check.fix or "")


def check_shiv_cache(environ: Mapping[str, str]) -> Finding:
    root = Path(environ.get("SHIV_ROOT") or Path(environ.get("HOME", str(Path.home()))) / ".shiv")
    existing = root if root.exists() else next((p for p in root.parents if p.exists()), Path("/"))
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return Finding(BROKEN, f"the shiv cache {root} is not writable",
                       "sfp.pyz (shiv build) unpacks itself there on first run",
                       "set SHIV_ROOT to a writable folder in the hook's environment, or use sfp-lean.pyz")
    return Finding(OK, f"the shiv cache {root} is writable")


def worst(findings: Iterable[Finding]) -> str:
    statuses = {f.status for f in findings}
    return BROKEN if BROKEN in statuses else WARN if WARN in statuses else OK
