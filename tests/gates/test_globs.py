"""file_patterns: `*` inside a folder, `**` across folders, bare patterns match names anywhere."""

from __future__ import annotations

import pytest

from sfp.gates.globs import matches


@pytest.mark.parametrize("path, pattern, expected", [
    ("src/a/b.py", "*.py", True), ("b.py", "*.py", True), ("src/a/b.pyc", "*.py", False),
    ("src/x.py", "src/**/*.py", True), ("src/a/b/x.py", "src/**/*.py", True), ("lib/x.py", "src/**/*.py", False),
    ("a.ts", "*.{ts,tsx}", True), ("a.tsx", "*.{ts,tsx}", True), ("a.js", "*.{ts,tsx}", False),
    ("src/a.ts", "src/*.ts", True), ("src/b/a.ts", "src/*.ts", False), ("readme.md", "**/*.md", True),
    (".github/workflows/ci.yml", ".github/**", True), ("./src/a.py", "src/*.py", True), ("a1.py", "a?.py", True),
    ("ab.py", "a[!b].py", False), ("ac.py", "a[!b].py", True), ("Makefile", "Makefile", True),
    ("sub/Makefile", "Makefile", True), ("docs/Makefile", "/Makefile", False),
])
def test_glob(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, [pattern]) is expected
