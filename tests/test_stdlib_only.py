"""sfp/ imports nothing outside the standard library: people run it on machines with nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sfp"


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_every_import_is_stdlib_or_sfp() -> None:
    allowed = set(sys.stdlib_module_names) | {"sfp", "__future__"}
    foreign = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in imported_modules(path.read_text(encoding="utf-8"))
        if name.split(".")[0] not in allowed
    }
    assert not foreign, f"non-stdlib imports in sfp/: {sorted(foreign)}"


def test_the_check_catches_a_foreign_import() -> None:
    names = imported_modules("import yaml\nfrom psutil import Process\nfrom . import x\n")
    assert names == {"yaml", "psutil"}
