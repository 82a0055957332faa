"""Fixtures of the auto-fix tests: a folder for fake programs, and the environment that finds them."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


@pytest.fixture
def env(bin_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_FORMATTER_LOG": str(tmp_path / "calls.jsonl")}

