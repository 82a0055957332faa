"""`sfp plugin DIR`: a Claude Code plugin folder holding sfp — manifest, hooks.json, and sfp.pyz itself."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
from pathlib import Path
from typing import IO

from sfp import __version__
from sfp.claude import settings as cc
from sfp.commands.install import hook_timeouts
from sfp.commands.options import add_json
from sfp.errors import UsageError
from sfp.infra.runtime import interpreter, require_zipapp
from sfp.infra.storage import write_atomic

PLUGIN_NAME = "sfp"
DESCRIPTION = "Skills-Fabrik Patterns: session health, context tags, auto-format, quality gates, handoff and backup"
LICENSE_ID = "MIT"


SCHEMA = "sfp.plugin/1"


def plugin(claude_dir: Path, project: Path, target: str, *, force: bool, out: IO[str],
           marketplace: str | None = None, as_json: bool = False) -> int:
    """A plugin folder at `target`; with `marketplace`, a marketplace at `target` whose one plugin is sfp."""
    pyz = require_zipapp()
    top = Path(target).expanduser().absolute()
    if marketplace is not None:
        _check_marketplace_name(marketplace)
        _check_target(top, force, ".claude-plugin")
        folder = top / "plugins" / PLUGIN_NAME
    else:
        _check_target(top, force, ".claude-plugin")
        folder = top
    version = build_version(pyz)
    write_plugin(folder, pyz, version, hook_timeouts(claude_dir, project), marketplace)
    q = shlex.quote
    if marketplace is not None:
        _folder(top / ".claude-plugin")
        write_atomic(top / ".claude-plugin" / "marketplace.json", _json(marketplace_manifest(marketplace, version)),
                     mode=0o644)
    if as_json:
        from sfp.infra.jsondoc import write_json

        write_json(out, {"schema": SCHEMA, "path": str(top), "plugin_path": str(folder), "version": version,
                         "marketplace": marketplace, "pyz_path": str(folder / "sfp.pyz")})
        return 0
    if marketplace is None:
        out.write(f"wrote a Claude Code plugin to {folder} (sfp {version})\n"
                  f"  check it:  claude plugin validate {q(str(folder))}\n"
                  f"  try it:    claude --plugin-dir {q(str(folder))}\n")
        return 0
    out.write(f"wrote a Claude Code marketplace `{marketplace}` to {top}, holding sfp {version}\n"
              f"  check it:  claude plugin validate {q(str(top))}\n"
              f"  add it:    claude plugin marketplace add {q(str(top))}\n"
              f"  install:   claude plugin install {PLUGIN_NAME}@{marketplace}\n"
              f"             (or in settings.json: \"enabledPlugins\": {{\"{PLUGIN_NAME}@{marketplace}\": true}})\n"
              f"  a new build: run this command again, then `claude plugin marketplace update {marketplace}` and "
              f"`claude plugin update {PLUGIN_NAME}@{marketplace}`\n")
    return 0


def write_plugin(folder: Path, pyz: Path, version: str, timeouts: dict[str, float], marketplace: str | None) -> None:
    _folder(folder / ".claude-plugin")
    _folder(folder / "hooks")
    write_atomic(folder / ".claude-plugin" / "plugin.json", _json(manifest(version)), mode=0o644)
    write_atomic(folder / "hooks" / "hooks.json", _json(hooks_file(timeouts)), mode=0o644)
    install = (f"claude plugin marketplace add <this marketplace's folder>\nclaude plugin install {PLUGIN_NAME}@{marketplace}"
               if marketplace else "claude --plugin-dir <this folder>")
    write_atomic(folder / "README.md", README.format(version=version, install=install), mode=0o644)
    write_atomic(folder / "LICENSE", LICENSE, mode=0o644)
    copy = folder / "sfp.pyz"
    partial = folder / ".sfp.pyz.partial"
    shutil.copyfile(pyz, partial)
    partial.chmod(0o755)
    partial.replace(copy)


def build_version(pyz: Path) -> str:
    """`<version>+<12 hex of the build's sha256>`: each build a new version, so `claude plugin update` takes it."""
    import hashlib

    with pyz.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return f"{__version__}+{digest[:12]}"


def manifest(version: str = __version__) -> dict[str, object]:
    return {
        "name": PLUGIN_NAME,
        "version": version,
        "description": DESCRIPTION,
        "author": {"name": "sfp"},
        "license": LICENSE_ID,
    }


def marketplace_manifest(name: str, version: str) -> dict[str, object]:
    return {
        "name": name,
        "owner": {"name": "sfp"},
        "metadata": {"description": f"sfp ({DESCRIPTION}), built locally with `sfp plugin --marketplace`"},
        "plugins": [{"name": PLUGIN_NAME, "source": f"./plugins/{PLUGIN_NAME}", "version": version,
                     "description": DESCRIPTION, "license": LICENSE_ID}],
    }


def hooks_file(timeouts: dict[str, float]) -> dict[str, object]:
    # The client expands ${CLAUDE_PLUGIN_ROOT}; double quotes keep a folder with spaces one word.
    command = cc.hook_command(interpreter(), '"${CLAUDE_PLUGIN_ROOT}/sfp.pyz"', pyz_is_shell=True)
    settings = cc.with_sfp_hooks({}, cc.hook_entries(command, timeouts))
    return {"description": DESCRIPTION, "hooks": settings["hooks"]}


def _check_marketplace_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
        raise UsageError(f"marketplace name `{name}`: use lower-case letters, digits, `.`, `_` or `-`")


def _folder(path: Path) -> None:
    """`path` and its missing parents as 0755 whatever the umask: what the hooks run must not be
    writable by anyone but its owner (under umask 000 mkdir would make them 0777)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)


def _check_target(folder: Path, force: bool, marker: str) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; give a folder for the plugin")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / marker).is_dir() and not force:
        raise UsageError(f"{folder} is not empty and holds no plugin; choose an empty folder or pass --force")


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


README = """\
# sfp {version}

sfp (Skills-Fabrik Patterns) keeps a Claude Code session healthy, honest and recoverable. It runs as
this plugin's hooks: a health check at SessionStart, context tags with the first prompt
(UserPromptSubmit), the formatter of each file Claude writes (PostToolUse), quality gates on the
changed files at Stop, and a handoff plus a backup of your context files at PreCompact and SessionEnd.

Install:

```sh
{install}
```

The whole program is `sfp.pyz` in this folder; it needs Python 3.11 or newer as `python3`. When sfp
can't run (the file damaged, an older Python) its hooks say so in one line and never block you.

- Check it: `python3 sfp.pyz doctor` (every route sfp is installed by, each finding with its fix).
- Its log: `python3 sfp.pyz logs`.
- Its settings: `python3 sfp.pyz config show` (fallback.yaml holds each hook's timeout).
- A new build: run `sfp.pyz plugin DIR --marketplace NAME` again, then `claude plugin marketplace
  update NAME` and `claude plugin update sfp@NAME`.
"""

LICENSE = """\
MIT License

Copyright (c) sfp authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="the plugin folder to write (with --marketplace: the marketplace folder)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    parser.add_argument("--marketplace", metavar="NAME",
                        help="lay DIR out as marketplace NAME holding sfp: `claude plugin marketplace add DIR`, "
                             "then `claude plugin install sfp@NAME`")
    add_json(parser, f"print what was written as JSON (schema {SCHEMA})")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return plugin(claude_dir, Path.cwd(), args.dir, force=args.force, out=out, marketplace=args.marketplace,
                  as_json=args.json)
