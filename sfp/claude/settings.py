"""Claude Code's settings files, and sfp's hook entries in them.

Pure functions add or remove sfp's entries in a settings value; every
other key and every other hook is kept as it was, so install followed by
uninstall gives back the same JSON value, and install twice equals once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sfp.errors import UsageError
from sfp.infra.record import Record

EVENTS: Final = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "PreCompact", "PostCompact",
                  "TaskCreated", "TaskCompleted", "SessionEnd")
TOOL_MATCHERS: Final = {"PreToolUse": "Write|Edit|MultiEdit|NotebookEdit", "PostToolUse": "Write|Edit|MultiEdit"}
SCOPES: Final = ("user", "project", "local")

# `<anything>sfp<anything>.pyz hook`, quoted or not: how sfp's own entries are told from others'.
_SFP_COMMAND = r"""(?:^|[/\s'"])sfp(?:-lean)?(?:-\d[\w.]*-[0-9a-f]{12})?\.pyz['"]?\s+hook(?:\s|$)"""


class HookEntry(Record):
    event: str
    matcher: str | None
    command: str
    timeout: int


class InstalledHook(Record):
    settings: Path
    event: str
    command: str
    timeout: object


def settings_path(scope: str, claude_dir: Path, project: Path) -> Path:
    if scope == "user":
        return claude_dir / "settings.json"
    if scope == "project":
        return project / ".claude" / "settings.json"
    if scope == "local":
        return project / ".claude" / "settings.local.json"
    raise UsageError(f"unknown scope `{scope}`; use one of: {', '.join(SCOPES)}")


# The installed command runs this guard with `python -I` (no PYTHONPATH, user site, cwd on sys.path), then sfp.
# When sfp can't run — the file gone, unreadable or not a zipapp, a Python older than 3.11 — the guard tells the
# person in one line and exits 0: only sfp itself ever exits 2 (blocks). A bare `sfp.pyz` is looked up on PATH.
# Double quotes only: the whole guard sits between single quotes in the command.
GUARD: Final = """import sys
p=sys.argv[1];t=None
if sys.version_info<(3,11):t="sfp needs Python 3.11+, this hook ran "+sys.version.split()[0]+" ("+sys.executable+"): run `python3.11 sfp.pyz install`"
else:
 import os
 if os.sep not in p:p=next((d+os.sep+p for d in os.environ.get("PATH","").split(os.pathsep) if d and os.path.isfile(d+os.sep+p)),p)
 try:
  with open(p,"rb") as f:f.seek(max(0,os.fstat(f.fileno()).st_size-65558));z=f.read().rfind(b"PK\\5\\6")>=0
  if not z:t=p+" is damaged (not a zipapp): put a fresh sfp.pyz there, then run `sfp.pyz install`"
 except OSError as x:t="cannot run "+p+" ("+(x.strerror or str(x))+"): put sfp.pyz back there, or run `sfp.pyz install` from where it is now"
if t:
 import json;print(json.dumps({"systemMessage":"\u26a0\ufe0f sfp hook skipped: "+t}));sys.exit(0)
sys.argv=[p]+sys.argv[2:]
import runpy
try:runpy.run_path(p,run_name="__main__")
except Exception as x:print("sfp hook failed: "+p+" is damaged ("+type(x).__name__+": "+str(x)[:200]+"): put a fresh sfp.pyz there",file=sys.stderr);sys.exit(1)"""


class CommandParts(Record):
    python: str
    pyz: str  # as written: may hold $CLAUDE_PROJECT_DIR or ${CLAUDE_PLUGIN_ROOT}, or be a bare name for PATH
    guarded: bool  # the guard runs first: a broken sfp can't block


def hook_command(python: str, pyz: str, *, pyz_is_shell: bool = False) -> str:
    """`python -I -c GUARD PYZ hook`. `pyz_is_shell`: `pyz` is already shell text (it holds a variable)."""
    import shlex

    return f"{shlex.quote(python)} -I -c '{GUARD}' {pyz if pyz_is_shell else shlex.quote(pyz)} hook"


def command_parts(command: str) -> CommandParts | None:
    """The interpreter and sfp.pyz a hook command runs (sfp's guarded form, or the older `PYTHON PYZ hook`)."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) >= 6 and words[1:3] == ["-I", "-c"] and words[3] == GUARD and words[5] == "hook":
        return CommandParts(words[0], words[4], True)
    flags = [w for w in words[1:] if w.startswith("-") and w != "-"]
    rest = [w for w in words[1:] if w not in flags]
    if len(rest) >= 2 and rest[1] == "hook" and "-c" not in flags:
        return CommandParts(words[0], rest[0], False)
    return None


def expand_pyz(pyz: str, project: Path | None, environ: Mapping[str, str]) -> str | None:
    """The file `pyz` names on this machine; None when only the client can tell (a plugin's root)."""
    import os
    import shutil

    if "${CLAUDE_PLUGIN_ROOT}" in pyz or "$CLAUDE_PLUGIN_ROOT" in pyz:
        root = environ.get("CLAUDE_PLUGIN_ROOT")
        return pyz.replace("${CLAUDE_PLUGIN_ROOT}", root).replace("$CLAUDE_PLUGIN_ROOT", root) if root else None
    for var in ("${CLAUDE_PROJECT_DIR}", "$CLAUDE_PROJECT_DIR"):
        if var in pyz:
            pyz = pyz.replace(var, str(project) if project is not None else environ.get("CLAUDE_PROJECT_DIR", "."))
    if os.sep not in pyz:
        return shutil.which(pyz, path=environ.get("PATH")) or pyz
    return pyz


def hook_entries(command: str, timeouts: Mapping[str, float]) -> list[HookEntry]:
    return [HookEntry(event, TOOL_MATCHERS.get(event), command, max(1, round(timeouts.get(event, 10))))
            for event in EVENTS]


def is_sfp_command(command: object) -> bool:
    # re caches the compiled pattern; compiling it at import would cost every SessionStart.
    return isinstance(command, str) and "hook" in command and bool(re.search(_SFP_COMMAND, command))


def read_settings(path: Path) -> dict[str, Any]:
    """The settings value in `path` ({} when there is no file); UsageError when it isn't a JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    if not text.strip():
        return {}
    try:
        value = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply to be a settings file; sfp left it untouched") from None
    except _NotWritable as exc:
        raise UsageError(f"{path}: the number {exc} can't be written back as JSON (too large, NaN or Infinity); "
                         "change it first, sfp left the file untouched") from None
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        reason = getattr(exc, "msg", str(exc))
        raise UsageError(f"{path}:{line}:{col}: not valid JSON ({reason}); fix it first, sfp left it untouched") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: expected a JSON object, found a {type(value).__name__}; sfp left it untouched")
    return value


def with_sfp_hooks(settings: Mapping[str, Any], entries: list[HookEntry]) -> dict[str, Any]:
    """`settings` with exactly `entries` as sfp's hooks; entries already there in that form stay in place."""
    import copy

    if _current_entries(settings) == [(e.event, e.matcher, e.command, e.timeout) for e in entries]:
        return copy.deepcopy(dict(settings))
    result = without_sfp_hooks(settings)
    hooks = result.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise UsageError(f"`hooks` in the settings file is a {type(hooks).__name__}, not an object; fix it first")
    if hooks is None:
        hooks = result["hooks"] = {}
    for event in (e.event for e in entries):
        if event in hooks and not isinstance(hooks[event], list):
            raise UsageError(f"`hooks.{event}` in the settings file is not a list; fix it first, sfp left it untouched")
    for entry in entries:
        group: dict[str, Any] = {}
        if entry.matcher is not None:
            group["matcher"] = entry.matcher
        group["hooks"] = [{"type": "command", "command": entry.command, "timeout": entry.timeout}]
        groups = hooks.get(entry.event)
        if not isinstance(groups, list):
            groups = hooks[entry.event] = []
        groups.append(group)
    return result


def without_sfp_hooks(settings: Mapping[str, Any]) -> dict[str, Any]:
    """`settings` minus sfp's entries; containers left empty by the removal go too, nothing else changes."""
    import copy

    result = copy.deepcopy(dict(settings))
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups, removed = [], False
        for group in groups:
            inner = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(inner, list):
                kept_groups.append(group)
                continue
            kept = [h for h in inner if not (isinstance(h, dict) and is_sfp_command(h.get("command")))]
            if len(kept) == len(inner):
                kept_groups.append(group)
                continue
            removed = True
            if kept:
                kept_groups.append({**group, "hooks": kept})
        if removed:
            if kept_groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]
    if not hooks and isinstance(settings.get("hooks"), dict) and settings["hooks"]:
        del result["hooks"]
    return result


def plugin_enabled(settings: Mapping[str, Any]) -> bool:
    """An sfp plugin switched on in `enabledPlugins` (the runbook's route): sfp is installed that way."""
    enabled = settings.get("enabledPlugins")
    return isinstance(enabled, dict) and any(
        isinstance(name, str) and name.split("@", 1)[0] == "sfp" and on is True for name, on in enabled.items())


def installed_hooks(settings: Mapping[str, Any], path: Path) -> list[InstalledHook]:
    return [InstalledHook(path, event, command, timeout) for event, _, command, timeout in _current_entries(settings)]


def _current_entries(settings: Mapping[str, Any]) -> list[tuple[str, str | None, str, object]]:
    found = []
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return []
    for event, groups in hooks.items():
        for group in groups if isinstance(groups, list) else []:
            inner = group.get("hooks") if isinstance(group, dict) else None
            for hook in inner if isinstance(inner, list) else []:
                if isinstance(hook, dict) and is_sfp_command(hook.get("command")):
                    found.append((event, group.get("matcher"), hook["command"], hook.get("timeout")))
    return found


class _NotWritable(Exception):
    """A number JSON reads but can't write back as it was (1e400 becomes Infinity, which isn't JSON)."""


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotWritable(text)
    return value


def _refuse_constant(text: str) -> float:
    raise _NotWritable(text)


def render_settings(settings: Mapping[str, Any], indent: int | str = 2) -> str:
    return json.dumps(settings, indent=indent, ensure_ascii=False) + "\n"


def indent_of(text: str) -> int | str:
    """The indent a settings file is written with (2 when it shows none): sfp writes it back the same way."""
    found = re.search(r"^\{[ \t]*\r?\n([ \t]+)\S", text)
    if found is None:
        return 2
    unit = found.group(1)
    return unit if "\t" in unit else len(unit)


def _free_backup_name(path: Path, now: float) -> Path:
    """`<file>.sfp-backup-<time>`, a second on when that name is taken: two saves in one second (install,
    then uninstall) must not put the second backup over the first, which holds the file as it was."""
    import os
    import time

    for second in range(3600):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + second))
        candidate = path.with_name(f"{path.name}.sfp-backup-{stamp}")
        if not os.path.lexists(candidate):
            return candidate
    raise UsageError(f"{path}: an hour of backup names beside it are taken; `sfp prune` removes old ones")


def save_settings(path: Path, value: Mapping[str, Any], *, new_file_mode: int = 0o600) -> Path | None:
    """Back up the current file (when there is one), then write `value` atomically. Returns the backup.

    An existing file keeps its mode; a project's shared settings.json is
    meant to be committed, so the caller may ask for 0644 there.
    """
    import os
    import time

    from sfp.infra.storage import write_atomic

    if path.is_symlink():  # a settings file kept in a dotfiles repo: write through the link, keep it
        path = path.resolve()
    try:
        old: bytes | None = path.read_bytes()
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        old, mode = None, new_file_mode
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if old is not None:
        backup = _free_backup_name(path, time.time())
        write_atomic(backup, old, mode=0o600)
    indent = indent_of(old.decode("utf-8", "replace")) if old is not None else 2
    write_atomic(path, render_settings(value, indent), mode=mode)
    return backup
