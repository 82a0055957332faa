"""The one diagnosis of the sfp hooks installed in Claude Code's settings files: can each command run?

Health's `plugin_integrity` (no subprocess at SessionStart) and `sfp doctor` (which asks each
interpreter its version) both read it, in one vocabulary: ok, warn, broken.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final, NamedTuple

OK: Final = "ok"
WARN: Final = "warn"
BROKEN: Final = "broken"

PYTHON_TIMEOUT_S: Final = 20.0


# A NamedTuple, not a dataclass: SessionStart loads this module, and a dataclass costs ~5 ms to define.
class Finding(NamedTuple):
    status: str  # ok | warn | broken
    title: str
    detail: str = ""
    fix: str = ""


def installed_hook_problems(claude_dir: Path, project: Path | None, *,
                            ask_interpreters: bool = False) -> tuple[list[str], list[str]]:
    """(settings files that run sfp, what is broken in them): a command's file gone, an interpreter
    missing or too old. Another interpreter's version is asked (a subprocess) only when
    `ask_interpreters`; the hooks' path only checks that it exists."""
    from sfp.claude import settings as cc
    from sfp.errors import UsageError

    installed: list[str] = []
    broken: list[str] = []
    scopes = cc.SCOPES if project is not None else ("user",)
    for scope in scopes:
        path = cc.settings_path(scope, claude_dir, project or Path("."))
        try:
            value = cc.read_settings(path)
        except UsageError:
            broken.append(f"{path} is not valid JSON")
            continue
        hooks = cc.installed_hooks(value, path)
        if hooks or cc.plugin_enabled(value):
            installed.append(str(path))
        for command in sorted({hook.command for hook in hooks}):
            import shlex

            try:
                words = shlex.split(command)
            except ValueError:
                words = []
            if len(words) < 2 or "${CLAUDE_PLUGIN_ROOT}" in command:
                continue
            if not os.path.isfile(words[1]):
                broken.append(f"{words[1]} (in {path}) does not exist")
            elif not _python_ok(words[0], ask_interpreters):
                broken.append(f"interpreter {words[0]} (in {path}) is missing or older than 3.11")
    return installed, broken


def _python_ok(python: str, ask: bool) -> bool:
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        return sys.version_info[:2] >= (3, 11)
    import shutil

    found = shutil.which(python)
    if found is None:
        return False
    if not ask:
        return True
    return check_python(python).status == OK


def check_command(command: str) -> list[Finding]:
    import shlex

    try:
        words = shlex.split(command)
    except ValueError as exc:
        return [Finding(BROKEN, f"hook command can't be parsed: {command}", str(exc), "run `sfp install` again")]
    if len(words) < 3:
        return [Finding(BROKEN, f"hook command is not `PYTHON SFP.PYZ hook`: {command}", "", "run `sfp install` again")]
    python, pyz = words[0], words[1]
    if "${CLAUDE_PLUGIN_ROOT}" in pyz:
        return []  # a plugin's path: only the client can resolve it
    findings = [check_pyz(Path(pyz)), check_python(python)]
    return [f for f in findings if f.status != OK] or [Finding(OK, f"hook command works: {command}")]


def check_pyz(pyz: Path) -> Finding:
    import zipfile

    if not pyz.is_file():
        return Finding(BROKEN, f"{pyz} does not exist", "every sfp hook fails with it",
                       "put sfp.pyz back there, or run `sfp install` from where it is now")
    if not zipfile.is_zipfile(pyz):
        return Finding(BROKEN, f"{pyz} is not a zipapp", "the file is damaged or not sfp",
                       "replace it with a fresh sfp.pyz (`make` builds one), then `sfp install`")
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
