"""Is the running sfp the one that was built? Checks its files against the build manifest.

build.py writes `_manifest.json` (path -> [sha256, size]) into the package.
A shiv cache that was half-extracted or edited, or a damaged copy, shows up
here. At SessionStart the check compares sizes (a stat per file, well under
a millisecond); `sfp health` and `sfp doctor` re-hash every file.
"""

from __future__ import annotations

import json
import os

from sfp.infra.record import Record
from sfp.infra.resources import package_location, read_package_file

MANIFEST = "_manifest.json"


class IntegrityReport(Record):
    location: str
    files_checked: int  # 0 when there is no manifest (a source checkout)
    problems: tuple[str, ...]


def verify_package(*, deep: bool = True) -> IntegrityReport:
    location = package_location()
    raw = read_package_file(MANIFEST)
    if raw is None:
        return IntegrityReport(location, 0, tuple(_default_config_problems()))
    try:
        expected = json.loads(raw)
    except ValueError:
        return IntegrityReport(location, 0, ("the build manifest is not valid JSON",))
    if not isinstance(expected, dict):
        return IntegrityReport(location, 0, ("the build manifest is not a JSON object",))
    on_disk = os.path.isdir(location)
    check = _check_size if on_disk and not deep else _check_content
    problems = [p for name, entry in sorted(expected.items()) if (p := check(location, name, entry))]
    if check is _check_content:  # the quick check already vouches for the pre-parsed defaults' sizes
        problems += _default_config_problems()
    return IntegrityReport(location, len(expected), tuple(problems))


def _check_size(location: str, name: str, entry: object) -> str | None:
    size = entry[1] if isinstance(entry, list) and len(entry) == 2 else None
    try:
        actual = os.stat(os.path.join(location, *name.split("/"))).st_size
    except FileNotFoundError:
        return f"{name} is missing"
    except OSError as exc:
        return f"{name} is unreadable ({exc.strerror})"
    return None if actual == size else f"{name} differs from the build"


def _check_content(location: str, name: str, entry: object) -> str | None:
    import hashlib

    digest = entry[0] if isinstance(entry, list) and len(entry) == 2 else None
    data = read_package_file(name)
    if data is None:
        return f"{name} is missing"
    return None if hashlib.sha256(data).hexdigest() == digest else f"{name} differs from the build"


def _default_config_problems() -> list[str]:
    from sfp.config.layers import NAMES, default_layer
    from sfp.errors import SfpError

    problems = []
    for name in NAMES:
        try:
            default_layer(name)
        except SfpError as exc:
            problems.append(f"default config {name}.yaml does not load: {exc}")
    return problems
