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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from sfp.infra import paths, proc
from sfp.claude import settings as cc
from sfp.errors import UsageError
from sfp.health.installed import BROKEN, NOT_INSTALLED, OK, WARN, Finding


SAMPLE_PAYLOADS: Final[Mapping[str, Mapping[str, object]]] = {
    "SessionStart": {"source": "startup"},
    "UserPromptSubmit": {"prompt": "sfp doctor: sample prompt"},
    "PostToolUse": {"tool_name": "Read", "tool_input": {"file_path": "/dev/null"}, "tool_response": {}},
    "Stop": {"stop_hook_active": True},
    "PreCompact": {"trigger": "manual", "custom_instructions": None},
    "SessionEnd": {"reason": "other"},
}

_BLOCKS: Final = {"UserPromptSubmit": "refuse every prompt", "PreCompact": "refuse every compaction",
                  "Stop": "never let the session stop", "PostToolUse": "report every edit as an error"}


def settings_files(claude_dir: Path, project: Path) -> list[Path]:
    return [cc.settings_path(scope, claude_dir, project) for scope in cc.SCOPES]


def diagnose(claude_dir: Path, project: Path, *, probe_hooks: bool = True, environ: Mapping[str, str] = os.environ) -> list[Finding]:
    from sfp.health.installed import diagnose_install, expected_timeouts

    try:
        timeouts: dict[str, int] | None = expected_timeouts(claude_dir, project)
    except Exception:  # noqa: BLE001 - a broken fallback.yaml is check_configs' finding; no drift check then
        timeouts = None
    install = diagnose_install(claude_dir, project, environ=environ, ask_interpreters=True, timeouts=timeouts)
    findings: list[Finding] = []
    for path in dict.fromkeys(settings_files(claude_dir, project)):  # the same file once, even from ~
        findings += check_settings_file(path)
    findings += [Finding(OK, f"sfp runs as {r.kind} {r.where}") for r in install.routes if r.kind != "settings"]
    findings += install.findings
    if not install.routes:
        findings.append(Finding(BROKEN, NOT_INSTALLED,
                                "Claude Code runs no sfp hook, so no health check, gates, handoff or backup happen",
                                "run `sfp install` (or `sfp plugin DIR` and `claude --plugin-dir DIR`, or "
                                "`sfp plugin DIR --marketplace NAME`)"))
    findings += check_configs(claude_dir, project)
    if probe_hooks:
        findings += [probe(hook, project) for hook in install.hooks]
    findings.append(check_task_tools(claude_dir, project, environ))
    findings += check_folders(claude_dir)
    findings.append(check_disk(claude_dir))
    findings.append(check_shiv_cache(environ))
    return findings


TASK_TOOLS_VARIABLE = "CLAUDE_CODE_ENABLE_TODO_TOOLS"


def check_task_tools(claude_dir: Path, project: Path, environ: Mapping[str, str]) -> Finding:
    """Current models are offered no TaskCreate/TaskUpdate unless the client is told to: then a handoff
    has no task list to carry. Set in the environment, or in a settings file's `env`."""
    if environ.get(TASK_TOOLS_VARIABLE) == "1":
        return Finding(OK, f"task tools on ({TASK_TOOLS_VARIABLE}=1 in the environment)")
    for path in dict.fromkeys(settings_files(claude_dir, project)):
        try:
            env = cc.read_settings(path).get("env") if path.exists() else None
        except UsageError:
            continue
        if isinstance(env, dict) and str(env.get(TASK_TOOLS_VARIABLE)) == "1":
            return Finding(OK, f"task tools on ({TASK_TOOLS_VARIABLE}=1 in {path})")
    return Finding(WARN, "current models get no task tools (TaskCreate, TaskUpdate) unless you turn them on",
                   "without them the model keeps no task list, so a handoff has no open tasks to carry",
                   f'add "env": {{"{TASK_TOOLS_VARIABLE}": "1"}} to {cc.settings_path("user", claude_dir, project)}')


