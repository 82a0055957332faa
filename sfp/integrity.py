"""Is the running sfp the one that was built? Checks every file against the build manifest.

build.py writes `_manifest.json` (path -> sha256) into the package; a shiv
cache that was half-extracted or edited, or a damaged zip, shows up here.
"""

from __future__ import annotations

from typing import NamedTuple

import json
from importlib.resources import files
from importlib.resources.abc import Traversable

MANIFEST = "_manifest.json"


class IntegrityReport(NamedTuple):
    location: str
    files_checked: int  # 0 when there is no manifest (a source checkout)
    problems: tuple[str, ...]


def verify_package(package: Traversable | None = None) -> IntegrityReport:
    root = package if package is not None else files("sfp")
    try:
        manifest_text = root.joinpath(MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return IntegrityReport(str(root), 0, tuple(_default_config_problems()))
    except OSError as exc:
        return IntegrityReport(str(root), 0, (f"cannot read the build manifest: {exc}",))
    try:
        expected = json.loads(manifest_text)
    except ValueError:
        return IntegrityReport(str(root), 0, ("the build manifest is not valid JSON",))
    if not isinstance(expected, dict):
        return IntegrityReport(str(root), 0, ("the build manifest is not a JSON object",))
    problems = [p for name, digest in sorted(expected.items()) if (p := _check_file(root, name, digest))]
    problems += _default_config_problems()
    return IntegrityReport(str(root), len(expected), tuple(problems))


def _check_file(root: Traversable, name: str, digest: object) -> str | None:
    import hashlib

    node = root
    for part in name.split("/"):
        node = node.joinpath(part)
    try:
        data = node.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return f"{name} is missing"
    except OSError as exc:
        return f"{name} is unreadable ({exc})"
    if hashlib.sha256(data).hexdigest() != digest:
        return f"{name} differs from the build"
    return None


def _default_config_problems() -> list[str]:
    from sfp.config import NAMES, default_layer
    from sfp.errors import SfpError

    problems = []
    for name in NAMES:
        try:
            default_layer(name)
        except SfpError as exc:
            problems.append(f"default config {name}.yaml does not load: {exc}")
    return problems
