"""What must outlive a prune: the sfp.pyz every installed hook runs, the one running now, and the shiv
extractions they unpack to."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

from sfp.cleanup.footprint import EXTRACTION
from sfp.cleanup.retention import InUse

PLUGIN_SEARCH_DEPTH = 6  # <claude-dir>/plugins/cache/<marketplace>/<plugin>/<version>/sfp.pyz


def builds_in_use(claude_dir: Path, project: Path | None, environ: Mapping[str, str] = os.environ) -> InUse:
    from sfp.infra.runtime import running_zipapp

    files = {str(Path(pyz).resolve()) for pyz in [*hook_pyz_files(claude_dir, project, environ),
                                                  *recorded_builds(claude_dir)]}
    running = running_zipapp()
    if running is not None:
        files.add(str(running))
    present = [path for path in files if os.path.isfile(path)]
    extractions = {name for name in (extraction_name(Path(p)) for p in present) if name}
    extractions |= running_extraction()
    return InUse(frozenset(files), frozenset(filter(None, map(sha256_of, present))), frozenset(extractions))


def hook_pyz_files(claude_dir: Path, project: Path | None, environ: Mapping[str, str]) -> list[str]:
    """The sfp.pyz of every hook in a settings file, of a --plugin-dir route, and of every installed plugin."""
    from sfp.claude import settings as cc
    from sfp.health.installed import diagnose_install

    found = diagnose_install(claude_dir, project, environ=environ)
    files = []
    for hook in found.hooks:
        parts = cc.command_parts(hook.command)
        pyz = cc.expand_pyz(parts.pyz, project, environ) if parts is not None else None
        if pyz is not None:
            files.append(pyz)
    files += [str(Path(route.where) / "sfp.pyz") for route in found.routes if route.kind == "plugin-dir"]
    files += _plugin_copies(claude_dir / "plugins")
    # The sfp on PATH is what a person runs by hand (and what another claude dir's hooks may name).
    files += [on_path for name in ("sfp.pyz", "sfp") if (on_path := shutil.which(name, path=environ.get("PATH")))]
    return files


def recorded_builds(claude_dir: Path) -> list[str]:
    """The current and previous builds `<claude-dir>/sfp/versions/installed.json` names (the rollback target)."""
    from sfp.infra.versions import RECORD

    try:
        value = json.loads((claude_dir / "sfp" / "versions" / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    builds = [value.get(key) for key in ("current", "previous")] if isinstance(value, dict) else []
    return [build["copy"] for build in builds if isinstance(build, dict) and isinstance(build.get("copy"), str)]


def _plugin_copies(root: Path) -> list[str]:
    """sfp.pyz files under Claude Code's plugin folder (marketplace installs), links not followed."""
    found = []
    base = str(root).rstrip(os.sep).count(os.sep)
    for top, dirs, names in os.walk(root, followlinks=False):
        if top.count(os.sep) - base >= PLUGIN_SEARCH_DEPTH:
            dirs[:] = []
        if "sfp.pyz" in names:
            found.append(os.path.join(top, "sfp.pyz"))
    return found


def extraction_name(pyz: Path) -> str | None:
    """The folder a shiv build unpacks to under its root (`<file name>_<build id>`); None for a lean build."""
    try:
        with zipfile.ZipFile(pyz) as archive:
            environment = json.loads(archive.read("environment.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    build_id = environment.get("build_id") if isinstance(environment, dict) else None
    return f"{pyz.resolve().name}_{build_id}" if isinstance(build_id, str) and build_id else None


def running_extraction(module_file: str | None = None) -> set[str]:
    """The extraction this process imports sfp from, if it runs from one."""
    import sfp

    parts = Path(module_file or sfp.__file__ or "").parts
    return {part for part in parts if EXTRACTION.fullmatch(part)}


def sha256_of(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