def check_settings_file(path: Path) -> list[Finding]:
    """Which events a settings file runs sfp for (its JSON and commands are diagnose_install's)."""
    try:
        value = cc.read_settings(path) if path.exists() else {}
    except UsageError:
        return []
    if not path.exists():
        return []
    hooks = cc.installed_hooks(value, path)
    if not hooks:
        return [Finding(OK, f"{path}: valid JSON, no sfp hooks")]
    events = sorted({h.event for h in hooks}, key=cc.EVENTS.index if all(h.event in cc.EVENTS for h in hooks) else str)
    findings = [Finding(OK, f"{path}: sfp installed for {', '.join(events)}")]
    missing = [e for e in cc.EVENTS if e not in events]
    if missing:
        findings.append(Finding(WARN, f"{path}: no sfp hook for {', '.join(missing)}", "",
                                "run `sfp install` again to add every event"))
    return findings


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
        if config.untrusted:
            findings.append(Finding(WARN, config.untrusted, "the project's config is ignored until you trust it",
                                    "`sfp trust --show` says what it runs; `sfp trust` uses it"))
    return findings or [Finding(OK, "every config file loads")]


def probe(hook: cc.InstalledHook, project: Path | None = None) -> Finding:
    """Run the hook command as the client would, on a sample payload, in a throwaway claude dir."""
    import shlex

    timeout = float(hook.timeout) if isinstance(hook.timeout, (int, float)) and hook.timeout > 0 else 60.0
    if "${CLAUDE_PLUGIN_ROOT}" in hook.command:
        return Finding(OK, f"{hook.event}: plugin hook (run it with `claude --plugin-dir`)")
    command = hook.command
    if project is not None:  # a project install's path, as the client would expand it; the run stays in tmp
        command = command.replace('"$CLAUDE_PROJECT_DIR"', shlex.quote(str(project)))
    with tempfile.TemporaryDirectory(prefix="sfp-doctor-") as tmp:
        payload = {"session_id": "sfp-doctor", "transcript_path": str(Path(tmp) / "none.jsonl"), "cwd": tmp,
                   "hook_event_name": hook.event, **SAMPLE_PAYLOADS.get(hook.event, {})}
        env = {**os.environ, "CLAUDE_CONFIG_DIR": str(Path(tmp) / "claude"), "CLAUDE_PROJECT_DIR": tmp}
        started = time.monotonic()
        try:
            done = proc.run(["/bin/sh", "-c", command], cwd=Path(tmp), env=env, stdin=json.dumps(payload).encode(),
                            timeout_s=timeout, keep_stdout=True)
        except (OSError, ValueError) as exc:
            return Finding(BROKEN, f"{hook.event} hook could not start", str(exc), "run `sfp install` again")
        elapsed = time.monotonic() - started
    if done.timed_out:
        return Finding(BROKEN, f"{hook.event} hook did not answer within its {timeout:g} s timeout",
                       f"{hook.settings}", "raise `timeout` for this event in fallback.yaml and run `sfp install`, "
                       "or find what is slow with `sfp logs`")
    out, err = done.stdout, done.output
    if done.returncode == 2:  # sfp blocks no sample payload: an exit 2 here is the shell's or Python's, not sfp's
        guarded = (cc.command_parts(hook.command) or cc.CommandParts("", "", False)).guarded
        return Finding(BROKEN, f"{hook.event} hook would block (exit 2): Claude Code would "
                       f"{_BLOCKS.get(hook.event, 'stop what it is doing')}", err.strip()[-300:],
                       "run `sfp install` again" + ("" if guarded else ": the new command never blocks when sfp can't run"))
    if done.returncode != 0 or "Traceback" in err:
        return Finding(BROKEN, f"{hook.event} hook failed (exit {done.returncode})",
                       err.strip()[-300:], "see `sfp logs`; reinstall sfp.pyz if it is damaged")
    if out.strip():
        try:
            answer = json.loads(out)
        except ValueError:
            return Finding(BROKEN, f"{hook.event} hook printed something that is not JSON", out[:200].decode("utf-8", "replace"),
                           "replace sfp.pyz with a fresh build")
        message = answer.get("systemMessage") if isinstance(answer, dict) else None
        if isinstance(message, str) and "sfp hook skipped" in message:  # the guard: sfp itself could not run
            return Finding(BROKEN, f"{hook.event} hook can't run sfp", message, "follow the message, then `sfp doctor` again")
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
    from sfp.cleanup.footprint import shiv_root

    root = shiv_root(environ)
    existing = root if root.exists() else next((p for p in root.parents if p.exists()), Path("/"))
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return Finding(BROKEN, f"the shiv cache {root} is not writable",
                       "sfp.pyz (shiv build) unpacks itself there on first run",
                       "set SHIV_ROOT to a writable folder in the hook's environment, or use sfp-lean.pyz")
    return Finding(OK, f"the shiv cache {root} is writable")


def worst(findings: Iterable[Finding]) -> str:
    statuses = {f.status for f in findings}
    return BROKEN if BROKEN in statuses else WARN if WARN in statuses else OK
