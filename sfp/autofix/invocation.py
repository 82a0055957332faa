"""Which file a formatter may touch, and the command line that runs it (npx only from local node_modules)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sfp.autofix.formatters import (
    NO_SUCH_FILE,
    OUTSIDE_PROJECT,
    AutoFixSettings,
    Formatter,
    Invocation,
    Missing,
)

# --- which file, and may it be touched -------------------------------------------------------------


def locate(path: Path | str, project: Path) -> tuple[Path | None, str | None]:
    """(the file's real path, None) when auto-fix may touch it, else (None, why not)."""
    import stat

    given = Path(path)
    if not given.is_absolute():
        given = project / given
    real = Path(os.path.realpath(given))
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return None, NO_SUCH_FILE
    if not stat.S_ISREG(mode):
        return None, "not a regular file"
    root = Path(os.path.realpath(project))
    if real == root or not real.is_relative_to(root):
        return None, f"{OUTSIDE_PROJECT} {root}"
    return real, None


def exclusion(relative: Path, settings: AutoFixSettings) -> str | None:
    """Why `relative` (a path inside the project) is excluded, or None."""
    from fnmatch import fnmatch

    for folder in relative.parts[:-1]:
        for pattern in settings.exclude_dirs:
            if fnmatch(folder, pattern):
                return f"in excluded folder {folder} (exclude_dirs: {pattern})"
    for pattern in settings.exclude_patterns:
        subject = relative.as_posix() if "/" in pattern else relative.name
        if fnmatch(subject, pattern):
            return f"excluded by pattern {pattern}"
    return None


# --- how to run it ---------------------------------------------------------------------------------


def invocation(formatter: Formatter, target: Path, project: Path, environ: Mapping[str, str]) -> Invocation | Missing:
    """The command line for `formatter` on `target`, or what is missing to run it."""
    import shlex
    import shutil

    try:
        words = shlex.split(formatter.command)
    except ValueError as exc:
        return Missing(formatter.command, f"its command can't be split into words ({exc}); fix it in auto_fix.yaml")
    if not words:
        return Missing(formatter.name, "it has no command; set one in auto_fix.yaml")
    search_path = environ.get("PATH", os.defpath)
    program = words[0]
    if "/" in program and not os.path.isabs(program):
        program = str(project / program)
    found = shutil.which(program, path=search_path)
    if found is None:
        return Missing(words[0], f"install it, or set formatters.{formatter.name}.enabled: false in auto_fix.yaml")
    for required in formatter.requires:
        if shutil.which(required, path=search_path) is None:
            return Missing(required, f"formatters.{formatter.name} requires it; install it")
    env = dict(environ)
    cwd = project
    if Path(found).name == "npx":
        package = npx_package(words[1:])
        if package is None:
            return Missing(formatter.command, "it names no package after npx")
        home = local_bin_home(package, target.parent)
        if home is None:
            return Missing(package, f"npx would download it: install it in the project (npm install --save-dev {package})")
        # npm exec installs missing packages without asking when stdin isn't a terminal; this makes it refuse.
        env["npm_config_yes"] = "false"
        cwd = home
    return Invocation((found, *words[1:], str(target)), cwd, env)


def npx_package(args: Sequence[str]) -> str | None:
    """The program `npx ARGS` runs: the first word that isn't an option (or an option's value)."""
    skip_next = False
    for word in args:
        if skip_next:
            skip_next = False
        elif word in ("-p", "--package", "-c", "--call"):
            skip_next = True
        elif not word.startswith("-"):
            return word.rsplit("@", 1)[0] if word.rfind("@") > 0 else word
    return None


def local_bin_home(program: str, start: Path) -> Path | None:
    """The nearest folder from `start` upwards whose `node_modules/.bin/<program>` can run."""
    name = program.rsplit("/", 1)[-1]
    for folder in (start, *start.parents):
        candidate = folder / "node_modules" / ".bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return folder
    return None
